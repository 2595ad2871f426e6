/**
 * @module ratelimit/rate-limiter
 * Token buckets, one Durable Object per bucket key (workspace + JWT name, or
 * workspace + datasource). A DO runs one request at a time, so the arithmetic
 * (`shared/ratelimit/token-bucket.ts`) is exact under any concurrency; state is
 * kept in memory only, because a bucket that resets when its object is evicted
 * just forgives a little.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import type { TakeResult } from "../../shared/ratelimit/token-bucket.js";
import { localBuckets } from "./buckets.js";

export class RateLimiter extends DurableObject<Env> {
  private buckets = localBuckets();

  /** Takes one token from `key`'s bucket refilled at `rate` per second up to `burst`. */
  take(key: string, rate: number, burst: number = rate): TakeResult {
    return this.buckets.takeNow(key, rate, burst);
  }
}
