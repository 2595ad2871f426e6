/**
 * @module jobs/cancel
 * `POST /v0/jobs/<id>/cancel`: the catalog marks the job `cancelled` and frees
 * its pipe (a job that already ended is 409), then its ClickHouse query is
 * killed by its query id. The runner sees its query fail (and its signal
 * abort) and cleans up; the job stays `cancelled` whatever the runner then
 * reports. A copy leaves its target as it was (workers/copies).
 */
import type { Principal } from "../auth/principal.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";
import type { Platform } from "../platform/platform.js";
import { logJob } from "./jobs-log.js";

export async function cancelJob(platform: Platform, principal: Principal, id: string): Promise<JobRecord> {
  const catalog = platform.catalog.workspace(principal.workspaceId);
  const before = await catalog.getJob(id);
  const job = await catalog.cancelJob(id);
  if (before?.status === "working") {
    // The runner also stops on its own within seconds (its cancel watch); KILL stops the query now.
    await platform.clickhouse.kill(job.details.query_id ?? job.id).catch((e: unknown) => {
      console.error(`job ${job.id}: KILL QUERY failed: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
  logJob(platform, principal.workspaceId, job);
  return job;
}
