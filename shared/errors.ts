/**
 * @module errors
 * One error family per failure kind. Every layer throws these; the HTTP edge maps
 * them to a status and a `{"error": "..."}` body in exactly one place
 * (workers/api/on-error.ts).
 */

export abstract class TernError extends Error {
  abstract readonly status: number;
  /** Extra headers the HTTP edge must send with this error (Retry-After, ...). */
  readonly headers: Record<string, string> = {};
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
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

export class RateLimitedError extends TernError {
  readonly status = 429;
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(message);
    this.headers["Retry-After"] = String(Math.max(1, Math.ceil(retryAfterSeconds)));
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

/** Anything unexpected: a bug. The message shown to clients stays generic. */
export class InternalError extends TernError {
  readonly status = 500;
}

export function isTernError(e: unknown): e is TernError {
  return e instanceof TernError;
}
