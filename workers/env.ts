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
  /** JSON of LocalCredentials: the default workspace and its tokens (a secret in production). */
  TERN_CREDENTIALS?: string;
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
  }),
  credentials: Credentials.optional(),
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
    },
    credentials,
  });
  if (!parsed.success) {
    throw new ConfigError(`invalid Worker configuration: ${z.prettifyError(parsed.error)}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}

export type { LocalCredentials };
