/**
 * @module sinks/write-bucket
 * S3 and GCS sinks: ClickHouse writes the files itself, one statement,
 *
 *   INSERT INTO FUNCTION s3('<url>', '<key>', '<secret>', '<format>', 'auto', '<compression>')
 *   [PARTITION BY <the template's per-row name>]
 *   SELECT * FROM (<the sink's guarded SELECT>)
 *
 * so the data never passes through the Worker. A template with row values
 * (`{customer_id}`, `{timestamp, '%Y'}`, `{8}`) becomes the `PARTITION BY` and
 * the URL's `{_partition_id}`: one file per name. Strategy `new` never
 * replaces a file (`s3_create_new_file_on_insert`: a name already taken gets
 * `.1`, `.2`… before its extension); `truncate` overwrites files of the same
 * name (`s3_truncate_on_insert`). When the statement fails or is killed,
 * ClickHouse aborts its multipart uploads and finishes no file, so a failed
 * run leaves no file half written.
 */
import type { BucketUri } from "../../shared/sinks/bucket-uri.js";
import { objectUrl } from "../../shared/sinks/bucket-uri.js";
import type { FileNames } from "../../shared/sinks/file-template.js";
import { extensionToAppend, fileEncoding } from "../../shared/sinks/formats.js";
import type { SinkDestination } from "../../shared/sinks/destination.js";
import { quoteString } from "../../shared/sql/ddl/index.js";
import type { JobRun, JobStatistics } from "../jobs/runners.js";
import type { Platform } from "../platform/platform.js";
import type { SinkQuery } from "./sink-sql.js";
import { writtenSummary } from "../clickhouse/summary.js";

export interface BucketWrite {
  statistics: JobStatistics;
  /** The keys written, when one statement writes one known name. */
  files: string[];
}

/**
 * Rows and bytes ClickHouse wrote, from its `X-ClickHouse-Summary` answer
 * header (client-web does not read it into `summary`); bytes as ClickHouse
 * counts them, before the file's format and compression.
 */
export async function writeWithClickHouse(
  platform: Platform,
  job: JobRun,
  signal: AbortSignal,
  q: SinkQuery,
  uri: BucketUri,
  destination: Exclude<SinkDestination, { service: "r2" }>,
  names: FileNames,
): Promise<BucketWrite> {
  const pub = q.publication;
  const encoding = fileEncoding(pub.format, pub.compression);
  const ext = extensionToAppend(pub.fileTemplate, encoding);
  const key = `${uri.prefix}${names.kind === "one" ? names.name : "{_partition_id}"}${ext}`;
  const endpoints = { s3: platform.config.sinks.s3Endpoint, gcs: platform.config.sinks.gcsEndpoint };
  const url = objectUrl(uri, key, endpoints, destination.service === "s3" ? destination.region : undefined);
  const { accessKeyId, secretAccessKey } = destination.credentials;
  const target =
    `s3(${quoteString(url)}, ${quoteString(accessKeyId)}, ${quoteString(secretAccessKey)}, ` +
    `${quoteString(encoding.clickhouseFormat)}, 'auto', ${quoteString(encoding.fileCompression)})`;
  const partition = names.kind === "per_row" ? `\nPARTITION BY ${names.expression}` : "";
  // The jobs client runs in the empty sandbox database: every name in the sink's SQL is qualified.
  await platform.clickhouse.guard.sandbox();
  const result = await platform.clickhouse.jobs.command({
    query: `INSERT INTO FUNCTION ${target}${partition}\nSELECT * FROM (\n${q.sql}\n)`,
    query_id: job.queryId,
    ...(q.queryParams ? { query_params: q.queryParams } : {}),
    clickhouse_settings: {
      ...q.settings,
      ...encoding.settings,
      max_execution_time: platform.config.jobs.timeoutSeconds,
      ...(pub.strategy === "truncate" ? { s3_truncate_on_insert: 1 } : { s3_create_new_file_on_insert: 1 }),
    },
    abort_signal: signal,
  });
  const summary = writtenSummary(result.response_headers["x-clickhouse-summary"]);
  const rows = summary.rows;
  const bytes = summary.bytes;
  // With `new`, a name already taken was written as `.1`…: ClickHouse does not say which.
  const files = names.kind === "one" && pub.strategy === "truncate" ? [key] : [];
  return { statistics: { rows, bytes }, files };
}
