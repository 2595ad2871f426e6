/**
 * @module catalog/result
 * Durable Object RPC loses error classes (and reports thrown errors as
 * uncaught in the object), so catalog methods return failures as values.
 * `client.ts` turns them into TernErrors, once, with `unwrap`; nothing else
 * in workers/ sees a CatalogResult.
 */
import { BadRequestError, ConflictError, NotFoundError, RateLimitedError, type TernError } from "../../shared/errors.js";

export type CatalogFailureStatus = 400 | 404 | 409 | 429;
export type CatalogFailure = { ok: false; status: CatalogFailureStatus; error: string };
export type CatalogResult<T> = { ok: true; value: T } | CatalogFailure;

export function fail(status: CatalogFailureStatus, error: string): CatalogFailure {
  return { ok: false, status, error };
}

const ERRORS: Record<CatalogFailureStatus, new (message: string, options?: { cause?: unknown }) => TernError> = {
  400: BadRequestError,
  404: NotFoundError,
  409: ConflictError,
  // A workspace at its cap on concurrent runs: a slot frees within the minute, most often.
  429: class extends RateLimitedError {
    constructor(message: string, options?: { cause?: unknown }) {
      super(message, 30, options);
    }
  },
};

/** The value, or the failure as the TernError of its status (the failure, as the catalog returned it, is its `cause`). */
export function unwrap<T>(result: CatalogResult<T>): T {
  if (result.ok) return result.value;
  throw new ERRORS[result.status](result.error, { cause: result });
}
