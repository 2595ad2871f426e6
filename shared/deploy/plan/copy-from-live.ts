/**
 * @module deploy/plan/copy-from-live
 * How a landing datasource's new table takes the rows of its live one: the
 * FORWARD_QUERY's SELECT list when the datafile has one, otherwise the columns
 * both versions share (new columns take their DEFAULT). The backfill and the
 * forward view both copy with it.
 */
import type { DatasourceFile } from "../../datafiles/index.js";
import { quoteIdentifier } from "../../sql/rewrite/index.js";
import type { ManifestDatasource } from "../manifest.js";
import type { SelectFrom } from "./types.js";

/** The SELECT list of a FORWARD_QUERY, with or without its leading SELECT. */
export function forwardSelectList(forwardQuery: string): string {
  return forwardQuery.trim().replace(/^select\s+/i, "");
}

/** The SELECT list copying live rows into the new table, or undefined when no column carries over. */
export function copySelectList(ds: DatasourceFile, liveDs: ManifestDatasource): string | undefined {
  const newColumns = ds.columns.map((c) => c.name);
  if (ds.forwardQuery) return newColumns.length === 0 ? undefined : forwardSelectList(ds.forwardQuery);
  const liveColumns = new Set(liveDs.file.columns.map((c) => c.name));
  const shared = newColumns.filter((c) => liveColumns.has(c));
  return shared.length === 0 ? undefined : shared.map(quoteIdentifier).join(", ");
}

/** `SELECT <list> FROM (<live table>)`, the live table placed by the caller (a snapshot of its parts, or the table itself). */
export function copyFrom(liveTable: string, selectList: string): SelectFrom {
  return (from) => `SELECT ${selectList} FROM (${from(liveTable)})`;
}
