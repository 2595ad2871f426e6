/**
 * @module deploy/plan/forwards
 * While a deployment stages, live keeps taking writes into the old table. A
 * forward is a materialized view on the live table writing into the new one,
 * so every row inserted from the moment it exists reaches the new deployment;
 * the backfill copies the rows that were there before.
 */
import { quoteQualifiedName } from "../../sql/ddl/index.js";
import { copyFrom } from "./copy-from-live.js";
import { forwardViewName } from "./names.js";
import type { PlannedView } from "./types.js";

export interface ForwardInput {
  datasource: string;
  liveTable: string;
  /** The datasource's new physical table. */
  target: string;
  /** The same copy as the backfill's (copy-from-live.ts). */
  selectList: string;
  database: string;
  tag: string;
}

export function planForward(input: ForwardInput): PlannedView {
  const { datasource, liveTable, target, selectList, database, tag } = input;
  const name = forwardViewName(datasource, tag);
  const query = `SELECT ${selectList} FROM ${quoteQualifiedName(database, liveTable)}`;
  return {
    pipe: datasource,
    name,
    target,
    sources: [liveTable],
    sql: `CREATE MATERIALIZED VIEW ${quoteQualifiedName(database, name)} TO ${quoteQualifiedName(database, target)} AS ${query}`,
    query,
    select: copyFrom(liveTable, selectList),
  };
}
