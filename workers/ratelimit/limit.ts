/**
 * @module ratelimit/limit
 * Rate limits, the one entry point: `RateLimiter.take(buckets)` takes one
 * request from each bucket that applies and answers 429 (Retry-After,
 * `X-RateLimit-*`) at the first empty one; otherwise it gives the
 * `X-RateLimit-*` headers of the tightest bucket. Which buckets apply to what
 * is decided below (`readBuckets`, `eventsBuckets`); where they are kept, in
 * `buckets.ts` (the RateLimiter Durable Object in the Worker).
 */
import { RateLimitedError } from "../../shared/errors.js";
import type { TakeResult } from "../../shared/ratelimit/token-bucket.js";
import type { Config } from "../env.js";
import type { Principal } from "../auth/principal.js";
import type { BucketStore } from "./buckets.js";

/** A token bucket: `rate` requests per second, up to `burst` at once. */
export interface Bucket {
  /** The limit as the 429 names it: "JWT 'x'", "workspace QPS", "datasource 'events'". */
  name: string;
  key: string;
  rate: number;
  burst: number;
}

export interface RateLimiter {
  /**
   * Takes one request from each bucket, in order, stopping at the first empty
   * one (429): a refused request spends nothing from the buckets after it, so
   * one JWT's flood does not drain its workspace's shared buckets. Returns the
   * `X-RateLimit-*` headers of the tightest bucket (none when none applies).
   */
  take(buckets: readonly Bucket[]): Promise<Record<string, string>>;
}

export function rateLimitHeaders(r: TakeResult): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(r.limit),
    "X-RateLimit-Remaining": String(r.remaining),
    "X-RateLimit-Reset": String(r.resetSeconds),
  };
}

/** The 429 for an empty bucket, carrying Retry-After and the bucket's headers. */
function refusal(bucket: Bucket, result: TakeResult): RateLimitedError {
  const retry = Math.max(1, result.retryAfterSeconds);
  const err = new RateLimitedError(`Too many requests: the ${bucket.name} limit of ${result.limit} requests is exhausted; retry in ${retry} s`, result.retryAfterSeconds);
  Object.assign(err.headers, rateLimitHeaders(result));
  return err;
}

export function rateLimiter(store: BucketStore): RateLimiter {
  return {
    async take(buckets) {
      let tightest: TakeResult | undefined;
      for (const bucket of buckets) {
        const result = await store.take(bucket.key, bucket.rate, bucket.burst);
        if (!result.allowed) throw refusal(bucket, result);
        if (!tightest || result.remaining < tightest.remaining) tightest = result;
      }
      return tightest ? rateLimitHeaders(tightest) : {};
    },
  };
}

function jwtBucket(principal: Principal): Bucket[] {
  const rps = principal.kind === "jwt" ? principal.limits?.rps : undefined;
  return rps ? [{ name: `JWT '${principal.tokenName}'`, key: `jwt:${principal.workspaceId}:${principal.tokenName}`, rate: rps, burst: rps }] : [];
}

/** Endpoint and Query API calls: a JWT's `limits.rps`, then the workspace QPS (TERN_WORKSPACE_QPS, burst 2x) when set. */
export function readBuckets(config: Config, principal: Principal): Bucket[] {
  const qps = config.reads.workspaceQps;
  const workspace: Bucket[] = qps > 0 ? [{ name: "workspace QPS", key: `qps:${principal.workspaceId}`, rate: qps, burst: Math.max(1, qps * 2) }] : [];
  return [...jwtBucket(principal), ...workspace];
}

/** Events API calls: a JWT's `limits.rps`, then the datasource's INGEST_RPS. */
export function eventsBuckets(config: Config, principal: Principal, datasource: string): Bucket[] {
  const rps = config.ingest.rps;
  return [...jwtBucket(principal), { name: `datasource '${datasource}'`, key: `events:${principal.workspaceId}:${datasource}`, rate: rps, burst: rps }];
}
