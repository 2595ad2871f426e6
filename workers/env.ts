/**
 * @module env
 * The Worker's configuration, in one place: the bindings (declared in
 * wrangler.toml), the vars, and the one zod schema that turns the vars into a
 * typed `Config`, parsed once per env object (one per isolate in production).
 * Everything configurable is read from `Config`, never from a var directly.
 */
import { z } from "zod";
import type { LocalCredentials } from "../shared/tokens/local.js";
import { ConfigError } from "../shared/errors.js";

/** Configuration vars (strings, as wrangler.toml `[vars]`, secrets and `--var` give them). */
export interface Vars {
  TERN_MODE?: string;
  CLICKHOUSE_URL?: string;
  CLICKHOUSE_USER?: string;
  CLICKHOUSE_PASSWORD?: string;
  /**
   * "on" (default): reads run as a ClickHouse user per workspace that Tern
   * creates (SELECT on the workspace's database only, a settings profile, a
   * quota); "off" for a ClickHouse where Tern may not manage users.
   */
  CLICKHOUSE_WORKSPACE_USERS?: string;
  /** Key the workspace users' passwords are derived from (default: CLICKHOUSE_PASSWORD). */
  CLICKHOUSE_READER_SECRET?: string;
  /** Events API limits (bytes as sent, bytes after gzip, requests/s per datasource). */
  INGEST_MAX_BODY_BYTES?: string;
  INGEST_SQL_CHECK?: string;
  INGEST_MAX_DECOMPRESSED_BYTES?: string;
  INGEST_RPS?: string;
  /** JSON of LocalCredentials: the default workspace and its tokens (a secret in production). */
  TERN_CREDENTIALS?: string;
  /** Requests per second per workspace on endpoints and the Query API ("0" = no limit). */
  TERN_WORKSPACE_QPS?: string;
  /** ClickHouse max_execution_time for endpoint and Query API reads, in seconds. */
  TERN_QUERY_TIMEOUT_SECONDS?: string;
  /** Endpoint and Query API reads one workspace may run at once (429 past it). */
  TERN_WORKSPACE_CONCURRENCY?: string;
  /** Endpoint and Query API answers up to this many bytes go out whole and uncompressed ("0" = never). */
  TERN_SMALL_ANSWER_BYTES?: string;
  /** Copy and sink runs one workspace may have waiting or working at once. */
  TERN_WORKSPACE_JOBS?: string;
  /** max_execution_time of a copy's query, in seconds. */
  TERN_JOB_TIMEOUT_SECONDS?: string;
  /**
   * Where `s3://` buckets live when not on AWS (an S3-compatible server: MinIO,
   * R2's S3 API, `npm run dev`'s local one): `http://127.0.0.1:7183`. Sinks write
   * path-style URLs under it (docs/sinks.md).
   */
  TERN_S3_ENDPOINT?: string;
  /**
   * A hostname (`clickhouse.example.com`) on which the Worker answers only as a
   * ClickHouse HTTP server at `/` (Tinybird's `clickhouse.<region>` host). The
   * interface is at `/clickhouse` on every host either way
   * (docs/clickhouse-interface.md).
   */
  TERN_CLICKHOUSE_HOST?: string;
  /** Where `gs://` buckets live (default: GCS's XML API, https://storage.googleapis.com). */
  TERN_GCS_ENDPOINT?: string;
  /** The name of the R2 bucket bound as SINKS (wrangler.toml): `r2://` sink URIs must name it. */
  TERN_SINKS_R2_BUCKET?: string;
  /**
   * `TERN_SECRET_<NAME>`: the value of `{{ tb_secret("<NAME>") }}` in `.connection`
   * files when the workspace has no secret of that name (`/v0/variables` comes
   * first), read when a sink runs (set with `wrangler secret put`).
   */
  [secret: `TERN_SECRET_${string}`]: string | undefined;
}

/** The bindings: queues, Durable Objects, KV and R2. Only `platform/` reads them. */
export interface Bindings {
  EVENTS_QUEUE: Queue;
  EVENTS_DLQ: Queue;
  JOBS_QUEUE: Queue;
  WORKSPACE: DurableObjectNamespace<import("./catalog/workspace-catalog.js").WorkspaceCatalog>;
  DIRECTORY: DurableObjectNamespace<import("./catalog/directory.js").Directory>;
  RATE_LIMITER: DurableObjectNamespace<import("./ratelimit/rate-limiter.js").RateLimiter>;
  CACHE: KVNamespace;
  SINKS: R2Bucket;
}

export interface Env extends Vars, Bindings {}

const Credentials = z.object({
  workspaceId: z.string().min(1),
  workspaceName: z.string().min(1),
  signingSecret: z.string().min(16),
  adminToken: z.string().min(1),
  userToken: z.string().min(1),
  workspaceAdminToken: z.string().min(1),
});

const Config = z.object({
  mode: z.enum(["local", "production"]),
  clickhouse: z.object({
    url: z.url(),
    username: z.string().default("default"),
    password: z.string().default(""),
    workspaceUsers: z.enum(["on", "off"]).default("on"),
    readerSecret: z.string().optional(),
  }),
  credentials: Credentials.optional(),
  ingest: z.object({
    maxBodyBytes: z.coerce.number().int().positive().default(10 * 1024 * 1024),
    maxDecompressedBytes: z.coerce.number().int().positive().default(40 * 1024 * 1024),
    rps: z.coerce.number().positive().default(100),
    /**
     * "on": wait=true lines of datasources ClickHouse can check go to it unparsed
     * (shared/ingest/sql-check.ts). Off by default: on the local engine the check
     * costs ClickHouse ~4x a JSONEachRow insert (bench/ingest/README.md).
     */
    sqlCheck: z.enum(["on", "off"]).default("off"),
  }),
  /** Endpoint and Query API reads. */
  reads: z.object({
    /** Requests per second per workspace (burst 2x); 0: no limit. */
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
  }),
  /** The ClickHouse HTTP interface (endpoints/clickhouse-interface.ts). */
  clickhouseInterface: z.object({
    /** Requests to this hostname are ClickHouse protocol requests, at `/`. */
    host: z.string().min(1).toLowerCase().optional(),
  }),
  /** Copy and sink runs (workers/jobs). */
  jobs: z.object({
    /** Runs one workspace may have waiting or working at once; the scheduler defers, on-demand requests get 429. */
    workspaceConcurrency: z.coerce.number().int().positive().default(4),
    /** max_execution_time of a run's ClickHouse query. */
    timeoutSeconds: z.coerce.number().int().positive().default(3600),
    /** A run not heard from for this long (its Worker stopped) is abandoned: `error`, pipe freed. */
    abandonAfterSeconds: z.number().int().positive().default(300),
  }),
  /** Bucket sinks (workers/sinks, docs/sinks.md). */
  sinks: z.object({
    s3Endpoint: z.url().optional(),
    gcsEndpoint: z.url().optional(),
    r2Bucket: z.string().min(1).default("tern-sinks"),
  }),
  /**
   * `tb_secret` values by name, from the `TERN_SECRET_<NAME>` vars: the
   * operator's, shared by every workspace of the deployment. Only the run that
   * needs one reads it; never logged or stored.
   */
  secrets: z.record(z.string(), z.string()),
});
export type Config = z.infer<typeof Config>;
export type ReadLimits = Config["reads"];

// A bad configuration is a TernError too: 500 with a generic message, the detail in the log (shared/error-answer.ts).
export { ConfigError };

const parsedConfigs = new WeakMap<object, Config>();

const SECRET_PREFIX = "TERN_SECRET_";

/** `TERN_SECRET_<NAME>` vars as `{ NAME: value }`. */
function secretVars(vars: Vars): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(vars)) {
    if (key.startsWith(SECRET_PREFIX) && key.length > SECRET_PREFIX.length && typeof value === "string") secrets[key.slice(SECRET_PREFIX.length)] = value;
  }
  return secrets;
}

/** Parses the vars once per env object (one per isolate in production). */
export function readConfig(vars: Vars): Config {
  const hit = parsedConfigs.get(vars);
  if (hit) return hit;
  let credentials: unknown;
  if (vars.TERN_CREDENTIALS) {
    try {
      credentials = JSON.parse(vars.TERN_CREDENTIALS);
    } catch {
      // No cause: JSON.parse's message quotes the text, a secret the log must not hold.
      throw new ConfigError("TERN_CREDENTIALS is not valid JSON");
    }
  }
  const parsed = Config.safeParse({
    mode: vars.TERN_MODE ?? "production",
    clickhouse: {
      url: vars.CLICKHOUSE_URL,
      username: vars.CLICKHOUSE_USER || undefined,
      password: vars.CLICKHOUSE_PASSWORD ?? undefined,
      workspaceUsers: vars.CLICKHOUSE_WORKSPACE_USERS || undefined,
      readerSecret: vars.CLICKHOUSE_READER_SECRET || undefined,
    },
    credentials,
    ingest: {
      maxBodyBytes: vars.INGEST_MAX_BODY_BYTES || undefined,
      maxDecompressedBytes: vars.INGEST_MAX_DECOMPRESSED_BYTES || undefined,
      rps: vars.INGEST_RPS || undefined,
      sqlCheck: vars.INGEST_SQL_CHECK || undefined,
    },
    reads: {
      workspaceQps: vars.TERN_WORKSPACE_QPS || undefined,
      queryTimeoutSeconds: vars.TERN_QUERY_TIMEOUT_SECONDS || undefined,
      workspaceConcurrency: vars.TERN_WORKSPACE_CONCURRENCY || undefined,
      smallAnswerBytes: vars.TERN_SMALL_ANSWER_BYTES || undefined,
    },
    clickhouseInterface: { host: vars.TERN_CLICKHOUSE_HOST || undefined },
    jobs: {
      workspaceConcurrency: vars.TERN_WORKSPACE_JOBS || undefined,
      timeoutSeconds: vars.TERN_JOB_TIMEOUT_SECONDS || undefined,
    },
    sinks: {
      s3Endpoint: vars.TERN_S3_ENDPOINT || undefined,
      gcsEndpoint: vars.TERN_GCS_ENDPOINT || undefined,
      r2Bucket: vars.TERN_SINKS_R2_BUCKET || undefined,
    },
    secrets: secretVars(vars),
  });
  if (!parsed.success) {
    throw new ConfigError(`invalid Worker configuration: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  parsedConfigs.set(vars, parsed.data);
  return parsed.data;
}

export type { LocalCredentials };
