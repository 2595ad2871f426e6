/**
 * @module write/block-log
 * `tinybird.block_log` rows: one per block an import wrote or refused (an
 * S3/GCS import writes each file as one block: workers/imports/run.ts).
 * Batched per isolate like the other service logs; a failure to log never
 * fails the import.
 */
import { BLOCK_LOG, SERVICE_DATABASE } from "../../shared/service/datasources.js";
import { createBatchWriter } from "../service/batch-writer.js";
import type { Platform } from "../platform/platform.js";

export interface BlockLogEntry {
  workspaceId: string;
  datasource: string;
  importId: string;
  jobId: string;
  /** Where the block came from (`s3://bucket/key`). */
  source: string;
  blockId: string;
  status: "done" | "error";
  rows: number;
  /** Lines that went to the quarantine. */
  quarantined: number;
  /** The format it was parsed as (`csv`, `ndjson`, `parquet`). */
  parser: string;
  bytes: number;
  processingSeconds: number;
  error?: string;
}

const writer = createBatchWriter<Record<string, unknown>>(`${SERVICE_DATABASE}.${BLOCK_LOG.name}`);

export function logBlocks(platform: Platform, entries: BlockLogEntry[], opts?: { flushMs?: number }): void {
  const now = new Date(platform.clock.now()).toISOString().replace("T", " ").replace("Z", "");
  writer.add(platform.clickhouse.admin, platform, entries.map((e) => ({
    workspace_id: e.workspaceId,
    timestamp: now,
    import_id: e.importId,
    job_id: e.jobId,
    request_id: "",
    source: e.source,
    token_id: "",
    block_id: e.blockId,
    status: e.status,
    datasource_id: e.datasource,
    datasource_name: e.datasource,
    start_offset: null,
    end_offset: null,
    rows: e.rows,
    parser: e.parser,
    quarantine_lines: e.quarantined,
    empty_lines: 0,
    bytes: e.bytes,
    processing_time: e.processingSeconds,
    processing_error: e.error ?? null,
  })), opts);
}
