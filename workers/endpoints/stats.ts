/**
 * @module endpoints/stats
 * `tinybird.pipe_stats_rt`: one row per endpoint or Query API request, written
 * after the answer is on its way (`waitUntil`), into the shared service table
 * (filtered by workspace when read back through `/v0/sql`); a failed endpoint
 * call also gets a `tinybird.endpoint_errors` row. `tinybird.pipe_stats` is a
 * ClickHouse materialized view on `pipe_stats_rt` (shared/service).
 */
import { ENDPOINT_ERRORS, PIPE_STATS_RT, SERVICE_DATABASE } from "../../shared/service/datasources.js";
import { createBatchWriter } from "../service/batch-writer.js";
import type { Platform } from "../platform/platform.js";
import type { Principal } from "../auth/principal.js";
import { isolateCache } from "../platform/caches.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

export interface RequestStats {
  pipeId: string;
  pipeName: string;
  startedAt: number;
  readRows: number;
  readBytes: number;
  resultRows: number;
  statusCode: number;
  error: boolean;
  parameters: Record<string, string>;
  /** The message the caller got, for `endpoint_errors`. */
  errorMessage?: string;
}

/** What `pipe_stats_rt` records of the HTTP call itself. */
export interface CallInfo {
  /** The URL as called (its `token` parameter is dropped before it is logged). */
  url: string;
  method: string;
  userAgent: string;
}

/** The call as the Worker received it. */
export function callInfo(request: Request): CallInfo {
  return { url: request.url, method: request.method, userAgent: request.headers.get("user-agent") ?? "" };
}

/**
 * Short stable id of a token string: identifies it in logs without leaking it.
 * Kept per isolate: a workspace has few tokens, and a digest per request is not free.
 */
const tokenIds = isolateCache<string>("tokenIds");
async function tokenId(token: string): Promise<string> {
  const known = tokenIds.get(token);
  if (known) return known;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return tokenIds.set(token, Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join(""));
}

function urlWithoutToken(raw: string): string {
  const url = new URL(raw);
  url.searchParams.delete("token");
  return url.pathname + (url.search === "?" ? "" : url.search);
}

function toDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/**
 * Schedules the row write. `finished` resolves when the response body is fully
 * sent (streams), so `duration` covers the whole answer.
 */
// Rows are batched per isolate (one insert per window), off the request path.
const statsWriter = createBatchWriter<Record<string, unknown>>(`${SERVICE_DATABASE}.${PIPE_STATS_RT.name}`);
const errorsWriter = createBatchWriter<Record<string, unknown>>(`${SERVICE_DATABASE}.${ENDPOINT_ERRORS.name}`);

export function recordStats(
  platform: Platform,
  principal: Principal,
  call: CallInfo,
  stats: RequestStats,
  finished: Promise<Partial<RequestStats> | void> = Promise.resolve(),
): void {
  const { workspaceId, tokenName, token } = principal;
  const ch = platform.clickhouse.admin;
  const requestId = platform.requestId;
  const work = (async () => {
    const more = (await finished.catch(() => undefined)) ?? {};
    const s = { ...stats, ...more };
    const startDatetime = toDateTime(s.startedAt);
    const url = urlWithoutToken(call.url);
    statsWriter.add(ch, platform, [
      {
        workspace_id: workspaceId,
        start_datetime: startDatetime,
        pipe_id: s.pipeId,
        pipe_name: s.pipeName,
        duration: (platform.clock.now() - s.startedAt) / 1000,
        read_bytes: s.readBytes,
        read_rows: s.readRows,
        result_rows: s.resultRows,
        url,
        error: s.error ? 1 : 0,
        request_id: requestId,
        token: await tokenId(token),
        token_name: tokenName,
        status_code: s.statusCode,
        method: call.method,
        parameters: s.parameters,
        user_agent: call.userAgent,
        cpu_time: 0,
      },
    ]);
    // Endpoint calls only: the Query API's `pipe_id` is `query_api`.
    if (s.error && s.pipeId !== "query_api") {
      errorsWriter.add(ch, platform, [
        {
          workspace_id: workspaceId,
          start_datetime: startDatetime,
          request_id: requestId,
          pipe_id: s.pipeId,
          pipe_name: s.pipeName,
          params: s.parameters,
          url,
          status_code: s.statusCode,
          error: s.errorMessage ?? "",
        },
      ]);
    }
  })().catch((e) => console.error(`pipe_stats_rt: ${clickhouseMessage(e)}`));
  platform.waitUntil(work);
}
