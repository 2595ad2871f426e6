/**
 * @module endpoints/answer
 * What every endpoint and Query API call ends with: the read (`execute.ts`)
 * and its `pipe_stats_rt` row. A failed call is logged too (not 401/403/429:
 * those never reached the workspace's data) with the status and message the
 * caller is answered, then the error is rethrown for that answer. A cached
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
    const outcome = await runRead(platform, principal, req);
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
    // The row says what the caller is answered (the one mapping decides it), then the error goes on to be answered.
    const { status, body } = errorAnswer(e);
    if (status !== 429 && status !== 403 && status !== 401) {
      recordStats(platform, principal, call, { ...stats, readRows: 0, readBytes: 0, resultRows: 0, statusCode: status, error: true, errorMessage: body.error });
    }
    throw e;
  }
}
