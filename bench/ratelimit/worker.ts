/**
 * The bench's Worker: the RateLimiter Durable Object and one route that runs
 * `n` JWT rate-limit checks (`rateLimiter(store).take([bucket])`, the call an
 * endpoint makes for `limits.rps`) in this isolate, `concurrency` at a time,
 * through either store: `do` (one RateLimiter call per check, as before
 * leases) or `lease` (leasedBuckets, the Worker's default). Bundled and run by
 * run.ts under Miniflare (workerd).
 */
import { rateLimiter, type Bucket } from "../../workers/ratelimit/limit.js";
import { durableBuckets, leasedBuckets } from "../../workers/ratelimit/buckets.js";
import type { Bindings } from "../../workers/env.js";

export { RateLimiter } from "../../workers/ratelimit/rate-limiter.js";

interface BenchEnv {
  RATE_LIMITER: Bindings["RATE_LIMITER"];
}

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    const url = new URL(request.url);
    const mode = url.searchParams.get("mode");
    const n = Number(url.searchParams.get("n"));
    const concurrency = Number(url.searchParams.get("concurrency") ?? "1");
    const rps = Number(url.searchParams.get("rps"));
    const key = url.searchParams.get("key") ?? "bench";
    const store = mode === "do" ? durableBuckets(env.RATE_LIMITER) : leasedBuckets(env.RATE_LIMITER);
    const limiter = rateLimiter(store);
    const bucket: Bucket[] = [{ name: "JWT 'bench'", key: `jwt:bench:${key}`, rate: rps, burst: rps }];
    let admitted = 0;
    let refused = 0;
    let next = 0;
    const loop = async () => {
      while (next < n) {
        next++;
        try {
          await limiter.take(bucket);
          admitted++;
        } catch {
          refused++;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    return Response.json({ admitted, refused });
  },
};
