/**
 * @module ratelimit/token-bucket
 * Pure token-bucket arithmetic (the clock is passed in). The bucket starts full;
 * each request takes one token; tokens refill continuously at `rate` per second.
 */

export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export interface TakeResult {
  allowed: boolean;
  limit: number;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Seconds until the bucket is full again (X-RateLimit-Reset). */
  resetSeconds: number;
  /** Seconds until one token is available (Retry-After), 0 when allowed. */
  retryAfterSeconds: number;
}

export function takeFromBucket(
  previous: BucketState | undefined,
  opts: { rate: number; burst: number; now: number },
): { state: BucketState; result: TakeResult } {
  const { rate, burst, now } = opts;
  if (!(rate > 0) || !(burst >= 1)) throw new RangeError("rate must be > 0 and burst >= 1");
  const elapsed = previous ? Math.max(0, now - previous.updatedAt) / 1000 : 0;
  const available = previous ? Math.min(burst, previous.tokens + elapsed * rate) : burst;
  const allowed = available >= 1;
  const tokens = allowed ? available - 1 : available;
  return {
    state: { tokens, updatedAt: now },
    result: {
      allowed,
      limit: burst,
      remaining: Math.floor(tokens),
      resetSeconds: Math.ceil((burst - tokens) / rate),
      retryAfterSeconds: allowed ? 0 : Math.ceil((1 - tokens) / rate),
    },
  };
}
