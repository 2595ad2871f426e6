// Leased token buckets: the keeper's arithmetic (LeasedBucket), then several simulated isolates
// (leaseClient) spending one bucket over simulated time (fake timers: each isolate's requests to the
// keeper take their own latency), checked against the token-bucket bound in every window.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LEASE, LeasedBucket, maxLease, type LeaseRequest } from "../../../shared/ratelimit/lease.js";
import { JOIN_TIMEOUT_MS, leaseClient } from "../../../shared/ratelimit/lease-client.js";

const ask = (holder: string, want = 1, extra: Partial<LeaseRequest> = {}): LeaseRequest => ({ holder, want, ...extra });

describe("LeasedBucket", () => {
  it("starts full and withdraws a lease of at most a tenth of the rate", () => {
    const b = new LeasedBucket();
    expect(maxLease(1000, 1000)).toBe(100);
    expect(maxLease(10, 10)).toBe(1);
    const g = b.lease(0, 1000, 1000, ask("a", 500));
    expect(g).toMatchObject({ tokens: 100, ttlMs: LEASE.ttlMs, limit: 1000, remaining: 900, retryAfterMs: 0 });
    expect(b.leased).toBe(100);
  });

  it("grants past the cap what callers already wait for, within the bucket", () => {
    const b = new LeasedBucket();
    const g = b.lease(0, 10, 10, ask("a", 1, { need: 199 }));
    expect(g.tokens).toBe(10);
    const refused = b.lease(0, 10, 10, ask("a", 1, { need: 190, giveBack: { id: g.id, unspent: 0 } }));
    expect(refused).toMatchObject({ tokens: 0, remaining: 0, retryAfterMs: 100 });
  });

  it("takes back what a lease did not spend", () => {
    const b = new LeasedBucket();
    const g = b.lease(0, 100, 100, ask("a", 10));
    expect(g.tokens).toBe(10);
    b.lease(0, 100, 100, ask("a", 1, { giveBack: { id: g.id, unspent: 7 } }));
    // 100 - 10 + 7 back - 1 for the new lease
    expect(b.tokens).toBe(96);
    expect(b.leased).toBe(1);
  });

  it("never takes back more than the lease held, nor the same lease twice", () => {
    const b = new LeasedBucket();
    const g = b.lease(0, 100, 100, ask("a", 5));
    b.lease(0, 100, 100, ask("b", 1, { giveBack: { id: g.id, unspent: 50 } }));
    expect(b.tokens).toBe(100 - 5 + 5 - 1);
    b.lease(0, 100, 100, ask("b", 1, { giveBack: { id: g.id, unspent: 5 } }));
    expect(b.tokens).toBe(98);
  });

  it("refills only up to burst minus the tokens out on lease", () => {
    const b = new LeasedBucket();
    const g = b.lease(0, 100, 100, ask("a", 10, { need: 60 }));
    expect(g.tokens).toBe(60);
    expect(b.lease(500, 100, 100, ask("b", 1)).tokens).toBe(1);
    // 40 + 50 refilled would be 90: capped at 100 - 60 out, then 1 more lent
    expect(b.tokens).toBe(39);
    expect(b.leased).toBe(61);
  });

  it("forgets an unreturned lease ttl + grace after granting it, and refills from then", () => {
    const b = new LeasedBucket();
    b.lease(0, 10, 10, ask("a", 1, { need: 10 }));
    const forget = LEASE.ttlMs + LEASE.graceMs;
    expect(b.lease(forget - 1, 10, 10, ask("b")).tokens).toBe(0); // the ceiling is 0 while the 10 are out
    expect(b.leased).toBe(10);
    const g = b.lease(forget + 100, 10, 10, ask("b"));
    expect(g.tokens).toBe(1);
    expect(b.leased).toBe(1);
    // A late return of the forgotten lease is ignored: its tokens are written off.
    b.lease(forget + 100, 10, 10, ask("a", 1, { giveBack: { id: 1, unspent: 10 } }));
    expect(b.tokens).toBe(0);
  });

  it("tells a refused isolate when the next token can be its own", () => {
    const b = new LeasedBucket();
    b.lease(0, 2, 2, ask("a", 1, { need: 2 }));
    const g = b.lease(0, 2, 2, ask("a", 1, { giveBack: { id: 1, unspent: 0 } }));
    expect(g).toMatchObject({ tokens: 0, retryAfterMs: 500, resetSeconds: 1 });
  });

  it("serves first the isolate refused first", () => {
    const b = new LeasedBucket();
    b.lease(0, 10, 10, ask("a", 1, { need: 10 }));
    b.release(0, 10, 10, { id: 1, unspent: 0 }); // a spent all ten at once
    expect(b.lease(0, 10, 10, ask("b")).tokens).toBe(0); // b waits since 0
    expect(b.lease(100, 10, 10, ask("a")).tokens).toBe(0); // the one token is b's
    expect(b.lease(100, 10, 10, ask("b")).tokens).toBe(1);
    expect(b.lease(200, 10, 10, ask("a")).tokens).toBe(1); // then a's turn
  });

  it("take spends one token per call beside leases", () => {
    const b = new LeasedBucket();
    b.lease(0, 2, 2, ask("a"));
    expect(b.take(0, 2, 2)).toEqual({ allowed: true, limit: 2, remaining: 0, resetSeconds: 1, retryAfterSeconds: 0 });
    expect(b.take(0, 2, 2)).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it("rejects a non-positive rate", () => {
    expect(() => new LeasedBucket().lease(0, 0, 1, ask("a"))).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Simulated isolates sharing one keeper.

interface Isolate {
  name: string;
  /** One way, isolate → keeper and back, ms. */
  latencyMs: number;
  /** How stale this isolate's clock reads (a Worker's Date.now() stands still while it computes). */
  clock?: (now: number) => number;
}

interface Spend {
  at: number;
  isolate: string;
}

function simulate(keeper: LeasedBucket, rate: number, burst: number) {
  const spends: Spend[] = [];
  const refusals = new Map<string, number>();
  let keeperCalls = 0;
  function isolate(spec: Isolate) {
    const client = leaseClient({
      holder: spec.name,
      now: () => (spec.clock ?? ((t) => t))(Date.now()),
      request: async (_key, r, bu, req) => {
        keeperCalls++;
        await new Promise((ok) => setTimeout(ok, spec.latencyMs));
        const grant = keeper.lease(Date.now(), r, bu, req);
        await new Promise((ok) => setTimeout(ok, spec.latencyMs));
        return grant;
      },
      release: async (_key, r, bu, giveBack) => {
        keeperCalls++;
        await new Promise((ok) => setTimeout(ok, spec.latencyMs));
        keeper.release(Date.now(), r, bu, giveBack);
      },
    });
    return async () => {
      const result = await client.take("k", rate, burst);
      if (result.allowed) spends.push({ at: Date.now(), isolate: spec.name });
      else refusals.set(spec.name, (refusals.get(spec.name) ?? 0) + 1);
      return result;
    };
  }
  return { isolate, spends, refusals, keeperCalls: () => keeperCalls };
}

/** Calls `call` `perTick` times at once every `everyMs`, from `fromMs` to `toMs` (simulated). */
function drive(call: () => Promise<unknown>, opts: { everyMs: number; perTick?: number; fromMs?: number; toMs: number }) {
  const start = Date.now();
  const pending: Promise<unknown>[] = [];
  const tick = () => {
    const t = Date.now() - start;
    if (t >= opts.toMs) return;
    if (t >= (opts.fromMs ?? 0)) for (let i = 0; i < (opts.perTick ?? 1); i++) pending.push(call());
    setTimeout(tick, opts.everyMs);
  };
  tick();
  return pending;
}

/** The most requests admitted in any window beyond what one exact bucket allows (<= 0: never over). */
function worstExcess(spends: Spend[], rate: number, burst: number): number {
  const times = spends.map((s) => s.at).sort((a, b) => a - b);
  // Requests j-i+1 in [t_i, t_j] must be <= burst + rate * (t_j - t_i) / 1000, for every i <= j.
  let best = Number.NEGATIVE_INFINITY; // max over i <= j of (rate * t_i / 1000 - i)
  let worst = Number.NEGATIVE_INFINITY;
  times.forEach((t, j) => {
    best = Math.max(best, (rate * t) / 1000 - j);
    worst = Math.max(worst, j + 1 - (rate * t) / 1000 + best - burst);
  });
  return worst;
}

/** The most requests admitted in any one-second window. */
function busiestSecond(spends: Spend[]): number {
  const times = spends.map((s) => s.at).sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! >= 1000) i++;
    most = Math.max(most, j - i + 1);
  }
  return most;
}

describe("several isolates spending one leased bucket", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("rps 10: three busy isolates, one with a stale clock, never exceed the bucket in any window", async () => {
    const sim = simulate(new LeasedBucket(), 10, 10);
    const stale = (t: number) => t - (t % 400); // up to 400 ms behind
    const isolates = [
      sim.isolate({ name: "a", latencyMs: 1 }),
      sim.isolate({ name: "b", latencyMs: 7 }),
      sim.isolate({ name: "c", latencyMs: 3, clock: stale }),
    ];
    const pending = isolates.flatMap((call, i) => drive(call, { everyMs: 3 + i, perTick: 2, toMs: 20_000 }));
    await vi.advanceTimersByTimeAsync(21_000);
    await Promise.all(pending);
    expect(worstExcess(sim.spends, 10, 10)).toBeLessThanOrEqual(1e-9);
    expect(busiestSecond(sim.spends)).toBeLessThanOrEqual(20);
    // The bucket is not wasted: a single exact bucket would admit 10 + 10 * 20 = 210.
    expect(sim.spends.length).toBeGreaterThanOrEqual(190);
    expect(sim.spends.length).toBeLessThanOrEqual(210);
  });

  it("rps 1000: isolates with bursts of concurrent calls stay within the bound and use most of it", async () => {
    const sim = simulate(new LeasedBucket(), 1000, 1000);
    const a = sim.isolate({ name: "a", latencyMs: 2 });
    const b = sim.isolate({ name: "b", latencyMs: 5 });
    const pending = [...drive(a, { everyMs: 1, perTick: 3, toMs: 5_000 }), ...drive(b, { everyMs: 2, perTick: 5, toMs: 5_000 })];
    await vi.advanceTimersByTimeAsync(6_000);
    await Promise.all(pending);
    expect(worstExcess(sim.spends, 1000, 1000)).toBeLessThanOrEqual(1e-9);
    const span = (sim.spends.at(-1)!.at - sim.spends[0]!.at) / 1000;
    expect(sim.spends.length).toBeLessThanOrEqual(1000 + 1000 * span);
    expect(sim.spends.length).toBeGreaterThanOrEqual(0.9 * (1000 + 1000 * 5));
    // Leases, not a round trip per request: 5,500 demanded per second against one keeper.
    expect(sim.keeperCalls()).toBeLessThan((sim.spends.length + [...sim.refusals.values()].reduce((x, y) => x + y, 0)) / 20);
  });

  it("a second isolate arriving is not starved by a busy first one", async () => {
    const sim = simulate(new LeasedBucket(), 10, 10);
    const a = sim.isolate({ name: "a", latencyMs: 1 });
    const b = sim.isolate({ name: "b", latencyMs: 6 });
    const pending = [...drive(a, { everyMs: 1, perTick: 4, toMs: 12_000 }), ...drive(b, { everyMs: 5, fromMs: 4_000, toMs: 12_000 })];
    await vi.advanceTimersByTimeAsync(13_000);
    await Promise.all(pending);
    expect(worstExcess(sim.spends, 10, 10)).toBeLessThanOrEqual(1e-9);
    const since = 1_000_000 + 5_000;
    const late = sim.spends.filter((s) => s.at >= since);
    const bShare = late.filter((s) => s.isolate === "b").length / late.length;
    expect(late.length).toBeGreaterThanOrEqual(60);
    expect(bShare).toBeGreaterThanOrEqual(0.4);
    expect(bShare).toBeLessThanOrEqual(0.6);
  });

  it("tokens an idle isolate did not spend come back to the others", async () => {
    const keeper = new LeasedBucket();
    const sim = simulate(keeper, 100, 100);
    const a = sim.isolate({ name: "a", latencyMs: 1 });
    const b = sim.isolate({ name: "b", latencyMs: 1 });
    // a takes leases for a crowd of 50 and spends them all: they go back at once.
    const crowd = Promise.all(Array.from({ length: 50 }, a));
    await vi.advanceTimersByTimeAsync(10);
    await crowd;
    expect(keeper.leased).toBe(0);
    // Then a lease of 10 (twice the last one, capped), of which a spends 1 and goes idle.
    const one = a();
    await vi.advanceTimersByTimeAsync(10);
    await one;
    expect(keeper.leased).toBe(10);
    // Its 9 unspent tokens hold the ceiling down until the keeper writes them off; then b has the whole bucket.
    await vi.advanceTimersByTimeAsync(LEASE.ttlMs + LEASE.graceMs + 1_000);
    expect(keeper.leased).toBe(10); // nobody asked the keeper meanwhile
    const before = sim.spends.length;
    const burst = Promise.all(Array.from({ length: 150 }, b));
    await vi.advanceTimersByTimeAsync(10);
    await burst;
    expect(sim.spends.length - before).toBe(100);
    expect(keeper.leased).toBe(0);
  });

  it("an isolate gives back its lease when the limits change", async () => {
    const keeper = new LeasedBucket();
    const client = leaseClient({ holder: "a", now: Date.now, request: async (_k, r, b, req) => keeper.lease(Date.now(), r, b, req) });
    expect((await client.take("k", 1000, 1000)).allowed).toBe(true);
    expect(keeper.leased).toBe(1);
    const results = [];
    for (let i = 0; i < 4; i++) results.push((await client.take("k", 2, 2)).allowed);
    expect(results).toEqual([true, true, false, false]);
  });

  it("callers that joined a failed request to the keeper ask again; the caller that sent it gets the error", async () => {
    const keeper = new LeasedBucket();
    let calls = 0;
    const client = leaseClient({
      holder: "a",
      now: Date.now,
      request: async (_k, r, b, req) => {
        calls++;
        await new Promise((ok) => setTimeout(ok, 2));
        if (calls === 1) throw new Error("the request that sent it was cancelled");
        return keeper.lease(Date.now(), r, b, req);
      },
    });
    const all = Promise.allSettled(Array.from({ length: 5 }, () => client.take("k", 10, 10)));
    await vi.advanceTimersByTimeAsync(20);
    const results = await all;
    expect(results[0]).toMatchObject({ status: "rejected", reason: { message: "the request that sent it was cancelled" } });
    expect(results.slice(1).map((r) => r.status === "fulfilled" && r.value.allowed)).toEqual([true, true, true, true]);
    expect(calls).toBe(2);
  });

  it("callers that joined a request to the keeper that never answers ask again after JOIN_TIMEOUT_MS", async () => {
    const keeper = new LeasedBucket();
    let calls = 0;
    const client = leaseClient({
      holder: "a",
      now: Date.now,
      request: async (_k, r, b, req) => {
        calls++;
        // The first request's client went away: in workerd its I/O is cancelled and it never settles.
        if (calls === 1) return new Promise<never>(() => {});
        await new Promise((ok) => setTimeout(ok, 2));
        return keeper.lease(Date.now(), r, b, req);
      },
    });
    let sender: unknown = "pending";
    void client.take("k", 10, 10).then((r) => (sender = r));
    const joined = Promise.all(Array.from({ length: 4 }, () => client.take("k", 10, 10)));
    await vi.advanceTimersByTimeAsync(JOIN_TIMEOUT_MS - 1);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(20);
    expect((await joined).map((r) => r.allowed)).toEqual([true, true, true, true]);
    expect(calls).toBe(2);
    expect(sender).toBe("pending");
  });

  it("200 concurrent calls in one isolate against rps 10 admit exactly 10, with two requests to the keeper", async () => {
    const keeper = new LeasedBucket();
    let calls = 0;
    const client = leaseClient({
      holder: "a",
      now: Date.now,
      request: async (_k, r, b, req) => {
        calls++;
        await new Promise((ok) => setTimeout(ok, 2));
        return keeper.lease(Date.now(), r, b, req);
      },
    });
    const all = Promise.all(Array.from({ length: 200 }, () => client.take("k", 10, 10)));
    await vi.advanceTimersByTimeAsync(20);
    const results = await all;
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results.filter((r) => !r.allowed)).toHaveLength(190);
    expect(calls).toBe(2);
    expect(results.at(-1)).toEqual({ allowed: false, limit: 10, remaining: 0, resetSeconds: 1, retryAfterSeconds: 1 });
  });
});
