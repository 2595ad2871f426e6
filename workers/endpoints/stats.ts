/**
 * @module endpoints/stats
 * `tinybird.pipe_stats_rt`: one row per endpoint or Query API request, written
 * after the answer is on its way (`waitUntil`), into the shared service table
 * (filtered by workspace when read back through `/v0/sql`).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { Context } from "hono";
import { SERVICE_DATABASE, serviceTableDdl, type ServiceDatasource } from "../../shared/service/datasources.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";
import type { AppEnv } from "../api/context.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

export const PIPE_STATS_RT: ServiceDatasource = {
  name: "pipe_stats_rt",
  columns: [
    ["start_datetime", "DateTime"],
    ["pipe_id", "String"],
    ["pipe_name", "String"],
    ["duration", "Float32"],
    ["read_bytes", "UInt64"],
    ["read_rows", "UInt64"],
    ["result_rows", "UInt64"],
    ["url", "String"],
    ["error", "UInt8"],
    ["request_id", "String"],
    ["token", "String"],
    ["token_name", "String"],
    ["status_code", "Int32"],
    ["method", "LowCardinality(String)"],
    ["parameters", "Map(String, String)"],
    ["user_agent", "String"],
    ["cpu_time", "Float32"],
  ],
  engine: "MergeTree PARTITION BY toDate(start_datetime) ORDER BY (workspace_id, start_datetime) TTL start_datetime + INTERVAL 7 DAY",
};

/** Service datasources this room serves on reads (besides the shared registry). */
export const READ_SERVICE_DATASOURCES: readonly ServiceDatasource[] = [PIPE_STATS_RT];

let ready: Promise<void> | undefined;

export function ensurePipeStatsTable(ch: ClickHouseClient): Promise<void> {
  ready ??= (async () => {
    await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(SERVICE_DATABASE)}` });
    await ch.command({ query: serviceTableDdl(PIPE_STATS_RT) });
  })().catch((e) => {
    ready = undefined;
    throw e;
  });
  return ready;
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
}

/** Short stable id of a token string: identifies it in logs without leaking it. */
async function tokenId(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest).slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
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
  const work = (async () => {
    const more = (await finished.catch(() => undefined)) ?? {};
    const s = { ...stats, ...more };
    await ensurePipeStatsTable(ch);
    await ch.insert({
      table: `${SERVICE_DATABASE}.${PIPE_STATS_RT.name}`,
      format: "JSONEachRow",
      values: [
        {
          workspace_id: workspaceId,
          start_datetime: toDateTime(s.startedAt),
          pipe_id: s.pipeId,
          pipe_name: s.pipeName,
          duration: (Date.now() - s.startedAt) / 1000,
          read_bytes: s.readBytes,
          read_rows: s.readRows,
          result_rows: s.resultRows,
          url: urlWithoutToken(req.url),
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
      ],
    });
  })().catch((e) => console.error(`pipe_stats_rt: ${clickhouseMessage(e)}`));
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (app.request in unit tests): the promise still runs.
  }
}
