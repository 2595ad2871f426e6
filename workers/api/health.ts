/**
 * @module api/health
 * `GET /v0/health`: no auth. Reports the Worker and whether ClickHouse answers,
 * with its version, so `npm run dev` and load balancers can wait on it.
 */
import { Hono } from "hono";
import type { AppEnv } from "./context.js";
import type { Platform } from "../platform/platform.js";
import { TERN_VERSION } from "../version.js";

interface Health {
  status: "ok" | "degraded";
  worker: { status: "ok"; version: string; mode: string };
  clickhouse: { status: "ok" | "error"; version?: string; latency_ms: number; error?: string };
}

/** Asks ClickHouse for its version with the admin client. */
export async function checkHealth(platform: Platform): Promise<Health> {
  const started = platform.clock.now();
  let clickhouse: Health["clickhouse"];
  try {
    const rs = await platform.clickhouse.admin.query({ query: "SELECT version() AS version", format: "JSONEachRow" });
    const rows = await rs.json<{ version: string }>();
    clickhouse = { status: "ok", version: rows[0]?.version ?? "unknown", latency_ms: platform.clock.now() - started };
  } catch (e) {
    clickhouse = { status: "error", latency_ms: platform.clock.now() - started, error: e instanceof Error ? e.message : String(e) };
  }
  return {
    status: clickhouse.status === "ok" ? "ok" : "degraded",
    worker: { status: "ok", version: TERN_VERSION, mode: platform.config.mode },
    clickhouse,
  };
}

export const health = new Hono<AppEnv>();

health.get("/", async (c) => {
  const report = await checkHealth(c.get("platform"));
  return c.json(report, report.status === "ok" ? 200 : 503);
});
