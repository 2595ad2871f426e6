/**
 * The tables a statement reads, unresolved: for ordering dependencies and for
 * checking that a query stays inside its workspace before it is rewritten.
 *
 * @module
 * @example
 * listTables("SELECT * FROM a JOIN tinybird.pipe_stats_rt USING id");
 * // { ok: true, tables: [{ name: "a" }, { database: "tinybird", name: "pipe_stats_rt" }], tableFunctions: [] }
 */
import type { SqlError } from "./errors.js";
import { findTables } from "./table-refs.js";

export interface TableName {
  name: string;
  database?: string;
}

export type ListTablesResult =
  | { ok: true; tables: TableName[]; tableFunctions: TableName[] }
  | { ok: false; error: SqlError };

/** Distinct names in first-seen order; WITH-bound names are excluded. */
export function listTables(sql: string): ListTablesResult {
  const scanned = findTables(sql);
  if (!scanned.ok) return scanned;
  const { tables, tableFunctions } = scanned.found;
  return { ok: true, tables: distinct(tables), tableFunctions: distinct(tableFunctions) };
}

function distinct(refs: readonly TableName[]): TableName[] {
  const seen = new Set<string>();
  const out: TableName[] = [];
  for (const ref of refs) {
    const key = JSON.stringify([ref.database ?? null, ref.name]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(ref.database === undefined ? { name: ref.name } : { database: ref.database, name: ref.name });
  }
  return out;
}
