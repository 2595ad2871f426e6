/**
 * @module jobs/pipe-sql
 * A pipe node compiled for a job (copy or sink) of the workspace itself: the
 * live deployment's SqlContext with every datasource and pipe readable and no
 * token filters (a job runs for the workspace, not for a caller), the
 * workspace's service views ensured when the SQL reads them, and the result
 * passed through the read guard as every read is. `tb_secret()` in its nodes
 * reads the workspace's secrets as query parameters, as an endpoint's does
 * (endpoints/pipe-secrets.ts): every statement that runs this SQL binds
 * `queryParams`, and `secretValues` are masked in what the job reports.
 */
import type { ManifestPipe } from "../../shared/deploy/manifest.js";
import type { LiveDeployment } from "../catalog/client.js";
import { SqlContext, type CompiledQuery } from "../endpoints/sql-context.js";
import type { TernError } from "../../shared/errors.js";
import { pipeSecrets } from "../endpoints/pipe-secrets.js";
import { maskSecrets } from "../endpoints/public-errors.js";
import type { Platform } from "../platform/platform.js";
import { ensureWorkspaceServiceViews } from "../service/workspace-views.js";

export interface JobQuery extends CompiledQuery {
  database: string;
  /** The secrets the SQL reads, as raw `param_<name>` values: bind them with every statement that runs it. */
  queryParams?: Record<string, string>;
  /** Their values, never to appear in an error, log or job record. */
  secretValues: string[];
}

export async function compileJobPipe(
  platform: Platform,
  workspaceId: string,
  live: LiveDeployment,
  pipe: ManifestPipe,
  node: string,
  params: Record<string, string>,
): Promise<JobQuery> {
  const database = live.manifest.database;
  const secrets = await pipeSecrets(platform, workspaceId, live.id, live.manifest);
  const ctx = new SqlContext({
    workspaceId,
    database,
    manifestId: live.id,
    manifest: live.manifest,
    scopes: [{ type: "ADMIN" }],
    params,
    checkAccess: false,
    ...(secrets ? { secrets } : {}),
  });
  const compiled = ctx.pipeSql(pipe, node);
  const queryParams = ctx.queryParams();
  if (ctx.usesServiceViews) await ensureWorkspaceServiceViews(platform.clickhouse.admin, workspaceId, database);
  await platform.clickhouse.guard.check(compiled.sql, database, queryParams);
  return { ...compiled, database, ...(queryParams ? { queryParams } : {}), secretValues: ctx.secretValues() };
}

/**
 * The error a job reports, with every secret value its SQL bound as `<secret>`
 * (ClickHouse quotes a bad value back); the cause, which holds the original
 * text, is dropped when anything was masked.
 */
export function maskJobError<E extends TernError>(error: E, secretValues: readonly string[]): E {
  const message = maskSecrets(error.message, secretValues);
  if (message === error.message) return error;
  const reworded = error.reworded(message);
  reworded.cause = undefined;
  return reworded;
}
