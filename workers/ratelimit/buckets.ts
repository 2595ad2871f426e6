/**
 * @module ratelimit/buckets
 * Where token buckets are kept. In the Worker, one RateLimiter Durable Object
 * per bucket key: exact under any concurrency, across isolates. `localBuckets`
 * keeps them in this process's memory, exact within it: the Durable Object's
 * own store, and the limiter of a platform that has no Durable Objects (role
 * tests in Node).
 */
import { takeFromBucket, type BucketState, type TakeResult } from "../../shared/ratelimit/token-bucket.js";
import type { Bindings } from "../env.js";

export interface BucketStore {
  /** Takes one token from `key`'s bucket refilled at `rate` per second up to `burst`. */
  take(key: string, rate: number, burst: number): Promise<TakeResult>;
}

export function durableBuckets(namespace: Bindings["RATE_LIMITER"]): BucketStore {
  return { take: (key, rate, burst) => namespace.get(namespace.idFromName(key)).take(key, rate, burst) };
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
