/**
 * @module service/tables
 * Creates the service database, its tables and then its materialized views,
 * once per isolate (idempotent DDL). Every writer of a service table calls
 * this first, so no `pipe_stats_rt` row is written before the view that rolls
 * it up into `pipe_stats` exists.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import {
  SERVICE_DATABASE,
  SERVICE_MATERIALIZED_VIEWS,
  serviceMaterializedViewDdl,
  serviceTableDdl,
  storedServiceDatasources,
} from "../../shared/service/datasources.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";

let ready: Promise<void> | undefined;

export function ensureServiceTables(ch: ClickHouseClient): Promise<void> {
  ready ??= (async () => {
    await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(SERVICE_DATABASE)}` });
    for (const ds of storedServiceDatasources()) await ch.command({ query: serviceTableDdl(ds) });
    for (const mv of SERVICE_MATERIALIZED_VIEWS) await ch.command({ query: serviceMaterializedViewDdl(mv) });
  })().catch((e) => {
    ready = undefined; // try again on the next call
    throw e;
  });
  return ready;
}
