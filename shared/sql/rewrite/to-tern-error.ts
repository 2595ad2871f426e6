/**
 * Maps SQL-layer error values to the shared HTTP error family, for callers
 * that prefer to throw. Unknown resources are 404 and refused ones 403, as
 * for every other resource in the API; everything else is the caller's SQL (400).
 *
 * @module
 */
import { BadRequestError, ForbiddenError, NotFoundError, type TernError } from "../../errors.js";
import type { SqlError } from "./errors.js";

export function toTernError(error: SqlError): TernError {
  const message = error.node === undefined ? error.message : `${error.message} (node '${error.node}')`;
  if (error.code === "not_found") return new NotFoundError(message);
  if (error.code === "forbidden") return new ForbiddenError(message);
  return new BadRequestError(message);
}
