/**
 * @module ratelimit/buckets
 * Where token buckets are kept. In the Worker, one RateLimiter Durable Object
 * per bucket key keeps the bucket (exact under any concurrency, across
 * isolates) and lends each isolate a small lease of tokens that it spends
 * locally (`leasedBuckets`, `shared/ratelimit/lease.ts`): no round trip per
 * request, never over the limit. `durableBuckets` asks the object for every
 * request (the benchmark's baseline). `localBuckets` keeps them in this
 * process's memory, exact within it: the limiter of a platform that has no
 * Durable Objects (role tests in Node).
 */
import { takeFromBucket, type BucketState, type TakeResult } from "../../shared/ratelimit/token-bucket.js";
import { leaseClient, type LeaseState } from "../../shared/ratelimit/lease-client.js";
import { isolateCache } from "../platform/caches.js";
import type { Bindings } from "../env.js";

export interface BucketStore {
  /** Takes one token from `key`'s bucket refilled at `rate` per second up to `burst`. */
  take(key: string, rate: number, burst: number): Promise<TakeResult>;
}

/** One Durable Object call per request. */
export function durableBuckets(namespace: Bindings["RATE_LIMITER"]): BucketStore {
  return { take: (key, rate, burst) => namespace.get(namespace.idFromName(key)).take(key, rate, burst) };
}

const leases = isolateCache<LeaseState>("rateLimitLeases");
let holder: string | undefined;

/** Tokens leased from the Durable Object and spent in this isolate; one call per lease. */
export function leasedBuckets(namespace: Bindings["RATE_LIMITER"]): BucketStore {
  // Random values are refused at a Worker's global scope: the isolate's id is drawn on first use.
  holder ??= crypto.randomUUID();
  return leaseClient({
    holder,
    now: Date.now,
    states: leases,
    request: (key, rate, burst, request) => namespace.get(namespace.idFromName(key)).lease(key, rate, burst, request),
    release: (key, rate, burst, giveBack) => namespace.get(namespace.idFromName(key)).release(key, rate, burst, giveBack),
  });
}

export function localBuckets(now: () => number = Date.now): BucketStore & { takeNow(key: string, rate: number, burst: number): TakeResult } {
  const buckets = new Map<string, BucketState>();
  const takeNow = (key: string, rate: number, burst: number): TakeResult => {
    const { state, result } = takeFromBucket(buckets.get(key), { rate, burst, now: now() });
    buckets.set(key, state);
    return result;
  };
  return { takeNow, take: async (key, rate, burst) => takeNow(key, rate, burst) };
}
