/**
 * Identifier quoting for names we write into SQL.
 *
 * @module
 */

const BARE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Leaves plain names bare (readable SQL, stable test outputs); backticks otherwise. */
export function quoteIdentifier(name: string): string {
  if (BARE.test(name)) return name;
  return "`" + name.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";
}

export function qualifiedTable(table: string, database?: string): string {
  return database === undefined ? quoteIdentifier(table) : `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}
