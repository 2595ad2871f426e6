/**
 * @module api/health
 * `GET /v0/health`: no auth. Reports the Worker and whether ClickHouse answers,
 * with its version, so `npm run dev` and load balancers can wait on it.
 */
import { Hono } from "hono";
import type { AppEnv } from "./context.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { TERN_VERSION } from "../version.js";

export const health = new Hono<AppEnv>();

health.get("/v0/health", async (c) => {
  const config = c.get("config");
  const started = Date.now();
  let clickhouse: { status: "ok" | "error"; version?: string; latency_ms: number; error?: string };
  try {
    const rs = await clickhouseFor(config).query({ query: "SELECT version() AS version", format: "JSONEachRow" });
    const rows = await rs.json<{ version: string }>();
    clickhouse = { status: "ok", version: rows[0]?.version ?? "unknown", latency_ms: Date.now() - started };
  } catch (e) {
    clickhouse = { status: "error", latency_ms: Date.now() - started, error: e instanceof Error ? e.message : String(e) };
  }
  const ok = clickhouse.status === "ok";
  return c.json(
    {
      status: ok ? "ok" : "degraded",
      worker: { status: "ok", version: TERN_VERSION, mode: config.mode },
      clickhouse,
    },
    ok ? 200 : 503,
  );
});
