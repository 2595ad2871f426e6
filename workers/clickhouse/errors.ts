/**
 * @module clickhouse/errors
 * The boundary where ClickHouse failures join the error family: the
 * exception text as users should read it (no stack or version suffix), the
 * TernError of the right status, ClickHouse's code and name kept on it (the
 * answer's `X-DB-Exception-Code`, the logs) and the client's error as its cause.
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
const UNKNOWN = new Set(["60", "81"]); // UNKNOWN_TABLE, UNKNOWN_DATABASE

/** Maps a ClickHouse failure to the error family the HTTP edge answers with. */
export function fromClickHouse(e: unknown): TernError {
  if (e instanceof ClickHouseError) {
    const message = `[Error] ${clickhouseMessage(e)}`;
    const options = { cause: e, clickhouse: { code: e.code, type: e.type } };
    if (TIMEOUT.has(e.code)) return new QueryTimeoutError(message, options);
    // The workspace's ClickHouse user is at its concurrency cap or quota.
    if (TOO_MANY.has(e.code)) return new RateLimitedError(message, 1, options);
    if (UNKNOWN.has(e.code)) return new NotFoundError(message, options);
    return new BadRequestError(message, options);
  }
  // Not an answer from ClickHouse: the network, a proxy, a timeout of the client.
  return new UpstreamUnavailableError(`ClickHouse is unavailable: ${clickhouseMessage(e)}`, { cause: e });
}
