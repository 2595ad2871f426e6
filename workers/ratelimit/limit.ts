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

/** Takes a token or throws 429 (with the headers attached); returns the headers to send. */
export async function enforceRateLimit(env: Env, key: string, rate: number, burst = rate): Promise<Record<string, string>> {
  const result = await env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)).take(key, rate, burst);
  const headers = rateLimitHeaders(result);
  if (!result.allowed) {
    const err = new RateLimitedError(`Too many requests: the limit is ${result.limit} requests per second; retry after ${result.retryAfterSeconds} s`, result.retryAfterSeconds);
    Object.assign(err.headers, headers);
    throw err;
  }
  return headers;
}
