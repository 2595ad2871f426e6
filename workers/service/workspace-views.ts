/**
 * @module service/workspace-views
 * A workspace's views of the service tables (`<db>.tinybird__<name>`, see
 * `serviceViewDdl`), created once per isolate and workspace (`serviceViews`
 * in platform/caches.ts), after the service tables themselves. Reads of
 * `tinybird.<name>` go through them.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { SERVICE_DATASOURCES, serviceViewDdl } from "../../shared/service/datasources.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";
import { isolateCache } from "../platform/caches.js";
import { ensureServiceTables } from "./tables.js";

const ready = isolateCache<Promise<void>>("serviceViews");

export function ensureWorkspaceServiceViews(ch: ClickHouseClient, workspaceId: string, database: string): Promise<void> {
  return ready.once(`${workspaceId}\u0000${database}`, async () => {
    await ensureServiceTables(ch);
    await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
    for (const ds of SERVICE_DATASOURCES) await ch.command({ query: serviceViewDdl(ds, workspaceId, database) });
  });
}
