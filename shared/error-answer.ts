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

/**
 * The same failure as ClickHouse's HTTP interface answers it (the Tern
 * ClickHouse interface, `docs/clickhouse-interface.md`): a text body
 * `Code: N. DB::Exception: <message>. (NAME)`, `X-ClickHouse-Exception-Code: N`,
 * and the status ClickHouse derives from the code. The code is ClickHouse's own
 * when ClickHouse refused (`clickhouse` on the error); otherwise the one a
 * ClickHouse server gives the same refusal, by the error's kind. Messages and
 * logging are decided by `errorAnswer`.
 */
export interface ClickHouseErrorAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
  log: boolean;
  code: number;
  name: string;
}

/** ClickHouse's code and name for a Tern refusal that carries none, by its HTTP status. */
const CODE_BY_STATUS: Record<number, [number, string]> = {
  400: [36, "BAD_ARGUMENTS"],
  401: [194, "REQUIRED_PASSWORD"],
  403: [497, "ACCESS_DENIED"],
  404: [60, "UNKNOWN_TABLE"],
  405: [1, "UNSUPPORTED_METHOD"],
  408: [159, "TIMEOUT_EXCEEDED"],
  409: [36, "BAD_ARGUMENTS"],
  413: [396, "TOO_MANY_ROWS_OR_BYTES"],
  429: [202, "TOO_MANY_SIMULTANEOUS_QUERIES"],
  503: [210, "NETWORK_ERROR"],
};

/** HTTP statuses ClickHouse's HTTP interface answers by error name (exceptionCodeToHTTPStatus); 500 otherwise. */
const STATUS_BY_NAME: Record<string, number> = {
  REQUIRED_PASSWORD: 401,
  UNKNOWN_USER: 403,
  WRONG_PASSWORD: 403,
  AUTHENTICATION_FAILED: 403,
  SET_NON_GRANTED_ROLE: 403,
  ACCESS_DENIED: 403,
  QUERY_IS_TOO_LARGE: 413,
  NOT_IMPLEMENTED: 501,
  SOCKET_TIMEOUT: 503,
  CANNOT_OPEN_FILE: 503,
  HTTP_LENGTH_REQUIRED: 411,
  TIMEOUT_EXCEEDED: 408,
};
const BAD_REQUEST_NAMES = /^(BAD_ARGUMENTS|CANNOT_COMPILE_REGEXP|CANNOT_PARSE_.*|DUPLICATE_COLUMN|ILLEGAL_COLUMN|UNKNOWN_ELEMENT_IN_AST|UNKNOWN_TYPE_OF_AST_NODE|THERE_IS_NO_COLUMN|TOO_DEEP_AST|TOO_BIG_AST|UNEXPECTED_AST_STRUCTURE|SYNTAX_ERROR|INCORRECT_DATA|TYPE_MISMATCH|VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE)$/;
const NOT_FOUND_NAMES = /^(UNKNOWN_(TABLE|FUNCTION|IDENTIFIER|TYPE|STORAGE|DATABASE|SETTING|DIRECTION_OF_SORTING|AGGREGATE_FUNCTION|FORMAT|DATABASE_ENGINE|TYPE_OF_QUERY|ROLE))$/;

/** The HTTP status ClickHouse answers an exception of this name with. */
export function clickhouseStatus(name: string): number {
  if (BAD_REQUEST_NAMES.test(name)) return 400;
  if (NOT_FOUND_NAMES.test(name)) return 404;
  return STATUS_BY_NAME[name] ?? 500;
}

export function clickhouseErrorAnswer(e: unknown): ClickHouseErrorAnswer {
  const answer = errorAnswer(e);
  let code: number;
  let name: string;
  if (e instanceof TernError && e.clickhouse && !(e instanceof InternalError)) {
    code = Number(e.clickhouse.code);
    name = e.clickhouse.type ?? "UNKNOWN_EXCEPTION";
  } else {
    [code, name] = CODE_BY_STATUS[answer.status] ?? [1001, "STD_EXCEPTION"];
  }
  // Tinybird's `[Error] ` prefix is not part of ClickHouse's text.
  // Drivers take the first `(UPPER_CASE)` group as the error's name: none may come before the real one.
  const message = answer.body.error
    .replace(/^\[Error\]\s*/, "")
    .replace(/\(([A-Z0-9_]*[A-Z]{3}[A-Z0-9_]*)\)/g, "$1")
    .trim();
  const body = `Code: ${code}. DB::Exception: ${message}${/[.!?]$/.test(message) ? "" : "."} (${name})\n`;
  const headers: Record<string, string> = { "X-ClickHouse-Exception-Code": String(code), "Content-Type": "text/plain; charset=UTF-8" };
  if (answer.headers["Retry-After"]) headers["Retry-After"] = answer.headers["Retry-After"];
  return { status: clickhouseStatus(name), body, headers, log: answer.log, code, name };
}
