/**
 * @module service/workspace-views
 * A workspace's views of the service tables (`<db>.tinybird__<name>`, see
 * `serviceViewDdl`), created once per isolate and workspace, after the
 * service tables themselves. Reads of `tinybird.<name>` go through them.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { SERVICE_DATASOURCES, serviceViewDdl } from "../../shared/service/datasources.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";
import { ensureServiceTables } from "./tables.js";

const ready = new Map<string, Promise<void>>();

export function ensureWorkspaceServiceViews(ch: ClickHouseClient, workspaceId: string, database: string): Promise<void> {
  const key = `${workspaceId}\u0000${database}`;
  let p = ready.get(key);
  if (!p) {
    p = (async () => {
      await ensureServiceTables(ch);
      await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
      for (const ds of SERVICE_DATASOURCES) await ch.command({ query: serviceViewDdl(ds, workspaceId, database) });
    })().catch((e) => {
      ready.delete(key); // try again on the next read
      throw e;
    });
    if (ready.size > 10_000) ready.delete(ready.keys().next().value as string);
    ready.set(key, p);
  }
  return p;
}
