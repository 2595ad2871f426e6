/**
 * @module ratelimit/limit
 * Takes one request from a bucket in the RateLimiter Durable Object and gives
 * the `X-RateLimit-*` headers every answer carries (plus `Retry-After` on 429).
 */
import { RateLimitedError } from "../../shared/errors.js";
import type { TakeResult } from "../../shared/ratelimit/token-bucket.js";
import type { Env } from "../env.js";

export function rateLimitHeaders(r: TakeResult): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(r.limit),
    "X-RateLimit-Remaining": String(r.remaining),
    "X-RateLimit-Reset": String(r.resetSeconds),
  };
}

export function takeToken(env: Env, key: string, rate: number, burst = rate): Promise<TakeResult> {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)).take(key, rate, burst);
}

/** The 429 for an empty bucket, carrying Retry-After and the bucket's headers. */
export function rateLimitedError(message: string, result: TakeResult): RateLimitedError {
  const err = new RateLimitedError(message, result.retryAfterSeconds);
  Object.assign(err.headers, rateLimitHeaders(result));
  return err;
}

/** Takes a token or throws 429; returns the headers to send. */
export async function enforceRateLimit(env: Env, key: string, rate: number, burst = rate): Promise<Record<string, string>> {
  const result = await takeToken(env, key, rate, burst);
  if (!result.allowed) {
    throw rateLimitedError(`Too many requests: the limit is ${result.limit} requests per second; retry after ${result.retryAfterSeconds} s`, result);
  }
  return rateLimitHeaders(result);
}
