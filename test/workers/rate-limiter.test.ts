import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../workers/ratelimit/rate-limiter.js";

describe("RateLimiter Durable Object", () => {
  it("allows exactly `burst` of many concurrent takes, then refuses with Retry-After", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("ws:jwt-user-1"));
    const results = await Promise.all(Array.from({ length: 50 }, () => stub.take("ws:jwt-user-1", 10, 10)));
    const allowed = results.filter((r) => r.allowed);
    expect(allowed).toHaveLength(10);
    const refused = results.filter((r) => !r.allowed);
    expect(refused).toHaveLength(40);
    expect(refused[0]).toMatchObject({ limit: 10, remaining: 0, retryAfterSeconds: 1 });
  });

  it("keeps separate buckets per key", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("shared"));
    await runInDurableObject(stub, (instance: RateLimiter) => {
      expect(instance.take("a", 1, 1).allowed).toBe(true);
      expect(instance.take("a", 1, 1).allowed).toBe(false);
      expect(instance.take("b", 1, 1).allowed).toBe(true);
    });
  });
});
