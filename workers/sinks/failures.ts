/**
 * @module sinks/failures
 * A failed sink run as its job shows it: what went wrong in words a user can
 * act on (which bucket, which connection setting to check), and never a
 * credential. The `s3()` call that ClickHouse runs carries the connection's
 * key and secret, so every text that leaves a run (the job's error, the ops
 * log, the cause kept for the Worker's log) is scrubbed of them first, and the
 * client's own error object, which holds ClickHouse's raw text, is not kept.
 */
import { BadRequestError, isTernError, type TernError } from "../../shared/errors.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

/** The run stopped: the job is `cancelled`. */
export class SinkCancelled extends BadRequestError {}

/** The run failed for a reason the user can fix (the job is `error`). */
export class SinkFailed extends BadRequestError {}

export interface FailureContext {
  pipe: string;
  /** `s3`, `gcs` or `r2`. */
  service: string;
  bucket: string;
  connection: string;
  /** Values that must never appear in a message (key id, secret). */
  secrets: readonly string[];
}

const HIDDEN = "[hidden]";

/** `text` with every secret replaced. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length > 0) out = out.split(s).join(HIDDEN);
  }
  return out;
}

const SETTINGS: Record<string, string> = { s3: "S3_ACCESS_KEY and S3_SECRET", gcs: "GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET" };

/** What to do, by what the bucket (through ClickHouse) answered. */
function advice(raw: string, ctx: FailureContext): string | undefined {
  const keys = `connection '${ctx.connection}' (${SETTINGS[ctx.service] ?? "its credentials"})`;
  if (/InvalidAccessKeyId|access key id you provided does not exist/i.test(raw)) {
    return `bucket '${ctx.bucket}' does not know the access key of ${keys}: check the key, or the secret it comes from`;
  }
  if (/SignatureDoesNotMatch|Failed to check existence of key.*HTTP response code: 403|HTTP response code: 403, error type: ACCESS_DENIED/is.test(raw)) {
    return `bucket '${ctx.bucket}' refused the credentials of ${keys} (HTTP 403): a wrong secret is refused like this; check the key and the secret, and that the key may read and write the bucket`;
  }
  if (/Access ?Denied/i.test(raw)) {
    return `bucket '${ctx.bucket}' refused the write (Access Denied): give the key of connection '${ctx.connection}' permission to write objects there (s3:PutObject), or choose another bucket`;
  }
  if (/NoSuchBucket|bucket does not exist/i.test(raw)) {
    return `bucket '${ctx.bucket}' does not exist (or is not on the endpoint the ${ctx.service === "gcs" ? "gs" : "s3"}:// URI reaches): create it, or correct EXPORT_BUCKET_URI`;
  }
  if (/Connection refused|Couldn't resolve host|Timeout|timed out|Poco::Exception/i.test(raw)) {
    return `the bucket's endpoint could not be reached from ClickHouse; check EXPORT_BUCKET_URI and, off AWS, TERN_S3_ENDPOINT`;
  }
  return undefined;
}

/** ClickHouse's answer to `KILL QUERY` (code 394), as an error or as the block that ended a streamed answer. */
export function isCancellation(e: unknown): boolean {
  if (e instanceof SinkCancelled) return true;
  if (isTernError(e) && e.clickhouse?.code === "394") return true;
  if (typeof e === "object" && e !== null && (e as { code?: unknown }).code === "394") return true;
  const text = e instanceof Error ? e.message : String(e);
  return /QUERY_WAS_CANCELLED|Query was cancelled/i.test(text);
}

/** The error a failed run ends its job with. */
export function sinkFailure(e: unknown, ctx: FailureContext): TernError {
  const raw = scrub(isTernError(e) ? e.message : clickhouseMessage(e), ctx.secrets);
  if (isTernError(e) && !e.message.startsWith("[Error]")) {
    // Tern's own refusals (a template, the guard, a missing column) already say what to do.
    return e.message === raw ? e : new SinkFailed(raw, { cause: new Error(raw) });
  }
  const said = raw.replace(/^\[Error\]\s*/, "");
  const what = advice(said, ctx);
  const message = what
    ? `The sink '${ctx.pipe}' could not write its files: ${what}. The bucket said: ${said}`
    : `The sink '${ctx.pipe}' failed in ClickHouse: ${said}`;
  // The cause is a scrubbed copy, never the client's error (its text is ClickHouse's, unscrubbed).
  const clickhouse = isTernError(e) ? e.clickhouse : undefined;
  return new SinkFailed(message, { cause: new Error(said), ...(clickhouse ? { clickhouse } : {}) });
}
