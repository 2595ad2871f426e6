// JWT limits.rps through the whole Worker: exact counts under concurrency, 429 headers, separate buckets,
// and the leases behind them (tokens withdrawn from the RateLimiter DO and spent in this isolate).
// The clock is frozen (Date only) so the bucket cannot refill while the calls are in flight: the
// counts below are exact, with no timing assumption.
import { env, runInDurableObject } from "cloudflare:test";
import { SignJWT } from "jose";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "./helpers/api.js";
import { deployProject, type Deployed } from "./endpoints-project.js";
import type { RateLimiter } from "../../workers/ratelimit/rate-limiter.js";
import type { LeasedBucket } from "../../shared/ratelimit/lease.js";

let ws: Deployed;

beforeAll(async () => {
  ws = await deployProject("ratelimit");
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date());
});

afterEach(() => {
  vi.useRealTimers();
});

function jwt(name: string, rps: number): Promise<string> {
  return new SignJWT({
    workspace_id: ws.id,
    name,
    exp: Math.floor(Date.now() / 1000) + 600,
    scopes: [{ type: "PIPES:READ", resource: "metrics" }],
    limits: { rps },
  })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(ws.token));
}

/** The RateLimiter's bucket for `key`, read inside the Durable Object. */
function keeperOf(key: string): Promise<{ requests: number; leased: number }> {
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
  return runInDurableObject(stub, (instance: RateLimiter) => {
    const bucket = (instance["buckets"] as Map<string, LeasedBucket>).get(key)!;
    return { requests: bucket.requests, leased: bucket.leased };
  });
}

describe("JWT limits.rps", () => {
  it("lets exactly rps of 200 parallel calls through; the rest get 429", async () => {
    const token = await jwt("burst_user", 10);
    const responses = await Promise.all(Array.from({ length: 200 }, () => api("/v0/pipes/metrics.json", { token })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(190);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
  });

  it("spends leases: the 200 calls cost the RateLimiter a few requests, not one each", async () => {
    const token = await jwt("leased_user", 10);
    const responses = await Promise.all(Array.from({ length: 200 }, () => api("/v0/pipes/metrics.json", { token })));
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(10);
    const bucket = await keeperOf(`jwt:${ws.id}:leased_user`);
    expect(bucket.requests).toBeGreaterThanOrEqual(1);
    expect(bucket.requests).toBeLessThanOrEqual(6);
  });

  it("counts X-RateLimit-Remaining down across a lease", async () => {
    const token = await jwt("countdown_user", 100);
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await api("/v0/pipes/metrics.json", { token });
      expect(res.status).toBe(200);
      remaining.push(res.headers.get("x-ratelimit-remaining"));
      await res.arrayBuffer();
    }
    expect(remaining).toEqual(["99", "98", "97", "96", "95", "94"]);
  });

  it("answers 429 with Retry-After and X-RateLimit-* headers and a JSON error", async () => {
    const token = await jwt("one_rps", 1);
    expect((await api("/v0/pipes/metrics.json", { token })).status).toBe(200);
    const res = await api("/v0/pipes/metrics.json", { token });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("x-ratelimit-limit")).toBe("1");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(res.headers.get("x-ratelimit-reset")).toBe("1");
    expect(await res.json()).toEqual({ error: "Too many requests: the JWT 'one_rps' limit of 1 requests is exhausted; retry in 1 s" });
  });

  it("sends X-RateLimit-* on allowed calls", async () => {
    const token = await jwt("headers_user", 5);
    const res = await api("/v0/pipes/metrics.json", { token });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit")).toBe("5");
    expect(res.headers.get("x-ratelimit-remaining")).toBe("4");
  });

  it("keeps one bucket per JWT name", async () => {
    const a = await jwt("tenant_a", 1);
    const b = await jwt("tenant_b", 1);
    expect((await api("/v0/pipes/metrics.json", { token: a })).status).toBe(200);
    expect((await api("/v0/pipes/metrics.json", { token: a })).status).toBe(429);
    expect((await api("/v0/pipes/metrics.json", { token: b })).status).toBe(200);
  });

  it("shares the bucket between JWTs with the same name", async () => {
    const first = await jwt("shared_name", 1);
    const second = await jwt("shared_name", 1);
    expect((await api("/v0/pipes/metrics.json", { token: first })).status).toBe(200);
    expect((await api("/v0/pipes/metrics.json", { token: second })).status).toBe(429);
  });

  it("applies to the Query API too", async () => {
    const token = await new SignJWT({
      workspace_id: ws.id,
      name: "sql_user",
      exp: Math.floor(Date.now() / 1000) + 600,
      scopes: [{ type: "DATASOURCES:READ", resource: "events" }],
      limits: { rps: 1 },
    })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(ws.token));
    const q = `/v0/sql?q=${encodeURIComponent("SELECT count() FROM events")}`;
    expect((await api(q, { token })).status).toBe(200);
    expect((await api(q, { token })).status).toBe(429);
  });

  it("does not limit static tokens (no workspace QPS configured)", async () => {
    const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await api("/v0/pipes/metrics.json", { token: ws.token })).status));
    expect(statuses.every((s) => s === 200)).toBe(true);
  });
});
