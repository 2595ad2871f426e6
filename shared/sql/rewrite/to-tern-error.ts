/**
 * The boundary where SQL-layer error values join the error family, for
 * callers that throw. Unknown resources are 404 and refused ones 403, as for
 * every other resource in the API; everything else is the caller's SQL (400).
 * The value itself (code, position, node) is the cause, for the logs.
 *
 * @module
 */
import { BadRequestError, ForbiddenError, NotFoundError, type TernError } from "../../errors.js";
import type { SqlError } from "./errors.js";

export function toTernError(error: SqlError): TernError {
  const message = error.node === undefined ? error.message : `${error.message} (node '${error.node}')`;
  const options = { cause: error };
  if (error.code === "not_found") return new NotFoundError(message, options);
  if (error.code === "forbidden") return new ForbiddenError(message, options);
  return new BadRequestError(message, options);
}
