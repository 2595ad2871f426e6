/**
 * @module endpoints/answer
 * What every endpoint and Query API call ends with: the read (`execute.ts`)
 * and its `pipe_stats_rt` row. A failed call is logged too (not 401/403/429:
 * those never reached the workspace's data) with the status and message the
 * caller is answered, then the error is rethrown for that answer.
 */
import { errorAnswer } from "../../shared/error-answer.js";
import type { Principal } from "../auth/principal.js";
import type { Platform } from "../platform/platform.js";
import { runRead, type ReadRequest } from "./execute.js";
import { recordStats, type CallInfo, type RequestStats } from "./stats.js";

export type CallStats = Omit<RequestStats, "readRows" | "readBytes" | "resultRows" | "statusCode" | "error">;

/** Builds the read with `build`, runs it and logs the call; resolves with the response as soon as the answer starts. */
export async function answerRead(
  platform: Platform,
  principal: Principal,
  call: CallInfo,
  stats: CallStats,
  build: () => Promise<ReadRequest>,
): Promise<Response> {
  try {
    const outcome = await runRead(platform, principal, await build());
    recordStats(
      platform,
      principal,
      call,
      { ...stats, readRows: outcome.readRows, readBytes: outcome.readBytes, resultRows: outcome.resultRows, statusCode: 200, error: false },
      // What the answer's own statistics say wins over the summary header (sent before a streamed query ended).
      outcome.finished.then(({ fromAnswer }) => fromAnswer ?? {}),
    );
    return outcome.response;
  } catch (e) {
    // The row says what the caller is answered (the one mapping decides it), then the error goes on to be answered.
    const { status, body } = errorAnswer(e);
    if (status !== 429 && status !== 403 && status !== 401) {
      recordStats(platform, principal, call, { ...stats, readRows: 0, readBytes: 0, resultRows: 0, statusCode: status, error: true, errorMessage: body.error });
    }
    throw e;
  }
}
