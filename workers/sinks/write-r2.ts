/**
 * @module sinks/write-r2
 * R2 sinks (`TYPE r2` connection, `r2://<bucket>/<prefix>`): the Worker writes
 * into its own R2 bucket (the `SINKS` binding), streaming ClickHouse's answer
 * into each object (`r2-upload.ts`: one part in memory at a time, never the
 * whole file). Per file:
 *
 * 1. one query lists the files and counts their rows (`SELECT <name>, count()
 *    … GROUP BY <name>`, or `count()` for a one-file template), so a failing
 *    SELECT fails before anything is written;
 * 2. per file, ClickHouse streams that file's rows in the sink's format
 *    (Parquet compressed inside by ClickHouse; gzip by the Worker's
 *    `CompressionStream`); an answer that ends in ClickHouse's exception block
 *    aborts its upload.
 *
 * The bucket is the deployment's, shared by its workspaces: a workspace's
 * files live under `sinks/<workspace id>/`, then the URI's prefix (dead
 * letters are under `dead-letters/`). Strategy `new` never replaces an object
 * (a name taken gets `.1`, `.2`… before its extension, as ClickHouse names
 * them); `truncate` overwrites. A run that fails or is cancelled aborts the
 * upload in flight and, with `new`, deletes the files it had finished, so no
 * partial export is left looking complete (with `truncate` the files it had
 * already replaced stay replaced).
 */
import { type BucketUri } from "../../shared/sinks/bucket-uri.js";
import type { FileNames } from "../../shared/sinks/file-template.js";
import { extensionToAppend, fileEncoding } from "../../shared/sinks/formats.js";
import type { JobRun } from "../jobs/runners.js";
import type { Platform } from "../platform/platform.js";
import { SinkCancelled, SinkFailed } from "./failures.js";
import { streamToR2, watchClickHouseBody, type R2Written } from "./r2-upload.js";
import type { SinkQuery } from "./sink-sql.js";
import type { BucketWrite } from "./write-bucket.js";

const CONTENT_TYPES = { CSVWithNames: "text/csv", JSONEachRow: "application/x-ndjson", Parquet: "application/vnd.apache.parquet" } as const;
/** A name taken this many times over is not worth another try. */
const MAX_NUMBERED = 1000;

/** Where a workspace's R2 sink files live in the shared bucket. */
export function workspaceRoot(workspaceId: string): string {
  return `sinks/${workspaceId}/`;
}

/** `a/b.csv.gz` → `a/b.1.csv.gz`: the number goes before the file name's first dot, as ClickHouse's new-file names. */
export function numberedKey(key: string, n: number): string {
  const slash = key.lastIndexOf("/");
  const dot = key.indexOf(".", slash + 1);
  return dot <= slash + 1 ? `${key}.${n}` : `${key.slice(0, dot)}.${n}${key.slice(dot)}`;
}

async function freeKey(bucket: R2Bucket, key: string): Promise<string> {
  if (!(await bucket.head(key))) return key;
  for (let n = 1; n <= MAX_NUMBERED; n++) {
    const candidate = numberedKey(key, n);
    if (!(await bucket.head(candidate))) return candidate;
  }
  throw new SinkFailed(`R2 already holds ${MAX_NUMBERED} files named like '${key}': use strategy truncate, or a template with the run's {date}`);
}

export async function writeToR2(platform: Platform, job: JobRun, signal: AbortSignal, q: SinkQuery, uri: BucketUri, names: FileNames): Promise<BucketWrite> {
  const pub = q.publication;
  const r2Bucket = platform.config.sinks.r2Bucket;
  if (uri.bucket !== r2Bucket) {
    throw new SinkFailed(`EXPORT_BUCKET_URI names R2 bucket '${uri.bucket}', but this Worker's R2 bucket (binding SINKS) is '${r2Bucket}': write r2://${r2Bucket}/…`);
  }
  const encoding = fileEncoding(pub.format, pub.compression);
  if (encoding.fileCompression === "snappy") {
    throw new SinkFailed(`EXPORT_COMPRESSION snappy is written by ClickHouse to S3 and GCS buckets only; an R2 sink of ${pub.format} files takes gzip or none`);
  }
  const bucket = platform.sinks;
  const ext = extensionToAppend(pub.fileTemplate, encoding);
  const root = workspaceRoot(job.workspaceId) + uri.prefix;
  const jobs = platform.clickhouse.jobs;
  const settings = { ...q.settings, ...encoding.settings, max_execution_time: platform.config.jobs.timeoutSeconds };
  await platform.clickhouse.guard.sandbox();
  const checkCancel = () => {
    if (signal.aborted) throw new SinkCancelled("The sink was cancelled");
  };

  const listing =
    names.kind === "one"
      ? `SELECT '' AS name, count() AS rows FROM (\n${q.sql}\n)`
      : `SELECT ${names.expression} AS name, count() AS rows FROM (\n${q.sql}\n) GROUP BY name ORDER BY name`;
  const files = (await (
    await jobs.query({ query: listing, format: "JSONEachRow", query_id: job.queryId, ...(q.queryParams ? { query_params: q.queryParams } : {}), clickhouse_settings: settings, abort_signal: signal })
  ).json()) as Array<{ name: string; rows: number | string }>;

  const written: R2Written[] = [];
  let rows = 0;
  try {
    for (const file of files) {
      checkCancel();
      const name = names.kind === "one" ? names.name : file.name;
      const wanted = `${root}${name}${ext}`;
      const key = pub.strategy === "new" ? await freeKey(bucket, wanted) : wanted;
      const where = names.kind === "per_row" ? `\nWHERE (${names.expression}) = {name:String}` : "";
      const answer = await jobs.exec({
        query: `SELECT * FROM (\n${q.sql}\n)${where}\nFORMAT ${encoding.clickhouseFormat}`,
        query_id: job.queryId,
        query_params: { ...q.queryParams, ...(names.kind === "per_row" ? { name: file.name } : {}) },
        clickhouse_settings: settings,
        abort_signal: signal,
      });
      const tag = answer.response_headers["x-clickhouse-exception-tag"];
      const watched = watchClickHouseBody(answer.stream as ReadableStream<Uint8Array>, typeof tag === "string" ? tag : undefined);
      const body = encoding.fileCompression === "gzip" ? watched.stream.pipeThrough(new CompressionStream("gzip")) : watched.stream;
      written.push(
        await streamToR2(bucket, key, body, {
          contentType: encoding.fileCompression === "gzip" ? "application/gzip" : CONTENT_TYPES[encoding.clickhouseFormat],
          beforeFinish: () => {
            const failure = watched.failure();
            if (failure) throw new SinkFailed(`[Error] ${failure}`);
            checkCancel();
          },
        }),
      );
      rows += Number(file.rows);
    }
  } catch (e) {
    // Finished files of a run that did not finish are not an export: they go (those `truncate` replaced cannot come back).
    if (pub.strategy === "new" && written.length > 0) await bucket.delete(written.map((w) => w.key)).catch(() => undefined);
    throw e;
  }
  return {
    statistics: { rows, bytes: written.reduce((n, w) => n + w.bytes, 0), files: written.length, parts: written.reduce((n, w) => n + w.parts, 0) },
    files: written.map((w) => w.key),
  };
}
