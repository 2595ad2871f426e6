import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/index.js";
import { env, createExecutionContext } from "cloudflare:test";

describe("GET /v0/health", () => {
  it("answers 200 without a token, with the Worker's and ClickHouse's status and version", async () => {
    const res = await SELF.fetch("http://tern.test/v0/health");
    expect(res.status).toBe(200);
    const body = await res.json<{ status: string; worker: { status: string; mode: string }; clickhouse: { status: string; version: string } }>();
    expect(body.status).toBe("ok");
    expect(body.worker).toMatchObject({ status: "ok", mode: "local" });
    expect(body.clickhouse.status).toBe("ok");
    expect(body.clickhouse.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("answers 503 with the ClickHouse error when ClickHouse is unreachable", async () => {
    const down = { ...env, CLICKHOUSE_URL: "http://127.0.0.1:9" };
    const res = await worker.fetch(new Request("http://tern.test/v0/health"), down, createExecutionContext());
    expect(res.status).toBe(503);
    const body = await res.json<{ status: string; clickhouse: { status: string; error: string } }>();
    expect(body.status).toBe("degraded");
    expect(body.clickhouse.status).toBe("error");
    expect(body.clickhouse.error.length).toBeGreaterThan(0);
  });

  it("echoes the caller's x-request-id", async () => {
    const res = await SELF.fetch("http://tern.test/v0/health", { headers: { "x-request-id": "req-123" } });
    expect(res.headers.get("x-request-id")).toBe("req-123");
  });

  it.each([
    ["too long", "r".repeat(129)],
    ["with quotes and spaces", "a' OR 1=1"],
  ])("replaces an x-request-id that is %s with a fresh one", async (_what, id) => {
    const res = await SELF.fetch("http://tern.test/v0/health", { headers: { "x-request-id": id } });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
