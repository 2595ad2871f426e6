/**
 * @module service/tables
 * Creates the service database and its tables once per isolate (idempotent DDL).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { SERVICE_DATABASE, SERVICE_DATASOURCES, serviceTableDdl } from "../../shared/service/datasources.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";

let ready: Promise<void> | undefined;

export function ensureServiceTables(ch: ClickHouseClient): Promise<void> {
  ready ??= (async () => {
    await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(SERVICE_DATABASE)}` });
    for (const ds of SERVICE_DATASOURCES) await ch.command({ query: serviceTableDdl(ds) });
  })().catch((e) => {
    ready = undefined; // try again on the next call
    throw e;
  });
  return ready;
}
