/**
 * @module ratelimit/rate-limiter
 * Token buckets, one Durable Object per bucket key (workspace + JWT name, or
 * workspace + datasource). A DO runs one request at a time, so the arithmetic
 * below is exact under any concurrency; state is kept in memory only, because a
 * bucket that resets when its object is evicted just forgives a little.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { takeFromBucket, type BucketState, type TakeResult } from "../../shared/ratelimit/token-bucket.js";

export class RateLimiter extends DurableObject<Env> {
  private buckets = new Map<string, BucketState>();

  /** Takes one token from `key`'s bucket refilled at `rate` per second up to `burst`. */
  take(key: string, rate: number, burst: number = rate): TakeResult {
    const now = Date.now();
    const { state, result } = takeFromBucket(this.buckets.get(key), { rate, burst, now });
    this.buckets.set(key, state);
    return result;
  }
}
