/**
 * @module errors
 * One error family: every failure that reaches a caller is a `TernError`
 * subclass, made at the boundary where it was found (ClickHouse, the template
 * renderer, the SQL rewriter, a validator, the config) with what it wraps as
 * its `cause`. What the HTTP answer is (status, `{"error": ...}` body,
 * headers) is decided once, from these fields, in `error-answer.ts`; the
 * Worker's `api/on-error.ts` only sends it.
 *
 * @example
 * ```ts
 * try { await client.query(...) } catch (e) { throw new BadRequestError("[Error] ...", { cause: e, clickhouse: { code: "47", type: "UNKNOWN_IDENTIFIER" } }) }
 * ```
 */

/** What ClickHouse said when it refused: its error code (`"47"`) and name (`"UNKNOWN_IDENTIFIER"`). */
export interface ClickHouseCode {
  code: string;
  /** Absent when the client could not read it from the exception text. */
  type: string | undefined;
}

export interface TernErrorOptions {
  /** What this error was made from (a ClickHouse error, a template error, a validator's issues): the logs show it. */
  cause?: unknown;
  /** Set when ClickHouse refused: answered as `X-DB-Exception-Code` and kept for the logs. */
  clickhouse?: ClickHouseCode;
  /** Fields Tinybird's answer carries beside `error` (a refused deploy's `result` and `errors`). */
  details?: Readonly<Record<string, unknown>>;
}

export abstract class TernError extends Error {
  abstract readonly status: number;
  /**
   * Headers the failing call adds to its answer, whatever the outcome (the
   * rate-limit state, `X-RateLimit-*`). Headers that follow from the error
   * itself (Retry-After, X-DB-Exception-Code) are derived in error-answer.ts.
   */
  readonly headers: Record<string, string> = {};
  readonly clickhouse: ClickHouseCode | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(message: string, options: TernErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.clickhouse = options.clickhouse;
    this.details = options.details;
  }

  /**
   * The same failure in other words, for another audience (a caller who may
   * not see physical table names): same class, status, headers and ClickHouse
   * code, and this error as its cause, so the logs keep what the caller was
   * not told. Errors may be shared between requests (a cached failure), so
   * they are reworded, never edited.
   */
  reworded(message: string): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    // Own fields: status, name, clickhouse, details, and a subclass's own (retryAfterSeconds, ...).
    Object.assign(copy, this);
    Object.defineProperties(copy, {
      message: { value: message, writable: true, configurable: true },
      cause: { value: this, writable: true, configurable: true },
      headers: { value: { ...this.headers }, writable: true, enumerable: true, configurable: true },
      stack: { value: `${this.name}: ${message}`, writable: true, configurable: true },
    });
    return copy;
  }
}

/** The request is malformed: bad parameter, bad body, bad SQL for the context. */
export class BadRequestError extends TernError {
  readonly status = 400;
}

/** No token, or a token that is not valid. */
export class UnauthorizedError extends TernError {
  readonly status = 401;
}

/** A valid token that lacks the scope this operation needs, or an expired/forged JWT. */
export class ForbiddenError extends TernError {
  readonly status = 403;
}

export class NotFoundError extends TernError {
  readonly status = 404;
}

export class MethodNotAllowedError extends TernError {
  readonly status = 405;
}

export class ConflictError extends TernError {
  readonly status = 409;
}

export class PayloadTooLargeError extends TernError {
  readonly status = 413;
}

/** A limit is exhausted; the answer says when to retry (Retry-After, at least 1 s). */
export class RateLimitedError extends TernError {
  readonly status = 429;
  constructor(message: string, readonly retryAfterSeconds: number, options?: TernErrorOptions) {
    super(message, options);
  }
}

/** The query ran past its time budget. */
export class QueryTimeoutError extends TernError {
  readonly status = 408;
}

/** ClickHouse (or another dependency) is unreachable or failing. */
export class UpstreamUnavailableError extends TernError {
  readonly status = 503;
}

/** Anything unexpected: a bug. Clients read a generic message; the message and cause go to the log. */
export class InternalError extends TernError {
  readonly status = 500;
}

/** The Worker's configuration (vars, secrets) is invalid: the operator's to fix, so only the log says what. */
export class ConfigError extends InternalError {}

export function isTernError(e: unknown): e is TernError {
  return e instanceof TernError;
}

/** A validator's refusal (zod's `safeParse` error has this shape). */
export interface Refusal {
  issues: readonly { message: string }[];
}

/**
 * The boundary where a validator's refusal of a request joins the family: a
 * 400 with its first issue's message (what Tinybird answers), the whole
 * refusal as the cause.
 */
export function invalidRequest(refusal: Refusal): BadRequestError {
  return new BadRequestError(refusal.issues[0]?.message ?? "The request is not valid", { cause: refusal });
}

/** Causes are followed this deep at most (a cycle, or a chain nobody will read). */
const MAX_CAUSES = 8;

/**
 * A failure for the log: each error of its cause chain on one line (class,
 * ClickHouse code and name when there is one, message), then the stack frames
 * of the innermost error that has some (where it went wrong).
 */
export function describeError(e: unknown): string {
  const lines: string[] = [];
  let frames: string[] = [];
  let current: unknown = e;
  for (let depth = 0; current !== undefined && current !== null && depth < MAX_CAUSES; depth++) {
    lines.push(`${depth === 0 ? "" : "caused by: "}${oneLine(current)}`);
    const own = current instanceof Error ? stackFrames(current) : [];
    if (own.length > 0) frames = own;
    current = current instanceof Error ? current.cause : typeof current === "object" && "cause" in current ? current.cause : undefined;
  }
  return [...lines, ...frames].join("\n");
}

/** The `    at ...` lines of a stack (V8's format, in Node and workerd); the message above them is already on its line. */
function stackFrames(e: Error): string[] {
  return (e.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
}

function oneLine(e: unknown): string {
  if (!(e instanceof Error)) return typeof e === "object" ? safeJson(e) : String(e);
  // Errors that keep the name "Error" (client-web's ClickHouseError) are named by their class.
  const name = e.name === "Error" && e.constructor !== Error ? e.constructor.name : e.name;
  return `${name}${codeOf(e)}: ${e.message}`;
}

/** ` [47 UNKNOWN_IDENTIFIER]`: ClickHouse's code and name (or any error's `code`, ECONNREFUSED). */
function codeOf(e: Error): string {
  const { code, type } = (e instanceof TernError ? (e.clickhouse ?? {}) : e) as { code?: unknown; type?: unknown };
  if (typeof code !== "string" && typeof code !== "number") return "";
  return ` [${code}${typeof type === "string" ? ` ${type}` : ""}]`;
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
