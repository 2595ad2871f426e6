/**
 * @module copies/run
 * A copy run (the `copy` job runner): the copy's SELECT (copy-sql.ts) into
 * its target datasource, moved by ClickHouse, never through the Worker.
 *
 * **Replace** fills a staging table shaped as the target (`CREATE TABLE … AS`)
 * and swaps it in with `EXCHANGE TABLES` (atomic in ClickHouse's Atomic
 * databases): readers see the old rows until the swap and the new ones after,
 * never an empty or half-filled target; a failed or cancelled run drops the
 * staging table and leaves the old contents.
 *
 * **Append** into a MergeTree target no materialized view reads fills the
 * same staging table, then moves its parts in (`ALTER TABLE … MOVE PARTITION …
 * TO TABLE`, metadata only). A run stopped while filling leaves the target as
 * it was, even on the local engine, whose INSERTs cannot be interrupted; a
 * redelivered run resumes where it stopped (moved partitions have left the
 * staging table), so it never writes twice. An `insert_deduplication_token`
 * alone would not do: on a parallel `INSERT … SELECT` the blocks differ from
 * one attempt to the next (measured: a repeated 1.5M-row copy with the same
 * token landed 2,559,785 rows). A target that feeds materialized views gets
 * a plain `INSERT … SELECT` with the run's token instead, so its views see
 * the rows; a run cancelled halfway may then leave what was already inserted.
 *
 * The phase is kept in the job's statistics (`phase`, `staging_uuid`) so a
 * redelivery knows where the previous attempt stopped.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { copyColumns, type TargetColumn } from "../../shared/deploy/copy-columns.js";
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../../shared/sql/ddl/index.js";
import { BadRequestError, TernError } from "../../shared/errors.js";
import { clickhouseMessage, fromClickHouse } from "../clickhouse/errors.js";
import type { JobRun, JobRunner, JobStatistics } from "../jobs/runners.js";
import type { Platform } from "../platform/platform.js";
import { logOps } from "../write/ops-log.js";
import { copyQuery, jobTimestampParam, type CopyQuery } from "./copy-sql.js";

type Phase = "filling" | "moving" | "exchanging";

class CopyCancelled extends BadRequestError {}

/** The staging table of a run: beside the target, named by the job so a redelivery finds it. */
export function stagingTable(target: string, jobId: string): string {
  return `${target}__copy_${jobId.replace(/[^A-Za-z0-9]/g, "").slice(0, 16)}`;
}

async function rows<T>(ch: ClickHouseClient, query: string): Promise<T[]> {
  const rs = await ch.query({ query, format: "JSONEachRow" });
  return (await rs.json()) as T[];
}

async function tableInfo(ch: ClickHouseClient, database: string, table: string): Promise<{ engine: string; uuid: string } | undefined> {
  const [row] = await rows<{ engine: string; uuid: string }>(
    ch,
    `SELECT engine, toString(uuid) AS uuid FROM system.tables WHERE database = ${quoteString(database)} AND name = ${quoteString(table)}`,
  );
  return row;
}

async function partsOf(ch: ClickHouseClient, database: string, table: string): Promise<{ partitions: string[]; rows: number; bytes: number }> {
  const list = await rows<{ partition_id: string; rows: string | number; bytes: string | number }>(
    ch,
    `SELECT partition_id, sum(rows) AS rows, sum(data_uncompressed_bytes) AS bytes FROM system.parts WHERE database = ${quoteString(database)} AND table = ${quoteString(table)} AND active GROUP BY partition_id ORDER BY partition_id`,
  );
  return {
    partitions: list.map((r) => r.partition_id),
    rows: list.reduce((n, r) => n + Number(r.rows), 0),
    bytes: list.reduce((n, r) => n + Number(r.bytes), 0),
  };
}

/** The columns the run writes, by name; a mismatch is the user's to fix, said with both lists. */
async function columnsToWrite(ch: ClickHouseClient, q: CopyQuery, pipe: string): Promise<string[]> {
  const produced = await rows<{ name: string }>(ch, `DESCRIBE TABLE (${q.sql})`);
  const target = await rows<TargetColumn>(ch, `DESCRIBE TABLE ${quoteQualifiedName(q.database, q.target.table)}`);
  const match = copyColumns(produced.map((c) => c.name), target, { pipe, datasource: q.target.name });
  if (!match.ok) throw new BadRequestError(match.message);
  return match.columns;
}

function insertSelect(into: string, q: CopyQuery, columns: string[]): string {
  const list = columns.map(quoteIdentifier).join(", ");
  return `INSERT INTO ${into} (${list}) SELECT ${list} FROM (\n${q.sql}\n)`;
}

export const runCopyJob: JobRunner = async (platform, job, signal) => {
  const started = platform.clock.now();
  const live = await platform.catalog.liveDeployment(job.workspaceId);
  const params = { ...job.params, job_timestamp: jobTimestampParam(job.jobTimestamp) };
  let q: CopyQuery | undefined;
  try {
    q = await copyQuery(platform, job.workspaceId, live, job.pipe, params);
    const mode = job.options.mode === "append" || job.options.mode === "replace" ? job.options.mode : q.publication.mode;
    const stats = await copy(platform, job, signal, q, mode, live?.manifest.objects.views ?? []);
    logOps(platform, [{
      workspaceId: job.workspaceId, eventType: "copy", datasource: q.target.name, result: "ok", pipe: job.pipe,
      elapsedSeconds: (platform.clock.now() - started) / 1000, requestId: job.queryId, jobId: job.record.id,
      rows: stats.rows, rowsQuarantine: 0, writtenBytes: stats.bytes, options: { mode, trigger: job.trigger },
    }], { flushMs: 0 });
    return stats;
  } catch (e) {
    const error = signal.aborted ? new CopyCancelled("The copy was cancelled; its target datasource was left as it was") : asTernError(e);
    logOps(platform, [{
      workspaceId: job.workspaceId, eventType: "copy", datasource: q?.target.name ?? "", result: "error", pipe: job.pipe,
      elapsedSeconds: (platform.clock.now() - started) / 1000, error: error.message, requestId: job.queryId, jobId: job.record.id,
      rows: 0, rowsQuarantine: 0,
    }], { flushMs: 0 });
    throw error;
  }
};

function asTernError(e: unknown): TernError {
  if (e instanceof TernError) return e;
  const error = fromClickHouse(e);
  // The user reads this in /v0/jobs: ClickHouse's words, with what failed.
  return new BadRequestError(`The copy failed in ClickHouse: ${clickhouseMessage(e)}`, { cause: error });
}

async function copy(
  platform: Platform,
  job: JobRun,
  signal: AbortSignal,
  q: CopyQuery,
  mode: "append" | "replace",
  views: ReadonlyArray<{ sources: string[] }>,
): Promise<JobStatistics> {
  const admin = platform.clickhouse.admin;
  const catalog = platform.catalog.workspace(job.workspaceId);
  const database = q.database;
  const target = quoteQualifiedName(database, q.target.table);
  const stagingName = stagingTable(q.target.table, job.record.id);
  const staging = quoteQualifiedName(database, stagingName);
  const previous = job.record.statistics;
  const phase = (p: Phase, extra: Record<string, string | number> = {}) => catalog.updateJob(job.record.id, { statistics: { phase: p, mode, ...extra } });
  // The jobs client runs in the empty sandbox database (every name in the copy's SQL is qualified).
  await platform.clickhouse.guard.sandbox();
  const checkCancel = () => {
    if (signal.aborted) throw new CopyCancelled("The copy was cancelled");
  };
  const settings = {
    ...q.settings,
    max_execution_time: platform.config.jobs.timeoutSeconds,
    insert_deduplication_token: job.record.id,
  };

  // A redelivered run that had reached its last step finishes it.
  if (previous.phase === "moving" && mode === "append") {
    return await moveIn(admin, database, stagingName, target, staging, previous);
  }
  if (previous.phase === "exchanging" && mode === "replace") {
    const now = await tableInfo(admin, database, q.target.table);
    if (now?.uuid !== previous.staging_uuid) await command(admin, `EXCHANGE TABLES ${target} AND ${staging}`);
    await dropQuietly(admin, staging);
    return { rows: Number(previous.rows ?? 0), bytes: Number(previous.bytes ?? 0), mode };
  }

  const columns = await columnsToWrite(admin, q, job.pipe);
  const targetInfo = await tableInfo(admin, database, q.target.table);
  const feedsViews = views.some((v) => v.sources.includes(q.target.table));
  const staged = mode === "replace" || (targetInfo?.engine.endsWith("MergeTree") === true && !feedsViews);
  checkCancel();

  if (!staged) {
    // Views read the target: one INSERT … SELECT, so they see the rows.
    await phase("filling");
    const summary = await platform.clickhouse.jobs.command({
      query: insertSelect(target, q, columns),
      query_id: job.queryId,
      clickhouse_settings: settings,
      abort_signal: signal,
    });
    return { rows: Number(summary.summary?.written_rows ?? 0), bytes: Number(summary.summary?.written_bytes ?? 0), mode };
  }

  await dropQuietly(admin, staging); // what an earlier attempt of this job left
  await command(admin, `CREATE TABLE ${staging} AS ${target}`);
  try {
    await phase("filling");
    await platform.clickhouse.jobs.command({
      query: insertSelect(staging, q, columns),
      query_id: job.queryId,
      clickhouse_settings: settings,
      abort_signal: signal,
    });
    checkCancel();
    const filled = await partsOf(admin, database, stagingName);
    if (mode === "replace") {
      const info = await tableInfo(admin, database, stagingName);
      await phase("exchanging", { staging_uuid: info?.uuid ?? "", rows: filled.rows, bytes: filled.bytes });
      checkCancel();
      await command(admin, `EXCHANGE TABLES ${target} AND ${staging}`);
      return { rows: filled.rows, bytes: filled.bytes, mode };
    }
    await phase("moving", { rows: filled.rows, bytes: filled.bytes });
    checkCancel();
    return await moveIn(admin, database, stagingName, target, staging, { rows: filled.rows, bytes: filled.bytes });
  } finally {
    // After a swap this holds the old rows; after a failure, the partial new ones.
    await dropQuietly(admin, staging);
  }
}

/** Moves every partition of the staging table into the target (each move is atomic; moved ones leave staging). */
async function moveIn(
  admin: ClickHouseClient,
  database: string,
  stagingName: string,
  target: string,
  staging: string,
  counted: Record<string, string | number>,
): Promise<JobStatistics> {
  if (await tableInfo(admin, database, stagingName)) {
    const { partitions } = await partsOf(admin, database, stagingName);
    for (const id of partitions) await command(admin, `ALTER TABLE ${staging} MOVE PARTITION ID ${quoteString(id)} TO TABLE ${target}`);
    await dropQuietly(admin, staging);
  }
  return { rows: Number(counted.rows ?? 0), bytes: Number(counted.bytes ?? 0), mode: "append" };
}

async function command(ch: ClickHouseClient, query: string): Promise<void> {
  await ch.command({ query });
}

async function dropQuietly(ch: ClickHouseClient, table: string): Promise<void> {
  await ch.command({ query: `DROP TABLE IF EXISTS ${table}` }).catch((e: unknown) => {
    console.error(`copy: could not drop ${table}: ${clickhouseMessage(e)}`);
  });
}
