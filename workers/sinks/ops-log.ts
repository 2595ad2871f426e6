/**
 * @module sinks/ops-log
 * One `tinybird.sinks_ops_log` row per sink run, batched like the other
 * service logs; a failure to log never fails the run. The row says where the
 * run wrote as the datafiles wrote it (bucket, prefix and template), never a
 * credential, and the error as the job shows it (already scrubbed).
 */
import { SERVICE_DATABASE, SINKS_OPS_LOG } from "../../shared/service/datasources.js";
import { createBatchWriter } from "../service/batch-writer.js";
import type { Platform } from "../platform/platform.js";

export interface SinkOpsEntry {
  workspaceId: string;
  jobId: string;
  pipe: string;
  trigger: string;
  /** ISO. */
  jobTimestamp: string;
  service: string;
  bucket: string;
  path: string;
  format: string;
  compression: string;
  strategy: string;
  result: "ok" | "error" | "cancelled";
  error?: string;
  elapsedSeconds: number;
  files: string[];
  rows: number;
  bytes: number;
  params: Record<string, string>;
}

const writer = createBatchWriter<Record<string, unknown>>(`${SERVICE_DATABASE}.${SINKS_OPS_LOG.name}`);

function clickhouseTime(iso: string, withMillis: boolean): string {
  const t = iso.replace("T", " ").replace("Z", "");
  return withMillis ? t : t.replace(/\.\d+$/, "");
}

export function logSinkRun(platform: Platform, e: SinkOpsEntry): void {
  const row = {
    workspace_id: e.workspaceId,
    timestamp: clickhouseTime(new Date(platform.clock.now()).toISOString(), true),
    job_id: e.jobId,
    pipe_id: e.pipe,
    pipe_name: e.pipe,
    trigger: e.trigger,
    job_timestamp: clickhouseTime(new Date(e.jobTimestamp).toISOString(), false),
    service: e.service,
    bucket: e.bucket,
    path: e.path,
    format: e.format,
    compression: e.compression,
    strategy: e.strategy,
    result: e.result,
    error: e.error ?? null,
    elapsed_time: e.elapsedSeconds,
    files: e.files,
    written_rows: e.rows,
    written_bytes: e.bytes,
    "Options.Names": Object.keys(e.params),
    "Options.Values": Object.values(e.params),
  };
  // A queue consumer's batch waits for its waitUntil: write now.
  writer.add(platform.clickhouse.admin, platform, [row], { flushMs: 0 });
}
