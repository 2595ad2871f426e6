/**
 * @module endpoints/answer
 * What every endpoint and Query API call ends with: the read (`execute.ts`)
 * and its `pipe_stats_rt` row. A failed call is logged too, refusals included
 * (403 for a table or pipe outside the token's scopes, 429 past a rate limit),
 * with the status and message the caller is answered, then the error is
 * rethrown for that answer. Only 401 is not logged: without a valid token
 * there is no workspace to log the call to. A cached
 * endpoint's read goes through its cache first (`cache.ts`); the row of a call
 * answered from it says so in `parameters['__tb__cache']`.
 */
import { errorAnswer } from "../../shared/error-answer.js";
import type { Principal } from "../auth/principal.js";
import type { Platform } from "../platform/platform.js";
import { runRead } from "./execute.js";
import { CACHE_OPTION, lookupCache, type CachedReadRequest } from "./cache.js";
import { recordStats, type CallInfo, type RequestStats } from "./stats.js";

export type CallStats = Omit<RequestStats, "readRows" | "readBytes" | "resultRows" | "statusCode" | "error">;

/** Builds the read with `build`, runs it and logs the call; resolves with the response as soon as the answer starts. */
export async function answerRead(
  platform: Platform,
  principal: Principal,
  call: CallInfo,
  stats: CallStats,
  build: () => Promise<CachedReadRequest>,
): Promise<Response> {
  try {
    const req = await build();
    const cache = req.cache ? await lookupCache(platform, principal, { ...req, cache: req.cache }) : undefined;
    if (cache) stats = { ...stats, parameters: { ...stats.parameters, [CACHE_OPTION]: cache.mark } };
    if (cache?.hit) {
      recordStats(platform, principal, call, { ...stats, readRows: 0, readBytes: 0, resultRows: cache.hit.resultRows, statusCode: 200, error: false });
      return cache.hit.response;
    }
    let outcome;
    try {
      outcome = await runRead(platform, principal, req);
    } catch (e) {
      cache?.abandon();
      throw e;
    }
    recordStats(
      platform,
      principal,
      call,
      { ...stats, readRows: outcome.readRows, readBytes: outcome.readBytes, resultRows: outcome.resultRows, statusCode: 200, error: false },
      // What the answer's own statistics say wins over the summary header (sent before a streamed query ended).
      outcome.finished.then(({ fromAnswer }) => fromAnswer ?? {}),
    );
    return cache ? await cache.keep(outcome) : outcome.response;
  } catch (e) {
    recordFailure(platform, principal, call, stats, e);
    throw e;
  }
}

/**
 * Logs a call that failed or was refused before its read, as the row of an
 * answered call: what the caller is answered (the one mapping decides it).
 * A 401 names no workspace the caller may log to, so it is not logged.
 */
export function recordFailure(platform: Platform, principal: Principal, call: CallInfo, stats: CallStats, e: unknown): void {
  const { status, body } = errorAnswer(e);
  if (status === 401) return;
  recordStats(platform, principal, call, { ...stats, readRows: 0, readBytes: 0, resultRows: 0, statusCode: status, error: true, errorMessage: body.error });
}
