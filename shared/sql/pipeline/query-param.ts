/**
 * The endpoint `q=` parameter (and `/v0/sql?pipeline=`): user SQL run over an
 * endpoint's result, which the user's query calls `_`.
 *
 * The user SQL must be one read-only SELECT whose only table is `_`: no
 * datasource, no `db.table`, no table function. That is what keeps `q=` from
 * reaching anything the endpoint itself does not read.
 *
 * @module
 * @example
 * wrapForQueryParam("SELECT * FROM ws.events_v1 AS events", "SELECT count() FROM _");
 * // { ok: true, sql: "WITH\n_ AS (\nSELECT * FROM ws.events_v1 AS events\n)\nSELECT count() FROM _" }
 */
import type { SqlError } from "../rewrite/errors.js";
import { quoteIdentifier } from "../rewrite/quote.js";
import { checkReadOnlyStructure } from "../rewrite/statement.js";
import { findTables } from "../rewrite/table-refs.js";
import { prependCtes, trimStatement } from "./with-clause.js";

export const ENDPOINT_RESULT_NAME = "_";

export type WrapResult = { ok: true; sql: string } | { ok: false; error: SqlError };

export function wrapForQueryParam(endpointSql: string, q: string): WrapResult {
  const scanned = findTables(q);
  if (!scanned.ok) return scanned;
  const check = checkReadOnlyStructure(scanned.structure);
  if (!check.ok) return check;
  if (check.kind !== "select" && check.kind !== "with") {
    return { ok: false, error: { code: "not_read_only", message: "Only SELECT queries are allowed in q", position: 0 } };
  }
  const { tables, tableFunctions } = scanned.found;
  const fn = tableFunctions[0];
  if (fn) {
    return { ok: false, error: { code: "forbidden", message: `Table function '${fn.name}' is not allowed in q; read from _`, position: fn.start } };
  }
  const other = tables.find((t) => t.database !== undefined || t.name !== ENDPOINT_RESULT_NAME);
  if (other) {
    const shown = other.database === undefined ? other.name : `${other.database}.${other.name}`;
    return {
      ok: false,
      error: { code: "forbidden", message: `q can only read from _ (the endpoint result), not '${shown}'`, position: other.start },
    };
  }
  const body = trimStatement(endpointSql);
  if (body === "") return { ok: false, error: { code: "syntax", message: "Empty endpoint query" } };
  return { ok: true, sql: prependCtes([{ name: ENDPOINT_RESULT_NAME, sql: body }], trimStatement(q), quoteIdentifier) };
}
