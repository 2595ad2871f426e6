/**
 * @module clickhouse/errors
 * ClickHouse errors as users should read them: the exception text without the
 * stack or version suffix, and a TernError with the right status for the edge.
 */
import { ClickHouseError } from "@clickhouse/client-web";
import { BadRequestError, NotFoundError, QueryTimeoutError, RateLimitedError, UpstreamUnavailableError, type TernError } from "../../shared/errors.js";

export function clickhouseMessage(e: unknown): string {
  const raw = e instanceof Error ? e.message : String(e);
  return raw
    .replace(/\s*\(version [^)]*\)\s*$/, "")
    .replace(/\.?\s*Stack trace:[\s\S]*$/, "")
    .trim();
}

const TIMEOUT = new Set(["159", "394"]); // TIMEOUT_EXCEEDED, QUERY_WAS_CANCELLED
const TOO_MANY = new Set(["201", "202"]); // QUOTA_EXCEEDED, TOO_MANY_SIMULTANEOUS_QUERIES

/** Maps a ClickHouse failure to the error family the HTTP edge answers with. */
export function fromClickHouse(e: unknown): TernError {
  if (e instanceof ClickHouseError) {
    const message = `[Error] ${clickhouseMessage(e)}`;
    if (TIMEOUT.has(e.code)) return new QueryTimeoutError(message);
    // The workspace's ClickHouse user is at its concurrency cap or quota.
    if (TOO_MANY.has(e.code)) return new RateLimitedError(message, 1);
    // UNKNOWN_TABLE, UNKNOWN_DATABASE
    if (e.code === "60" || e.code === "81") return new NotFoundError(message);
    return new BadRequestError(message);
  }
  return new UpstreamUnavailableError(`ClickHouse is unavailable: ${clickhouseMessage(e)}`);
}
