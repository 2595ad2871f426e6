/**
 * @module env
 * The Worker's bindings (declared in wrangler.toml) and its configuration vars,
 * validated once per isolate with zod so handlers get typed values.
 */
import { z } from "zod";
import type { LocalCredentials } from "../shared/tokens/local.js";

export interface Env {
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
  EVENTS_QUEUE: Queue;
  EVENTS_DLQ: Queue;
  JOBS_QUEUE: Queue;
  WORKSPACE: DurableObjectNamespace<import("./catalog/workspace-catalog.js").WorkspaceCatalog>;
  DIRECTORY: DurableObjectNamespace<import("./catalog/directory.js").Directory>;
  RATE_LIMITER: DurableObjectNamespace<import("./ratelimit/rate-limiter.js").RateLimiter>;
  CACHE: KVNamespace;
  SINKS: R2Bucket;
}

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
  }),
});
export type Config = z.infer<typeof Config>;

export class ConfigError extends Error {}

const cache = new WeakMap<object, Config>();

/** Parses the vars once per env object (one per isolate in production). */
export function readConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  let credentials: unknown;
  if (env.TERN_CREDENTIALS) {
    try {
      credentials = JSON.parse(env.TERN_CREDENTIALS);
    } catch {
      throw new ConfigError("TERN_CREDENTIALS is not valid JSON");
    }
  }
  const parsed = Config.safeParse({
    mode: env.TERN_MODE ?? "production",
    clickhouse: {
      url: env.CLICKHOUSE_URL,
      username: env.CLICKHOUSE_USER || undefined,
      password: env.CLICKHOUSE_PASSWORD ?? undefined,
      workspaceUsers: env.CLICKHOUSE_WORKSPACE_USERS || undefined,
      readerSecret: env.CLICKHOUSE_READER_SECRET || undefined,
    },
    credentials,
    ingest: {
      maxBodyBytes: env.INGEST_MAX_BODY_BYTES || undefined,
      maxDecompressedBytes: env.INGEST_MAX_DECOMPRESSED_BYTES || undefined,
      rps: env.INGEST_RPS || undefined,
    },
  });
  if (!parsed.success) {
    throw new ConfigError(`invalid Worker configuration: ${z.prettifyError(parsed.error)}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}

export type { LocalCredentials };
