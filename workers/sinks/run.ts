/**
 * @module sinks/run
 * A sink run (the `sink` job runner, registered in register.ts): the sink's
 * guarded SELECT (sink-sql.ts), its file names from EXPORT_FILE_TEMPLATE
 * against the result's columns, its destination from the connection with
 * `tb_secret` resolved from the workspace's secrets, then the Worker's, then the files: written by
 * ClickHouse for S3 and GCS (write-bucket.ts), streamed by the Worker into R2
 * (write-r2.ts). Every run, ok or not, is a `tinybird.sinks_ops_log` row.
 *
 * A redelivered run (`job.attempt > 1`, the Worker stopped mid-run) writes
 * again: with `truncate` over the same names; with `new`, if the first
 * attempt had finished its files before the Worker stopped, beside them (`.1`).
 */
import { parseBucketUri, type BucketUri } from "../../shared/sinks/bucket-uri.js";
import { sinkDestination, type SinkDestination } from "../../shared/sinks/destination.js";
import { parseFileTemplate, planFileNames, type ResultColumn } from "../../shared/sinks/file-template.js";
import type { JobRunner, JobStatistics } from "../jobs/runners.js";
import type { Platform } from "../platform/platform.js";
import { isCancellation, sinkFailure, SinkCancelled, SinkFailed } from "./failures.js";
import { logSinkRun } from "./ops-log.js";
import { jobTimestampParam, kafkaSinkPipe, sinkPipe, sinkQuery, type SinkQuery } from "./sink-sql.js";
import { kafkaTarget, writeToKafka } from "./write-kafka.js";
import { compileJobPipe } from "../jobs/pipe-sql.js";
import { writeWithClickHouse } from "./write-bucket.js";
import { writeToR2 } from "./write-r2.js";

async function resultColumns(platform: Platform, q: SinkQuery, queryId: string): Promise<ResultColumn[]> {
  // The jobs client runs in the empty sandbox database: every name in the sink's SQL is qualified.
  await platform.clickhouse.guard.sandbox();
  const rs = await platform.clickhouse.jobs.query({ query: `DESCRIBE TABLE (\n${q.sql}\n)`, format: "JSONEachRow", query_id: queryId, ...(q.queryParams ? { query_params: q.queryParams } : {}) });
  return ((await rs.json()) as Array<{ name: string; type: string }>).map(({ name, type }) => ({ name, type }));
}

function ok<T>(r: { ok: true } & T | { ok: false; message: string }): T {
  if (!r.ok) throw new SinkFailed(r.message);
  return r;
}

export const runSinkJob: JobRunner = async (platform, job, signal) => {
  const started = platform.clock.now();
  const live = await platform.catalog.liveDeployment(job.workspaceId);
  const params = { ...job.params, job_timestamp: jobTimestampParam(job.jobTimestamp) };
  // What the log and the error may name: set as soon as the pipe is known.
  const where = { service: "", bucket: "", path: "", connection: "", format: "", compression: "", strategy: "" };
  let secrets: string[] = [];
  const log = (result: "ok" | "error" | "cancelled", stats: JobStatistics, files: string[], error?: string) =>
    logSinkRun(platform, {
      workspaceId: job.workspaceId, jobId: job.record.id, pipe: job.pipe, trigger: job.trigger, jobTimestamp: job.jobTimestamp,
      service: where.service, bucket: where.bucket, path: where.path, format: where.format, compression: where.compression,
      strategy: where.strategy, result, ...(error === undefined ? {} : { error }), elapsedSeconds: (platform.clock.now() - started) / 1000,
      files, rows: stats.rows, bytes: stats.bytes, params: job.params,
    });
  try {
    const kafka = kafkaSinkPipe(live, job.pipe);
    if (kafka) {
      // Kafka sinks (./write-kafka.ts): ClickHouse produces one JSON message per row into the topic.
      Object.assign(where, { service: "kafka", connection: kafka.connection.name, bucket: kafka.publication.topic, format: "ndjson", compression: "none", strategy: "" });
      const known = { ...platform.config.secrets, ...(await platform.catalog.workspace(job.workspaceId).secretValues()) };
      const target = kafkaTarget(kafka.publication, kafka.connection, known);
      secrets = target.secrets;
      Object.assign(where, { bucket: target.topic, path: target.bootstrapServers });
      const q = await compileJobPipe(platform, job.workspaceId, live!, kafka.pipe, kafka.publication.node, params);
      secrets = [...secrets, ...q.secretValues];
      if (signal.aborted) throw new SinkCancelled("The sink was cancelled");
      const statistics = await writeToKafka(platform, job, signal, q, target);
      log("ok", statistics, []);
      return statistics;
    }
    const { publication: declared, connection } = sinkPipe(live, job.pipe);
    // `_mode` of an on-demand run chooses this run's strategy.
    const strategy = job.options.strategy === "new" || job.options.strategy === "truncate" ? job.options.strategy : declared.strategy;
    const publication = { ...declared, strategy };
    Object.assign(where, {
      bucket: publication.bucketUri, path: publication.fileTemplate, connection: connection.name,
      format: publication.format, compression: publication.compression, strategy: publication.strategy, service: connection.connection.type,
    });
    const uri: BucketUri = ok(parseBucketUri(publication.bucketUri)).uri;
    Object.assign(where, { bucket: uri.bucket, path: `${uri.prefix}${publication.fileTemplate}` });
    // tb_secret: the workspace's secrets first, the operator's TERN_SECRET_<NAME> vars as the fallback.
    const known = { ...platform.config.secrets, ...(await platform.catalog.workspace(job.workspaceId).secretValues()) };
    const destination: SinkDestination = ok(sinkDestination(connection, uri, known)).destination;
    if (destination.service !== "r2") secrets = [destination.credentials.accessKeyId, destination.credentials.secretAccessKey];
    const template = ok(parseFileTemplate(publication.fileTemplate)).parts;

    const q = { ...(await sinkQuery(platform, job.workspaceId, live, job.pipe, params)), publication };
    secrets = [...secrets, ...q.secretValues];
    if (signal.aborted) throw new SinkCancelled("The sink was cancelled");
    const names = ok(planFileNames(template, await resultColumns(platform, q, job.queryId), new Date(job.jobTimestamp))).names;
    const written = destination.service === "r2"
      ? await writeToR2(platform, job, signal, q, uri, names)
      : await writeWithClickHouse(platform, job, signal, q, uri, destination, names);
    log("ok", written.statistics, written.files);
    return written.statistics;
  } catch (e) {
    const ctx = { pipe: job.pipe, service: where.service, bucket: where.bucket, connection: where.connection, secrets };
    // A cancel kills the query (its error may come before the signal, which the runtime's watch aborts).
    const cancelled = signal.aborted || isCancellation(e);
    const error = cancelled ? new SinkCancelled(`The sink '${job.pipe}' was cancelled; no file of this run was left half written`) : sinkFailure(e, ctx);
    log(cancelled ? "cancelled" : "error", { rows: 0, bytes: 0 }, [], error.message);
    throw error;
  }
};
