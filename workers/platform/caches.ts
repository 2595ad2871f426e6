/**
 * @module platform/caches
 * Every per-isolate cache of the Worker, named in one table with its size and
 * how long an entry may be trusted. One eviction rule for all of them: at most
 * `capacity` entries, the least recently used goes first (`shared/lru.ts`);
 * an entry older than `ttlMs` counts as absent. A module takes its cache with
 * `isolateCache<V>("name")`; nothing else in `workers/` keeps a Map as a cache.
 *
 * Not listed: caches keyed by an object (a WeakMap lives as long as its key):
 * parsed config per env object (`env.ts`), OpenAPI parameters per manifest pipe
 * (`endpoints/openapi.ts`), group-commit lanes per ClickHouse client
 * (`ingest/group-insert.ts`), ClickHouse access per `fetch`
 * (`clickhouse/access.ts`); and state that is not a cache: reads in flight per
 * workspace (`endpoints/concurrency.ts`), rows waiting for a batched write
 * (`service/batch-writer.ts`), "created once" promises of the service tables
 * and the sandbox database.
 */
import { Lru } from "../../shared/lru.js";

interface CacheRule {
  capacity: number;
  /** At most this many bytes, by the weight `isolateCache` is given (the oldest entries go first). */
  maxBytes?: number;
  /** Entries older than this are treated as absent (omitted: trusted until evicted). */
  ttlMs?: number;
  /** Keys longer than this are never kept (huge SQL would pin memory). */
  maxKeyLength?: number;
}

/** Each cache: what it holds, keyed by what, and for how long it is trusted. */
export const CACHE_RULES = {
  /** JWT verification key (the workspace admin token) per workspace id; refreshed tokens are evicted. */
  jwtKeys: { capacity: 10_000, ttlMs: 30_000 },
  /** JWTs already verified, per token string, with the key that verified them (expiry checked on every use). */
  verifiedJwts: { capacity: 10_000 },
  /** Whether the Directory lists a workspace id, and its static tokens' signing secret. */
  knownWorkspaces: { capacity: 10_000, ttlMs: 60_000 },
  /** Default workspaces of TERN_CREDENTIALS already ensured in their catalog. */
  bootstrappedWorkspaces: { capacity: 16 },
  /** Static token string → its catalog record (KV holds it for 60 s behind this). */
  tokens: { capacity: 10_000, ttlMs: 10_000 },
  /** Which deployment is live, per workspace: re-checked in KV every second. */
  liveDeployments: { capacity: 10_000, ttlMs: 1_000 },
  /** Deployment manifests by workspace and id: immutable once created. */
  manifests: { capacity: 1_000 },
  /** Short digest of a token string for `pipe_stats_rt.token`. */
  tokenIds: { capacity: 10_000 },
  /** Compiled row validators per datasource version (database + physical table). */
  rowValidators: { capacity: 1_000 },
  /** Compiled node templates per workspace, deployment and pipe. */
  nodeTemplates: { capacity: 2_000 },
  /** Compiled pipes per deployment, scopes, target and rendered node SQL (endpoints/sql-context.ts). */
  compiledPipes: { capacity: 1_000 },
  /** Cached endpoint answers (endpoints/cache.ts, each at most 64 KiB) by their entry URL: the isolate-memory tier in front of the location's Cache API, fresh by the same rule; 4 MiB in all. */
  endpointAnswers: { capacity: 4_096, maxBytes: 4 * 1024 * 1024 },
  /** Cached endpoints' reads (SQL, settings, entry URL) by everything they are built from (endpoints/cache.ts `knownRead`). */
  endpointReads: { capacity: 2_000, maxKeyLength: 16 * 1024 },
  /** Read-guard verdicts per database and SQL text. */
  guardVerdicts: { capacity: 5_000, maxKeyLength: 64 * 1024 },
  /** Read-guard verdicts per database and read shape (an endpoint's SQL with its parameter literals marked), or "unshaped". */
  guardShapes: { capacity: 5_000, maxKeyLength: 64 * 1024 },
  /** ClickHouse's `EXPLAIN AST` of deploy DDL and expressions, per SQL text (deploy/ddl-guard.ts). */
  ddlParses: { capacity: 2_000, maxKeyLength: 64 * 1024 },
  /** ClickHouse's canonical re-printing of a statement, per SQL text. */
  canonicalSql: { capacity: 5_000, maxKeyLength: 64 * 1024 },
  /** Workspace names by id, for the ClickHouse interface's database name (a rename shows within a minute). */
  workspaceNames: { capacity: 10_000, ttlMs: 60_000 },
  /** Workspaces whose views of the service tables exist (the creating promise). */
  serviceViews: { capacity: 10_000 },
  /** Workspace reader clients, per ClickHouse access and database (the provisioning promise). */
  readers: { capacity: 10_000 },
  /** Rate-limit leases per bucket key: tokens this isolate withdrew from the RateLimiter DO and spends locally (an evicted lease is just not spent; the DO writes it off when it expires). */
  rateLimitLeases: { capacity: 10_000 },
  /** Whether a deployment's pipe nodes mention `tb_secret`/`tb_var` (endpoints/pipe-secrets.ts): only those reads ask the catalog for secrets. */
  pipeSecretMentions: { capacity: 10_000 },
  /** ClickHouse access objects per connection settings (one per `fetch`). */
  clickhouseAccess: { capacity: 64 },
} as const satisfies Record<string, CacheRule>;

export type CacheName = keyof typeof CACHE_RULES;

/** A least-recently-used map whose entries may expire. */
export class IsolateCache<V> {
  readonly #entries: Lru<{ value: V; at: number }>;
  readonly #ttlMs: number | undefined;

  constructor(rule: CacheRule, weigh?: (value: V) => number) {
    const bytes = rule.maxBytes !== undefined && weigh ? { maxBytes: rule.maxBytes, weigh: (e: { value: V; at: number }) => weigh(e.value) } : undefined;
    this.#entries = new Lru(rule.capacity, rule.maxKeyLength, bytes);
    this.#ttlMs = rule.ttlMs;
  }

  /** The entry, unless it is missing or older than the cache's time to live. */
  get(key: string): V | undefined {
    return this.entry(key)?.value;
  }

  /** Like `get`, but tells a cached `undefined` from a miss. */
  entry(key: string): { value: V } | undefined {
    const hit = this.#entries.get(key);
    if (!hit) return undefined;
    if (this.#ttlMs !== undefined && Date.now() - hit.at >= this.#ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return hit;
  }

  set(key: string, value: V): V {
    this.#entries.set(key, { value, at: Date.now() });
    return value;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Cached promise of `key`, or the one `make` starts; a promise that rejects is forgotten, so the next call tries again. */
  once<T>(this: IsolateCache<Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.get(key);
    if (hit) return hit;
    const p = make().catch((e: unknown) => {
      if (this.#entries.get(key)?.value === p) this.#entries.delete(key);
      throw e;
    });
    return this.set(key, p);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held, for a cache bounded by bytes. */
  get bytes(): number {
    return this.#entries.weight;
  }
}

/**
 * The named cache's own instance (one per module that asks; each name is asked
 * for once). `weigh`: an entry's size in bytes, for a rule with `maxBytes`.
 */
export function isolateCache<V>(name: CacheName, weigh?: (value: V) => number): IsolateCache<V> {
  return new IsolateCache<V>(CACHE_RULES[name], weigh);
}
