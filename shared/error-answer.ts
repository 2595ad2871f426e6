/**
 * @module error-answer
 * The one mapping from a failure to its HTTP answer: status, Tinybird's
 * `{"error": message}` body, and headers. The Worker sends it
 * (`workers/api/on-error.ts`); the endpoint stats row (`pipe_stats_rt`)
 * records the same status and message. Runtime-free, so the mapping is a
 * plain conformance table in `test/unit/errors/`.
 *
 * - A TernError answers its status and message (and its `details`, fields
 *   Tinybird's answer has beside `error`), plus the headers its call
 *   added (`X-RateLimit-*`), `Retry-After` when it is a rate limit, and
 *   `X-DB-Exception-Code` when ClickHouse refused (clickhouse-js reads it).
 * - An InternalError, a ConfigError and anything that is not a TernError is
 *   a 500 with a generic message: what went wrong is for the log, not the caller.
 * - Every 5xx is logged (`log`), with its cause chain (`describeError`).
 */
import { ConfigError, InternalError, RateLimitedError, TernError } from "./errors.js";

export interface ErrorAnswer {
  status: number;
  /** `{"error": message}`, with the error's `details` beside it when it has any. */
  body: { error: string; [field: string]: unknown };
  headers: Record<string, string>;
  /** A bug, a misconfiguration or an outage: the operator must see it. */
  log: boolean;
}

export const INTERNAL_ERROR_MESSAGE = "Internal server error";
export const CONFIG_ERROR_MESSAGE = "The server is misconfigured; see its logs.";

export function errorAnswer(e: unknown): ErrorAnswer {
  if (e instanceof ConfigError) return { status: 500, body: { error: CONFIG_ERROR_MESSAGE }, headers: {}, log: true };
  if (!(e instanceof TernError) || e instanceof InternalError) return { status: 500, body: { error: INTERNAL_ERROR_MESSAGE }, headers: {}, log: true };
  const headers = { ...e.headers };
  if (e instanceof RateLimitedError) headers["Retry-After"] = String(Math.max(1, Math.ceil(e.retryAfterSeconds)));
  if (e.clickhouse) headers["X-DB-Exception-Code"] = e.clickhouse.code;
  // `error` is always the message, whatever the details hold.
  return { status: e.status, body: { ...e.details, error: e.message }, headers, log: e.status >= 500 };
}
