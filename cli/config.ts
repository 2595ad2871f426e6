/**
 * @module config
 * Where the CLI connects and with which token.
 *
 * The config file is `.tern.json`, looked up from the project folder upward (as
 * Tinybird's `.tinyb`), with `.tinyb`'s keys: `host`, `token`, `id`, `name`,
 * `user_token`, `tokens` (host → token), `version`. It holds secrets: keep it out
 * of git.
 *
 * Resolution, first hit wins, host and token each on their own:
 * flags > `TERN_HOST`/`TERN_TOKEN` > `TINYBIRD_URL`/`TINYBIRD_TOKEN` >
 * `TB_HOST`/`TB_TOKEN` > config file > the local platform
 * (`http://localhost:7181`, and its workspace admin token from `GET /tokens`).
 * A config file's token is used only for the host it was written for.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { homedir } from "node:os";
import { z } from "zod";

export const CONFIG_FILE = ".tern.json";
export const LOCAL_HOST = "http://localhost:7181";

const ConfigSchema = z.looseObject({
  host: z.string().optional(),
  token: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  user_token: z.string().optional(),
  tokens: z.record(z.string(), z.string()).optional(),
  version: z.string().optional(),
});
export type ConfigFile = z.infer<typeof ConfigSchema>;

/** Trailing slashes off, so `http://x/` and `http://x` are one host. */
export function normalizeHost(host: string): string {
  return host.trim().replace(/\/+$/, "");
}

export function isLocalHost(host: string): boolean {
  try {
    const { hostname } = new URL(host);
    return hostname === "localhost" || hostname === "127.0.0.1" || hostname === "[::1]";
  } catch {
    return false;
  }
}

/** The nearest `.tern.json` from `dir` upward (stopping after the home folder), if any. */
export async function findConfig(dir: string): Promise<{ path: string; config: ConfigFile } | undefined> {
  const home = homedir();
  let at = dir;
  for (;;) {
    const path = join(at, CONFIG_FILE);
    let text: string | undefined;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (text !== undefined) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new Error(`${path} is not valid JSON`);
      }
      const parsed = ConfigSchema.safeParse(json);
      if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
      return { path, config: parsed.data };
    }
    const up = dirname(at);
    if (at === home || up === at) return undefined;
    at = up;
  }
}

/** Writes the file atomically, readable by its owner only. */
export async function writeConfig(path: string, config: ConfigFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  await rename(tmp, path);
}

/** Adds (or replaces) the connection for `host`, keeping tokens for other hosts. */
export function withConnection(
  previous: ConfigFile | undefined,
  entry: { host: string; token: string; id?: string; name?: string; userToken?: string; version: string },
): ConfigFile {
  const host = normalizeHost(entry.host);
  const sameHost = previous?.host !== undefined && normalizeHost(previous.host) === host;
  const next: ConfigFile = {
    ...previous,
    host,
    token: entry.token,
    tokens: { ...previous?.tokens, [host]: entry.token },
    version: entry.version,
  };
  if (entry.id !== undefined) next.id = entry.id;
  else delete next.id;
  if (entry.name !== undefined) next.name = entry.name;
  else delete next.name;
  if (entry.userToken !== undefined) next.user_token = entry.userToken;
  else if (!sameHost) delete next.user_token;
  return next;
}

export type Source = "flag" | "env" | "config" | "local";

export interface Connection {
  host: string;
  hostSource: Source;
  /** Where the host came from, e.g. `--host`, `TERN_HOST`, a config path. */
  hostFrom: string;
  /** Resolves the workspace token (may call the local `/tokens`). */
  token(): Promise<{ token: string; from: string }>;
  /** A token that may manage workspaces: the user token if known, else the workspace token. */
  userToken(): Promise<{ token: string; from: string }>;
  configPath?: string;
  config?: ConfigFile;
}

export interface ResolveInput {
  flags: { host?: string | undefined; token?: string | undefined; userToken?: string | undefined };
  env: NodeJS.ProcessEnv;
  dir: string;
  fetch: typeof fetch;
}

function firstEnv(env: NodeJS.ProcessEnv, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value) return { name, value };
  }
  return undefined;
}

export class NoTokenError extends Error {
  override readonly name = "NoTokenError";
}

/** GET `<host>/tokens`: Tinybird Local's unauthenticated token list. */
export async function fetchLocalTokens(host: string, fetchFn: typeof fetch): Promise<{ user_token: string; admin_token: string; workspace_admin_token: string }> {
  let res: Response;
  try {
    res = await fetchFn(`${host}/tokens`, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    throw new NoTokenError(`no token given, and the local platform at ${host} did not answer (${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}); start it with \`npm run dev\` or run \`tern login --host <url> --token <token>\``);
  }
  if (!res.ok) throw new NoTokenError(`no token given, and ${host}/tokens answered HTTP ${res.status}; run \`tern login --host <url> --token <token>\``);
  const body = z.object({ user_token: z.string(), admin_token: z.string(), workspace_admin_token: z.string() }).safeParse(await res.json().catch(() => null));
  if (!body.success) throw new NoTokenError(`${host}/tokens did not answer the three local tokens`);
  return body.data;
}

export async function resolveConnection(input: ResolveInput): Promise<Connection> {
  const { flags, env } = input;
  const found = await findConfig(input.dir);
  const config = found?.config;

  let host: string;
  let hostSource: Source;
  let hostFrom: string;
  const hostEnv = firstEnv(env, ["TERN_HOST", "TINYBIRD_URL", "TB_HOST"]);
  if (flags.host) [host, hostSource, hostFrom] = [flags.host, "flag", "--host"];
  else if (hostEnv) [host, hostSource, hostFrom] = [hostEnv.value, "env", hostEnv.name];
  else if (config?.host) [host, hostSource, hostFrom] = [config.host, "config", found!.path];
  else [host, hostSource, hostFrom] = [LOCAL_HOST, "local", "default"];
  host = normalizeHost(host);
  if (!/^https?:\/\/[^/]/.test(host)) throw new Error(`host '${host}' (from ${hostFrom}) is not an http(s) URL`);

  const configSameHost = config?.host !== undefined && normalizeHost(config.host) === host;
  const configToken = config?.tokens?.[host] ?? (configSameHost ? config?.token : undefined);

  let local: Promise<Awaited<ReturnType<typeof fetchLocalTokens>>> | undefined;
  const localTokens = () => (local ??= fetchLocalTokens(host, input.fetch));

  const token = async (): Promise<{ token: string; from: string }> => {
    const fromEnv = firstEnv(env, ["TERN_TOKEN", "TINYBIRD_TOKEN", "TB_TOKEN"]);
    if (flags.token) return { token: flags.token, from: "--token" };
    if (fromEnv) return { token: fromEnv.value, from: fromEnv.name };
    if (configToken) return { token: configToken, from: found!.path };
    if (isLocalHost(host)) return { token: (await localTokens()).workspace_admin_token, from: `${host}/tokens` };
    throw new NoTokenError(`no token for ${host}: pass --token, set TERN_TOKEN, or run \`tern login --host ${host} --token <token>\``);
  };

  const userToken = async (): Promise<{ token: string; from: string }> => {
    const fromEnv = firstEnv(env, ["TERN_USER_TOKEN", "TB_USER_TOKEN"]);
    if (flags.userToken) return { token: flags.userToken, from: "--user-token" };
    if (fromEnv) return { token: fromEnv.value, from: fromEnv.name };
    if (configSameHost && config?.user_token) return { token: config.user_token, from: found!.path };
    // Only a user token creates and deletes workspaces (a workspace token lists its own
    // workspace only), so the local platform's user token is the fallback even when a
    // workspace token was chosen explicitly.
    if (isLocalHost(host)) return { token: (await localTokens()).user_token, from: `${host}/tokens` };
    return token();
  };

  return {
    host,
    hostSource,
    hostFrom,
    token,
    userToken,
    ...(found ? { configPath: found.path, config: found.config } : {}),
  };
}
