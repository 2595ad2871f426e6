import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RateLimiter } from "../../workers/ratelimit/rate-limiter.js";
import type { LeasedBucket } from "../../shared/ratelimit/lease.js";

describe("RateLimiter Durable Object", () => {
  // Date stands still (the object shares this isolate's clock), so nothing refills while the calls
  // are in flight, however slowly a loaded machine runs them: the counts below are exact.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date());
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("allows exactly `burst` of many concurrent takes, then refuses with Retry-After", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("ws:jwt-user-1"));
    const results = await Promise.all(Array.from({ length: 50 }, () => stub.take("ws:jwt-user-1", 10, 10)));
    const allowed = results.filter((r) => r.allowed);
    expect(allowed).toHaveLength(10);
    const refused = results.filter((r) => !r.allowed);
    expect(refused).toHaveLength(40);
    expect(refused[0]).toMatchObject({ limit: 10, remaining: 0, retryAfterSeconds: 1 });
  });

  it("lends leases to several isolates that together never exceed the bucket, and takes back what they did not spend", async () => {
    const key = "ws:jwt-leased";
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));
    const a = await stub.lease(key, 10, 10, { holder: "isolate-a", want: 1, need: 4 });
    const b = await stub.lease(key, 10, 10, { holder: "isolate-b", want: 1, need: 199 });
    const c = await stub.lease(key, 10, 10, { holder: "isolate-c", want: 1, need: 5 });
    expect([a.tokens, b.tokens, c.tokens]).toEqual([4, 6, 0]);
    expect(c).toMatchObject({ remaining: 0, limit: 10 });
    expect(c.retryAfterMs).toBeGreaterThan(0);
    // Per-call takes see the leases too.
    expect((await stub.take(key, 10, 10)).allowed).toBe(false);
    // a spent 1 of its 4 and gives the 3 back: c, refused first, is served before b.
    await stub.release(key, 10, 10, { id: a.id, unspent: 3 });
    const b2 = await stub.lease(key, 10, 10, { holder: "isolate-b", want: 1, need: 3, giveBack: { id: b.id, unspent: 0 } });
    const c2 = await stub.lease(key, 10, 10, { holder: "isolate-c", want: 1, need: 5 });
    expect([b2.tokens, c2.tokens]).toEqual([2, 1]);
    await runInDurableObject(stub, (instance: RateLimiter) => {
      const bucket = (instance["buckets"] as Map<string, LeasedBucket>).get(key)!;
      expect(bucket.leased).toBe(3);
      expect(bucket.requests).toBe(7);
    });
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
