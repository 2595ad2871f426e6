/**
 * @module ingest/ops-log
 * One `tinybird.datasources_ops_log` row per ingest operation (events batch,
 * append, replace, truncate, delete). Written off the hot path and batched per
 * isolate (one insert per FLUSH_MS instead of one per request: every insert is
 * a part ClickHouse must merge); a failure to log never fails the operation.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { DATASOURCES_OPS_LOG, SERVICE_DATABASE } from "../../shared/service/datasources.js";
import { ensureServiceTables } from "../service/tables.js";

export interface OpsLogEntry {
  workspaceId: string;
  eventType: "append-hfi" | "append" | "replace" | "truncate" | "delete" | "create";
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
}

export async function writeOpsLog(ch: ClickHouseClient, entries: OpsLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await ensureServiceTables(ch);
  const now = new Date().toISOString().replace("T", " ").replace("Z", "");
  await ch.insert({
    table: `${SERVICE_DATABASE}.${DATASOURCES_OPS_LOG.name}`,
    format: "JSONEachRow",
    values: entries.map((e) => ({
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
      read_rows: 0,
      read_bytes: 0,
      written_rows: e.result === "ok" ? e.rows : 0,
      written_bytes: e.writtenBytes ?? 0,
      written_rows_quarantine: e.rowsQuarantine,
      written_bytes_quarantine: e.writtenBytesQuarantine ?? 0,
      pipe_id: "",
      pipe_name: "",
      release: "",
      resource_tags: [],
      cpu_time: 0,
    })),
  });
}

const FLUSH_MS = 500;
const MAX_BUFFER = 5_000;
let buffer: OpsLogEntry[] = [];
let flushing = false;

/** Queues entries; the first call in a window schedules the flush on `ctx`. */
export function logOps(ch: ClickHouseClient, ctx: { waitUntil(p: Promise<unknown>): void }, entries: OpsLogEntry[]): void {
  if (entries.length === 0) return;
  buffer.push(...entries);
  if (buffer.length > MAX_BUFFER) buffer = buffer.slice(-MAX_BUFFER);
  if (flushing) return;
  flushing = true;
  ctx.waitUntil(
    (async () => {
      await new Promise((r) => setTimeout(r, FLUSH_MS));
      const batch = buffer;
      buffer = [];
      flushing = false;
      await writeOpsLog(ch, batch).catch((e) => console.error(`ops log: ${e instanceof Error ? e.message : e}`));
    })(),
  );
}
