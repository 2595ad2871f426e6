/**
 * @module platform/platform
 * Everything a role reaches outside its own code, in one object built once
 * per request (`middleware.ts`), queue batch or cron tick: the config, the
 * request id, the clock, `waitUntil`, ClickHouse access, the catalogs, the
 * rate limiter, and the queues, KV and R2 bucket. Role functions take
 * `(platform, principal, input)` and nothing from the HTTP framework, so they
 * run the same under hono, a queue consumer, or a test in Node with an
 * injected ClickHouse `fetch`.
 */
import { readConfig, type Bindings, type Config, type Env } from "../env.js";
import { clickhouseAccess, type ClickHouseAccess } from "../clickhouse/access.js";
import { catalogClient, type CatalogClient } from "../catalog/client.js";
import { rateLimiter, type RateLimiter } from "../ratelimit/limit.js";
import { leasedBuckets, type BucketStore } from "../ratelimit/buckets.js";
import { createTiming, type Timing } from "./timing.js";

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface Platform {
  readonly config: Config;
  /** This request's id: the ClickHouse query id of its read, its import id, the `x-request-id` answered. */
  readonly requestId: string;
  readonly clock: Clock;
  /** This request's phases, answered as `Server-Timing` (`timing.ts`). */
  readonly timing: Timing;
  /** Keeps `work` running after the answer is sent (the runtime's `waitUntil`). */
  waitUntil(work: Promise<unknown>): void;
  /** ClickHouse: the admin client, workspace readers, the read guard, KILL. */
  readonly clickhouse: ClickHouseAccess;
  /** Workspace catalogs, the Directory, live deployments. */
  readonly catalog: CatalogClient;
  /** The one entry point of rate limits. */
  readonly rateLimits: RateLimiter;
  readonly queues: { readonly events: Queue; readonly jobs: Queue };
  /** KV: token records (auth) and live deployments (catalog) for the hot paths. */
  readonly kv: KVNamespace;
  /** R2: parked dead letters. */
  readonly sinks: R2Bucket;
}

export interface PlatformParts {
  config: Config;
  requestId: string;
  waitUntil(work: Promise<unknown>): void;
  /** The Worker's bindings; a platform without some (Node tests) throws when a role reaches for one. */
  bindings?: Partial<Bindings>;
  /** The `fetch` ClickHouse is reached with (default: the runtime's). */
  fetch?: typeof globalThis.fetch;
  clock?: Clock;
  /** Where rate-limit buckets live (default: the RateLimiter Durable Object, spent through leases). */
  buckets?: BucketStore;
}

const systemClock: Clock = { now: () => Date.now() };

/** A binding this platform was built without: any use says which one. */
function missing<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get() {
      throw new Error(`this platform has no ${name} binding`);
    },
  });
}

function binding<K extends keyof Bindings>(bindings: Partial<Bindings>, name: K): Bindings[K] {
  return bindings[name] ?? missing<Bindings[K]>(name);
}

export function createPlatform(parts: PlatformParts): Platform {
  const b = parts.bindings ?? {};
  return {
    config: parts.config,
    requestId: parts.requestId,
    clock: parts.clock ?? systemClock,
    timing: createTiming(),
    waitUntil: parts.waitUntil,
    clickhouse: clickhouseAccess(parts.config, parts.fetch),
    catalog: catalogClient({ WORKSPACE: binding(b, "WORKSPACE"), DIRECTORY: binding(b, "DIRECTORY"), CACHE: binding(b, "CACHE") }),
    rateLimits: rateLimiter(parts.buckets ?? leasedBuckets(binding(b, "RATE_LIMITER"))),
    queues: { events: binding(b, "EVENTS_QUEUE"), jobs: binding(b, "JOBS_QUEUE") },
    kv: binding(b, "CACHE"),
    sinks: binding(b, "SINKS"),
  };
}

/** The platform of a queue batch or a cron tick (no request: a fresh id). */
export function platformFor(env: Env, ctx: { waitUntil(work: Promise<unknown>): void }, requestId: string = crypto.randomUUID()): Platform {
  return createPlatform({ config: readConfig(env), requestId, waitUntil: (work) => ctx.waitUntil(work), bindings: env });
}
