/**
 * @module jobs/pipe-sql
 * A pipe node compiled for a job (copy or sink) of the workspace itself: the
 * live deployment's SqlContext with every datasource and pipe readable and no
 * token filters (a job runs for the workspace, not for a caller), the
 * workspace's service views ensured when the SQL reads them, and the result
 * passed through the read guard as every read is.
 */
import type { ManifestPipe } from "../../shared/deploy/manifest.js";
import type { LiveDeployment } from "../catalog/client.js";
import { SqlContext, type CompiledQuery } from "../endpoints/sql-context.js";
import type { Platform } from "../platform/platform.js";
import { ensureWorkspaceServiceViews } from "../service/workspace-views.js";

export async function compileJobPipe(
  platform: Platform,
  workspaceId: string,
  live: LiveDeployment,
  pipe: ManifestPipe,
  node: string,
  params: Record<string, string>,
): Promise<CompiledQuery & { database: string }> {
  const database = live.manifest.database;
  const ctx = new SqlContext({
    workspaceId,
    database,
    manifestId: live.id,
    manifest: live.manifest,
    scopes: [{ type: "ADMIN" }],
    params,
    checkAccess: false,
  });
  const compiled = ctx.pipeSql(pipe, node);
  if (ctx.usesServiceViews) await ensureWorkspaceServiceViews(platform.clickhouse.admin, workspaceId, database);
  await platform.clickhouse.guard.check(compiled.sql, database);
  return { ...compiled, database };
}
