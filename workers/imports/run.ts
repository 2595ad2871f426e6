/**
 * @module imports/run
 * An S3/GCS import run (the `s3_sync` and `gcs_sync` job runners, registered
 * in register.ts): the live deployment's datasource and its connection, the
 * key pair with `tb_secret` resolved (the workspace's secrets, then the
 * Worker's), then shared/connectors/s3-import.ts on the jobs client: every
 * file the glob matches that was not loaded or refused before is parsed whole,
 * inserted (deduplicated by path@etag) and recorded. One
 * `tinybird.datasources_ops_log` row per file (`append`, its source, rows or
 * the reason it was refused) and one `tinybird.block_log` row per file (each
 * file is one block), or one ops-log row with the reason the bucket could not
 * be listed.
 *
 * Safe to run again for one job (a queue redelivery, a tick fired twice): the
 * files already recorded are skipped, and an insert repeated after a crash
 * before its record is dropped as a duplicate by ClickHouse.
 */
import { importFilesTableFor, importSpec, scrubSecrets } from "../../shared/connectors/import-source.js";
import { runS3Import, type ImportExecutor, type ImportFileResult } from "../../shared/connectors/s3-import.js";
import { BadRequestError } from "../../shared/errors.js";
import type { JobRunner } from "../jobs/runners.js";
import type { Platform } from "../platform/platform.js";
import { logOps, type OpsLogEntry } from "../write/ops-log.js";
import { logBlocks } from "../write/block-log.js";
import { importFailure, ImportFailed } from "./failures.js";

class ImportCancelled extends BadRequestError {}

/** SQL on the jobs client (no 30 s timeout; every name qualified), stopping between statements once cancelled. */
function executor(platform: Platform, queryId: string, signal: AbortSignal): ImportExecutor {
  const stop = () => {
    if (signal.aborted) throw new ImportCancelled("The import was cancelled; the files loaded before it stopped stay loaded and recorded");
  };
  return {
    async query(sql, settings) {
      stop();
      return (await platform.clickhouse.jobs.query({ query: sql, format: "TabSeparated", query_id: queryId, ...(settings ? { clickhouse_settings: settings as never } : {}) })).text();
    },
    async command(sql, settings) {
      stop();
      await platform.clickhouse.jobs.command({ query: sql, query_id: queryId, ...(settings ? { clickhouse_settings: settings as never } : {}) });
    },
  };
}

export const runImportJob: JobRunner = async (platform, job, signal) => {
  const started = platform.clock.now();
  const name = job.record.datasource ?? "";
  const base = { workspaceId: job.workspaceId, eventType: "append" as const, datasource: name, jobId: job.record.id, importId: job.record.id, rowsQuarantine: 0 };
  const fail = (message: string): never => {
    logOps(platform, [{ ...base, result: "error", error: message, rows: 0, elapsedSeconds: (platform.clock.now() - started) / 1000 }], { flushMs: 0 });
    throw new ImportFailed(message);
  };

  const live = await platform.catalog.liveDeployment(job.workspaceId);
  const ds = live?.manifest.datasources[name];
  if (!live || !ds?.file.import?.bucketUri) return fail(`datasource '${name}' is not an S3/GCS import datasource of the live deployment`);
  const connection = live.manifest.connections[ds.file.import.connectionName];
  if (!connection) return fail(`connection '${ds.file.import.connectionName}' is not in the live deployment`);
  const known = { ...platform.config.secrets, ...(await platform.catalog.workspace(job.workspaceId).secretValues()) };
  const resolved = importSpec({
    datasource: ds.file, connection, database: live.manifest.database, table: ds.table, filesTable: importFilesTableFor(name),
    quarantineTable: ds.quarantineTable, importId: job.record.id, secrets: known,
    endpoints: { s3: platform.config.sinks.s3Endpoint, gcs: platform.config.sinks.gcsEndpoint },
  });
  if (!resolved.ok) return fail(resolved.message);
  const { spec, uri } = resolved;
  const secrets = [spec.accessKey, spec.secret];
  const ctx = { datasource: name, bucket: uri.bucket, connection: connection.name, service: uri.scheme, secrets };

  const scheme = uri.scheme === "gcs" ? "gs" : "s3";
  // A refused file is an error with its reason; a loaded one whose lines partly went to the quarantine
  // is ok, with the count and the first line's reasons.
  const said = (r: ImportFileResult) =>
    r.status === "error" ? scrubSecrets(r.error, secrets) : r.quarantined > 0 ? `${r.quarantined} row${r.quarantined === 1 ? "" : "s"} in quarantine: ${scrubSecrets(r.error, secrets)}` : "";
  // Logged however the run ends (done, cancelled, failed halfway): every file it finished has its rows.
  const finished: ImportFileResult[] = [];
  const logFinished = () => {
    if (finished.length === 0) return;
    const entries: OpsLogEntry[] = finished.map((r) => ({
      ...base,
      result: r.status === "loaded" ? "ok" : "error",
      ...(said(r) ? { error: `${scheme}://${r.path}: ${said(r)}` } : {}),
      rows: r.rows,
      rowsQuarantine: r.quarantined,
      readBytes: r.size,
      elapsedSeconds: r.elapsedMs / 1000,
      options: { source: `${scheme}://${r.path}`, etag: r.etag },
    }));
    logOps(platform, entries, { flushMs: 0 });
    // Each file is one block (read whole, inserted in one block): one tinybird.block_log row each.
    logBlocks(platform, finished.map((r, i) => ({
      workspaceId: job.workspaceId, datasource: name, importId: job.record.id, jobId: job.record.id,
      source: `${scheme}://${r.path}`, blockId: `${r.path}@${r.etag}`, status: r.status === "loaded" ? "done" : "error",
      rows: r.rows, quarantined: r.quarantined, parser: spec.format, bytes: r.size, processingSeconds: r.elapsedMs / 1000,
      ...(entries[i]!.error ? { error: entries[i]!.error } : {}),
    })), { flushMs: 0 });
  };

  await platform.clickhouse.guard.sandbox();
  let results: ImportFileResult[];
  try {
    results = await runS3Import(executor(platform, job.queryId, signal), spec, () => platform.clock.now(), (r) => finished.push(r));
  } catch (e) {
    logFinished();
    if (e instanceof ImportCancelled) throw e;
    return fail(importFailure(e, ctx).message);
  }
  logFinished();
  const loaded = results.filter((r) => r.status === "loaded");
  return {
    rows: loaded.reduce((n, r) => n + r.rows, 0),
    bytes: loaded.reduce((n, r) => n + r.size, 0),
    quarantine_rows: results.reduce((n, r) => n + r.quarantined, 0),
    files: results.length,
    files_loaded: loaded.length,
    files_failed: results.length - loaded.length,
  };
};
