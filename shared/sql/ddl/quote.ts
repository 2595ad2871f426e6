/**
 * @module
 * Quoting for ClickHouse DDL. Identifiers always get backticks, so names that
 * are keywords or contain odd characters are safe; backslashes and backticks
 * inside are escaped with a backslash, as ClickHouse's lexer expects.
 */

/** `` `name` `` with `\` and `` ` `` escaped. */
export function quoteIdentifier(name: string): string {
  return "`" + name.replace(/\\/g, "\\\\").replace(/`/g, "\\`") + "`";
}

/** `` `database`.`table` ``. */
export function quoteQualifiedName(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/** A single-quoted SQL string literal with `\` and `'` escaped. */
export function quoteString(value: string): string {
  return "'" + value.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

/** `ON CLUSTER `name`` with a leading space, or "" for a single node. */
export function onClusterClause(cluster: string | undefined): string {
  return cluster === undefined ? "" : ` ON CLUSTER ${quoteIdentifier(cluster)}`;
}
