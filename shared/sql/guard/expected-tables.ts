/**
 * The `db.table` names the tokenizer sees in the final SQL, with repeats: the
 * names the rewriter produced. The guard compares them with the names in
 * ClickHouse's parse; any difference means the tokenizer missed a table.
 *
 * @module
 */
import { findTables } from "../rewrite/table-refs.js";

export function expectedTables(sql: string): string[] | undefined {
  const scanned = findTables(sql);
  if (!scanned.ok) return undefined;
  return scanned.found.tables.filter((t) => t.database !== undefined).map((t) => `${t.database}.${t.name}`);
}
