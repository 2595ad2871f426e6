/**
 * @module endpoints/stats
 * `tinybird.pipe_stats_rt`: one row per endpoint or Query API request, written
 * after the answer is on its way (`waitUntil`), into the shared service table
 * (filtered by workspace when read back through `/v0/sql`); a failed endpoint
 * call also gets a `tinybird.endpoint_errors` row. `tinybird.pipe_stats` is a
 * ClickHouse materialized view on `pipe_stats_rt` (shared/service).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { Context } from "hono";
import { ENDPOINT_ERRORS, PIPE_STATS_RT, SERVICE_DATABASE, type ServiceDatasource } from "../../shared/service/datasources.js";
import { createBatchWriter } from "../service/batch-writer.js";
import { ensureServiceTables } from "../service/tables.js";
import type { AppEnv } from "../api/context.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

/**
 * Service datasources this room serves on reads besides the shared registry:
 * none any more (`pipe_stats_rt` moved into shared/service/datasources.ts so
 * the `pipe_stats` view can be built on it); kept for sql-context.ts.
 */
export const READ_SERVICE_DATASOURCES: readonly ServiceDatasource[] = [];

export { PIPE_STATS_RT };

/** Creates every service table and view (shared once-per-isolate DDL). */
export function ensurePipeStatsTable(ch: ClickHouseClient): Promise<void> {
  return ensureServiceTables(ch);
}

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

/**
 * Short stable id of a token string: identifies it in logs without leaking it.
 * Kept per isolate: a workspace has few tokens, and a digest per request is not free.
 */
const tokenIds = new Map<string, string>();
async function tokenId(token: string): Promise<string> {
  const known = tokenIds.get(token);
  if (known) return known;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  const id = Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
  if (tokenIds.size >= 10_000) tokenIds.clear();
  tokenIds.set(token, id);
  return id;
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

export function recordStats(c: Context<AppEnv>, stats: RequestStats, finished: Promise<Partial<RequestStats> | void> = Promise.resolve()): void {
  let principal: AppEnv["Variables"]["principal"] | undefined;
  try {
    principal = c.get("principal");
  } catch {
    principal = undefined;
  }
  if (!principal) return;
  const { workspaceId, tokenName, token } = principal;
  const req = c.req.raw;
  const ch = clickhouseFor(c.get("config"));
  const requestId = c.get("requestId");
  let ctx: ExecutionContext | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  const work = (async () => {
    const more = (await finished.catch(() => undefined)) ?? {};
    const s = { ...stats, ...more };
    const startDatetime = toDateTime(s.startedAt);
    const url = urlWithoutToken(req.url);
    statsWriter.add(ch, ctx, [
      {
        workspace_id: workspaceId,
        start_datetime: startDatetime,
        pipe_id: s.pipeId,
        pipe_name: s.pipeName,
        duration: (Date.now() - s.startedAt) / 1000,
        read_bytes: s.readBytes,
        read_rows: s.readRows,
        result_rows: s.resultRows,
        url,
        error: s.error ? 1 : 0,
        request_id: requestId,
        token: await tokenId(token),
        token_name: tokenName,
        status_code: s.statusCode,
        method: req.method,
        parameters: s.parameters,
        user_agent: req.headers.get("user-agent") ?? "",
        cpu_time: 0,
      },
    ]);
    // Endpoint calls only: the Query API's `pipe_id` is `query_api`.
    if (s.error && s.pipeId !== "query_api") {
      errorsWriter.add(ch, ctx, [
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
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (app.request in unit tests): the promise still runs.
  }
}
