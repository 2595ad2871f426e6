/**
 * @module auth/principal
 * Who is calling: the workspace, the token's name and its scopes. Static tokens
 * resolve through the workspace catalog (cached per isolate); the default
 * workspace of TERN_CREDENTIALS is created in the catalog on first use.
 */
import type { Context } from "hono";
import { decodeToken, verifyToken } from "../../shared/tokens/format.js";
import { parseScope, type Scope } from "../../shared/tokens/scopes.js";
import { ForbiddenError } from "../../shared/errors.js";
import type { AppEnv } from "../api/context.js";
import type { Config, Env } from "../env.js";
import type { TokenRecord, WorkspaceInfo } from "../catalog/workspace-catalog.js";
import { DEFAULT_USER_ID } from "../catalog/directory.js";
import { extractToken } from "./extract-token.js";
import { signingSecretOf } from "./known-workspaces.js";
import { jwtScopes, looksLikeJwt, verifyJwt } from "./jwt.js";

export interface Principal {
  kind: "static" | "jwt";
  workspaceId: string;
  tokenName: string;
  token: string;
  scopes: Scope[];
  /** The user a user-bound default token identifies (see docs/workspaces.md). */
  userId?: string;
  limits?: { rps?: number };
}

export function catalogStub(env: Env, workspaceId: string) {
  return env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId));
}

/** ClickHouse database of a workspace: ids are UUIDs, databases need plain names. */
export function workspaceDatabase(workspaceId: string): string {
  return `tern_${workspaceId.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}`;
}

const bootstrapped = new Set<string>();

/** Makes sure the configured default workspace exists in its catalog (once per isolate). */
export async function ensureDefaultWorkspace(env: Env, config: Config): Promise<WorkspaceInfo | undefined> {
  const creds = config.credentials;
  if (!creds) return undefined;
  if (bootstrapped.has(creds.workspaceId)) return undefined;
  const stub = catalogStub(env, creds.workspaceId);
  const info = await stub.ensureWorkspace({
    id: creds.workspaceId,
    name: creds.workspaceName,
    database: workspaceDatabase(creds.workspaceId),
    signingSecret: creds.signingSecret,
    tokens: [
      { id: "workspace-admin-token", name: "workspace admin token", token: creds.workspaceAdminToken, scopes: ["ADMIN"] },
      { id: "admin-token", name: "admin token", token: creds.adminToken, scopes: ["ADMIN"], userId: DEFAULT_USER_ID },
      { id: "user-token", name: "user token", token: creds.userToken, scopes: ["ADMIN_USER"], userId: DEFAULT_USER_ID },
    ],
  });
  await env.DIRECTORY.get(env.DIRECTORY.idFromName("global")).register(creds.workspaceId, creds.workspaceName);
  bootstrapped.add(creds.workspaceId);
  return info;
}

const TOKEN_TTL_MS = 10_000;
const KV_TTL_SECONDS = 60;
const tokenCache = new Map<string, { record: TokenRecord | undefined; at: number }>();

/** KV key of a token: its SHA-256, so the secret itself is never a key. */
async function tokenKey(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return `token:${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Forgets a token everywhere it may be cached (after refresh, delete or a scope change). */
export async function evictToken(env: Env, token: string): Promise<void> {
  tokenCache.delete(token);
  await env.CACHE.delete(await tokenKey(token));
}

/**
 * Token → record: isolate memory (10 s), then KV (60 s, written on a catalog
 * hit), then the workspace catalog. Changes evict both caches.
 */
async function lookupStatic(env: Env, workspaceId: string, token: string): Promise<TokenRecord | undefined> {
  const hit = tokenCache.get(token);
  if (hit && Date.now() - hit.at < TOKEN_TTL_MS) return hit.record;
  // Nothing is looked up for a token before its signature proves it was minted for the workspace it names.
  const secret = await signingSecretOf(env, workspaceId);
  if (!secret || !(await verifyToken(token, secret))) return undefined;
  const key = await tokenKey(token);
  const cached = await env.CACHE.get<Omit<TokenRecord, "token">>(key, "json");
  let record: TokenRecord | undefined = cached ? { ...cached, token } : undefined;
  if (!record) {
    record = await catalogStub(env, workspaceId).resolveToken(token);
    if (record) {
      const { token: _secret, ...rest } = record;
      await env.CACHE.put(key, JSON.stringify(rest), { expirationTtl: KV_TTL_SECONDS });
    }
  }
  tokenCache.set(token, { record, at: Date.now() });
  return record;
}

export interface ResolveOptions {
  /** JWTs are accepted only by API endpoints and the Query API. */
  allowJwt?: boolean;
}

export async function resolvePrincipal(c: Context<AppEnv>, options: ResolveOptions = {}): Promise<Principal> {
  const token = extractToken(c.req.raw);
  const config = c.get("config");
  await ensureDefaultWorkspace(c.env, config);
  if (looksLikeJwt(token)) {
    if (!options.allowJwt) throw new ForbiddenError("JWT tokens are only accepted by API endpoints (/v0/pipes) and the Query API (/v0/sql)");
    const claims = await verifyJwt(c.env, token);
    return {
      kind: "jwt",
      workspaceId: claims.workspace_id,
      tokenName: claims.name,
      token,
      scopes: jwtScopes(claims),
      ...(claims.limits?.rps ? { limits: { rps: claims.limits.rps } } : {}),
    };
  }
  const payload = decodeToken(token);
  if (!payload) throw new ForbiddenError("Invalid token");
  const record = await lookupStatic(c.env, payload.u, token);
  if (!record) throw new ForbiddenError("Invalid token");
  return {
    kind: "static",
    workspaceId: payload.u,
    tokenName: record.name,
    token,
    ...(record.user_id ? { userId: record.user_id } : {}),
    scopes: record.scopes.flatMap((s) => {
      try {
        return [parseScope(s)];
      } catch {
        return []; // an unknown scope grants nothing
      }
    }),
  };
}
