/**
 * @module jobs/jobs-log
 * One `tinybird.jobs_log` row per job when it ends, batched per isolate like
 * the other service logs; a failure to log never fails the job.
 */
import { JOBS_LOG, SERVICE_DATABASE } from "../../shared/service/datasources.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";
import type { Platform } from "../platform/platform.js";
import { createBatchWriter } from "../service/batch-writer.js";

const writer = createBatchWriter<Record<string, unknown>>(`${SERVICE_DATABASE}.${JOBS_LOG.name}`);

/** ClickHouse DateTime64 text from an ISO timestamp. */
function chTime(iso: string): string {
  return iso.replace("T", " ").replace("Z", "");
}

export function jobsLogRow(workspaceId: string, job: JobRecord): Record<string, unknown> {
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : Number(v ?? 0) || 0);
  return {
    workspace_id: workspaceId,
    job_id: job.id,
    job_type: job.kind,
    status: job.status,
    created_at: chTime(job.created_at),
    updated_at: chTime(job.updated_at),
    started_at: job.started_at ? chTime(job.started_at) : null,
    pipe_id: job.pipe ?? "",
    pipe_name: job.pipe ?? "",
    datasource_id: job.datasource ?? "",
    datasource_name: job.datasource ?? "",
    elapsed_time: num(job.statistics.elapsed),
    rows: Math.max(0, Math.trunc(num(job.statistics.rows))),
    bytes: Math.max(0, Math.trunc(num(job.statistics.bytes))),
    error: job.error,
    job_metadata: JSON.stringify(job.details),
  };
}

/** Queues the row of an ended job (`flushMs: 0` from a queue consumer, whose batch waits on it). */
export function logJob(platform: Platform, workspaceId: string, job: JobRecord, opts?: { flushMs?: number }): void {
  writer.add(platform.clickhouse.admin, platform, [jobsLogRow(workspaceId, job)], opts);
}
