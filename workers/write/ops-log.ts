/**
 * @module write/ops-log
 * One `tinybird.datasources_ops_log` row per ingest operation (events batch,
 * append, replace, truncate, delete, and copy runs from workers/copies). Written off the hot path and batched per
 * isolate (one insert per FLUSH_MS instead of one per request: every insert is
 * a part ClickHouse must merge); a failure to log never fails the operation.
 */
import { DATASOURCES_OPS_LOG, SERVICE_DATABASE } from "../../shared/service/datasources.js";
import { createBatchWriter } from "../service/batch-writer.js";
import type { Platform } from "../platform/platform.js";

export interface OpsLogEntry {
  workspaceId: string;
  eventType: "append-hfi" | "append" | "replace" | "truncate" | "delete" | "create" | "copy";
  datasource: string;
  result: "ok" | "error";
  elapsedSeconds: number;
  error?: string;
  requestId?: string;
  importId?: string;
  jobId?: string;
  rows: number;
  rowsQuarantine: number;
  writtenBytes?: number;
  writtenBytesQuarantine?: number;
  options?: Record<string, string>;
  /** The pipe that wrote the rows (a copy). */
  pipe?: string;
  readRows?: number;
  readBytes?: number;
}

function toRow(e: OpsLogEntry, now: string): Record<string, unknown> {
  return {
    workspace_id: e.workspaceId,
    timestamp: now,
    event_type: e.eventType,
    datasource_id: e.datasource,
    datasource_name: e.datasource,
    result: e.result,
    elapsed_time: e.elapsedSeconds,
    error: e.error ?? null,
    request_id: e.requestId ?? "",
    import_id: e.importId ?? "",
    job_id: e.jobId ?? null,
    rows: e.rows,
    rows_quarantine: e.rowsQuarantine,
    blocks_ids: [],
    "Options.Names": Object.keys(e.options ?? {}),
    "Options.Values": Object.values(e.options ?? {}),
    operation_id: e.importId ?? e.jobId ?? "",
    read_rows: e.readRows ?? 0,
    read_bytes: e.readBytes ?? 0,
    written_rows: e.result === "ok" ? e.rows : 0,
    written_bytes: e.writtenBytes ?? 0,
    written_rows_quarantine: e.rowsQuarantine,
    written_bytes_quarantine: e.writtenBytesQuarantine ?? 0,
    pipe_id: e.pipe ?? "",
    pipe_name: e.pipe ?? "",
    release: "",
    resource_tags: [],
    cpu_time: 0,
  };
}

const writer = createBatchWriter<Record<string, unknown>>(`${SERVICE_DATABASE}.${DATASOURCES_OPS_LOG.name}`);

/** Queues entries for the next batched write (one insert per window per isolate; `flushMs: 0` writes now). */
export function logOps(platform: Platform, entries: OpsLogEntry[], opts?: { flushMs?: number }): void {
  const now = new Date(platform.clock.now()).toISOString().replace("T", " ").replace("Z", "");
  writer.add(platform.clickhouse.admin, platform, entries.map((e) => toRow(e, now)), opts);
}
