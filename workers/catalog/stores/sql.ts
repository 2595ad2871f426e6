/**
 * @module catalog/stores/sql
 * What the stores of a WorkspaceCatalog share: the row SQLite hands back, the
 * clock of their timestamps, and the column check their upgrades run on.
 */

export type Row = Record<string, SqlStorageValue>;

export function now(): string {
  return new Date().toISOString();
}

/** A nullable TEXT column as a string or null. */
export function textOrNull(value: SqlStorageValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Whether `table` has `column`: upgrades add what older catalogs lack. */
export function hasColumn(sql: SqlStorage, table: string, column: string): boolean {
  return sql.exec(`SELECT * FROM ${table} LIMIT 0`).columnNames.includes(column);
}

/** A store owns its tables: `migrate` creates them, or brings the ones an older catalog wrote up to date. */
export interface Store {
  migrate(): void;
}
