/**
 * @module endpoints/limits
 * Read-path limits from the Worker vars, parsed once per env object, and the
 * rate limits of endpoint and Query API calls: the workspace QPS (when set)
 * and a JWT's `limits.rps`, both exact token buckets in the RateLimiter DO.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { TakeResult } from "../../shared/ratelimit/token-bucket.js";
import type { AppEnv } from "../api/context.js";
import type { Env } from "../env.js";
import { rateLimitedError, rateLimitHeaders, takeToken } from "../ratelimit/limit.js";

const ReadLimits = z.object({
  workspaceQps: z.coerce.number().min(0).default(0),
  queryTimeoutSeconds: z.coerce.number().positive().default(10),
  /**
   * Reads of one workspace running at once in this isolate; past it, 429. The
   * ClickHouse user of the workspace carries the same cap server-wide
   * (`max_concurrent_queries_for_user`), so one workspace cannot take every
   * connection from the others, nor from health checks and ingestion.
   */
  workspaceConcurrency: z.coerce.number().int().positive().default(8),
  /** Tinybird's documented response size limit. */
  maxResultBytes: z.number().int().positive().default(100 * 1024 * 1024),
  /**
   * Answers up to this many bytes are sent whole and uncompressed (0: always
   * streamed, compression left to the runtime). An answer that fits in about one
   * TCP segment saves no packet by being gzipped, yet costs a compression on the
   * way out and a decompression in the client; larger answers stream as soon as
   * ClickHouse sends them and are compressed for clients that accept it.
   */
  smallAnswerBytes: z.coerce.number().int().min(0).default(1400),
});
export type ReadLimits = z.infer<typeof ReadLimits>;

const cache = new WeakMap<object, ReadLimits>();

export function readLimits(env: Env): ReadLimits {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = ReadLimits.parse({
    workspaceQps: env.TERN_WORKSPACE_QPS || undefined,
    queryTimeoutSeconds: env.TERN_QUERY_TIMEOUT_SECONDS || undefined,
    workspaceConcurrency: env.TERN_WORKSPACE_CONCURRENCY || undefined,
    smallAnswerBytes: env.TERN_SMALL_ANSWER_BYTES || undefined,
  });
  cache.set(env, parsed);
  return parsed;
}


/**
 * Takes one request from every bucket that applies. Throws 429 (with
 * Retry-After and X-RateLimit-*) when one is empty; otherwise returns the
 * X-RateLimit-* headers of the tightest bucket (none when nothing applies).
 */
export async function enforceRateLimits(c: Context<AppEnv>): Promise<Record<string, string>> {
  const principal = c.get("principal");
  const checks: Array<Promise<{ what: string; result: TakeResult }>> = [];
  const qps = readLimits(c.env).workspaceQps;
  if (qps > 0) {
    const key = `qps:${principal.workspaceId}`;
    checks.push(takeToken(c.env, key, qps, Math.max(1, qps * 2)).then((result) => ({ what: "workspace QPS", result })));
  }
  const rps = principal.kind === "jwt" ? principal.limits?.rps : undefined;
  if (rps) {
    const key = `jwt:${principal.workspaceId}:${principal.tokenName}`;
    checks.push(takeToken(c.env, key, rps, rps).then((result) => ({ what: `JWT '${principal.tokenName}'`, result })));
  }
  if (checks.length === 0) return {};
  const results = await Promise.all(checks);
  const refused = results.find((r) => !r.result.allowed);
  if (refused) {
    throw rateLimitedError(
      `Too many requests: the ${refused.what} limit of ${refused.result.limit} requests is exhausted; retry in ${Math.max(1, refused.result.retryAfterSeconds)} s`,
      refused.result,
    );
  }
  const tightest = results.reduce((a, b) => (b.result.remaining < a.result.remaining ? b : a));
  return rateLimitHeaders(tightest.result);
}
