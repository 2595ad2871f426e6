/**
 * @module ratelimit/rate-limiter
 * Token buckets, one Durable Object per bucket key (workspace + JWT name, or
 * workspace + datasource). A DO runs one request at a time, so the arithmetic
 * (`shared/ratelimit/lease.ts`) is exact under any concurrency. Isolates ask
 * for leases (`lease`), a few tokens they spend locally; `take` spends one
 * token per call. Callers are this Worker's own code; the bucket checks the
 * numbers it is given (`RangeError` on a bad rate or burst). State is kept in
 * memory only, because a bucket that resets when its object is evicted just
 * forgives a little (leases still out then are spent on top of a full bucket).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import type { TakeResult } from "../../shared/ratelimit/token-bucket.js";
import { LeasedBucket, type LeaseGrant, type LeaseRequest } from "../../shared/ratelimit/lease.js";

export class RateLimiter extends DurableObject<Env> {
  private readonly buckets = new Map<string, LeasedBucket>();

  private bucket(key: string): LeasedBucket {
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new LeasedBucket()));
    return b;
  }

  /** Takes one token from `key`'s bucket refilled at `rate` per second up to `burst`. */
  take(key: string, rate: number, burst: number = rate): TakeResult {
    return this.bucket(key).take(Date.now(), rate, burst);
  }

  /** Takes back the isolate's previous lease and withdraws a new one (`shared/ratelimit/lease.ts`). */
  lease(key: string, rate: number, burst: number, request: LeaseRequest): LeaseGrant {
    return this.bucket(key).lease(Date.now(), rate, burst, request);
  }

  /** Takes back a lease the isolate has spent. */
  release(key: string, rate: number, burst: number, giveBack: { id: number; unspent: number }): void {
    this.bucket(key).release(Date.now(), rate, burst, giveBack);
  }
}
