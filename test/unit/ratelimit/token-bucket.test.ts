import { describe, expect, it } from "vitest";
import { takeFromBucket, type BucketState } from "../../../shared/ratelimit/token-bucket.js";

describe("takeFromBucket", () => {
  it("starts full: the first take of a 10/s bucket leaves 9", () => {
    const { result } = takeFromBucket(undefined, { rate: 10, burst: 10, now: 0 });
    expect(result).toEqual({ allowed: true, limit: 10, remaining: 9, resetSeconds: 1, retryAfterSeconds: 0 });
  });

  it("refuses when empty and says when one token is back", () => {
    const empty: BucketState = { tokens: 0, updatedAt: 1000 };
    const { result } = takeFromBucket(empty, { rate: 2, burst: 2, now: 1000 });
    expect(result).toEqual({ allowed: false, limit: 2, remaining: 0, resetSeconds: 1, retryAfterSeconds: 1 });
  });

  it("refills continuously at `rate` per second", () => {
    const empty: BucketState = { tokens: 0, updatedAt: 0 };
    expect(takeFromBucket(empty, { rate: 10, burst: 10, now: 99 }).result.allowed).toBe(false);
    expect(takeFromBucket(empty, { rate: 10, burst: 10, now: 100 }).result.allowed).toBe(true);
  });

  it("never refills past burst", () => {
    const { state } = takeFromBucket({ tokens: 5, updatedAt: 0 }, { rate: 10, burst: 10, now: 60_000 });
    expect(state.tokens).toBe(9);
  });

  it("rejects a non-positive rate", () => {
    expect(() => takeFromBucket(undefined, { rate: 0, burst: 1, now: 0 })).toThrow(RangeError);
  });
});
