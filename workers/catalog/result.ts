/**
 * @module catalog/result
 * Durable Object RPC loses error classes (and reports thrown errors as
 * uncaught in the object), so catalog methods return failures as values and
 * the caller turns them into TernErrors with `unwrap`.
 */
import { BadRequestError, ConflictError, NotFoundError, type TernError } from "../../shared/errors.js";

export type CatalogFailureStatus = 400 | 404 | 409;
export type CatalogResult<T> = { ok: true; value: T } | { ok: false; status: CatalogFailureStatus; error: string };

export function fail(status: CatalogFailureStatus, error: string): { ok: false; status: CatalogFailureStatus; error: string } {
  return { ok: false, status, error };
}

export function unwrap<T>(result: CatalogResult<T>): T {
  if (result.ok) return result.value;
  const E: new (m: string) => TernError = result.status === 404 ? NotFoundError : result.status === 409 ? ConflictError : BadRequestError;
  throw new E(result.error);
}
