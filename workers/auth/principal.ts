/**
 * @module auth/principal
 * Who is calling: the workspace, the token's name and its scopes. Static tokens
 * resolve through the workspace catalog (cached per isolate, then KV); the
 * default workspace of TERN_CREDENTIALS is created in the catalog on first use.
 */
import { decodeToken, verifyToken } from "../../shared/tokens/format.js";
import { parseScope, type Scope } from "../../shared/tokens/scopes.js";
import { ConflictError, ForbiddenError } from "../../shared/errors.js";
import type { TokenRecord, WorkspaceInfo } from "../catalog/workspace-catalog.js";
import { DEFAULT_USER_ID, workspaceDatabase } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";
import { isolateCache } from "../platform/caches.js";
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

const bootstrapped = isolateCache<true>("bootstrappedWorkspaces");

/** Makes sure the configured default workspace exists in its catalog (once per isolate). */
export async function ensureDefaultWorkspace(platform: Platform): Promise<WorkspaceInfo | undefined> {
  const creds = platform.config.credentials;
  if (!creds) return undefined;
  if (bootstrapped.get(creds.workspaceId)) return undefined;
  const info = await platform.catalog.workspace(creds.workspaceId).ensureWorkspace({
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
  // A name its user already gave another workspace leaves it unlisted; its tokens work without (known-workspaces.ts).
  await platform.catalog.directory().register(creds.workspaceId, creds.workspaceName).catch((e: unknown) => {
    if (!(e instanceof ConflictError)) throw e;
  });
  bootstrapped.set(creds.workspaceId, true);
  return info;
}

const KV_TTL_SECONDS = 60;
const tokenCache = isolateCache<TokenRecord | undefined>("tokens");

/** KV key of a token: its SHA-256, so the secret itself is never a key. */
async function tokenKey(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return `token:${Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** Forgets a token everywhere it may be cached (after refresh, delete or a scope change). */
export async function evictToken(platform: Platform, token: string): Promise<void> {
  tokenCache.delete(token);
  await platform.kv.delete(await tokenKey(token));
}

/**
 * Token → record: isolate memory (10 s), then KV (60 s, written on a catalog
 * hit), then the workspace catalog. Changes evict both caches.
 */
async function lookupStatic(platform: Platform, workspaceId: string, token: string): Promise<TokenRecord | undefined> {
  const hit = tokenCache.entry(token);
  if (hit) return hit.value;
  // Nothing is looked up for a token before its signature proves it was minted for the workspace it names.
  const secret = await signingSecretOf(platform, workspaceId);
  if (!secret || !(await verifyToken(token, secret))) return undefined;
  const key = await tokenKey(token);
  const cached = await platform.kv.get<Omit<TokenRecord, "token">>(key, "json");
  let record: TokenRecord | undefined = cached ? { ...cached, token } : undefined;
  if (!record) {
    record = await platform.catalog.workspace(workspaceId).resolveToken(token);
    if (record) {
      const { token: _secret, ...rest } = record;
      await platform.kv.put(key, JSON.stringify(rest), { expirationTtl: KV_TTL_SECONDS });
    }
  }
  return tokenCache.set(token, record);
}

/**
 * The principal built from each cached token record, so a call with a known
 * token neither decodes it nor parses its scopes again. Keyed by the record
 * object: a record replaced (TTL, KV, a change evicting it) builds a new one.
 */
const principals = new WeakMap<TokenRecord, Principal>();

export interface ResolveOptions {
  /** JWTs are accepted only by API endpoints, the Query API and the Events API. */
  allowJwt?: boolean;
}

/** The caller behind `token` (static or JWT); 403 for a token that proves nothing. */
export async function resolvePrincipal(platform: Platform, token: string, options: ResolveOptions = {}): Promise<Principal> {
  await ensureDefaultWorkspace(platform);
  if (looksLikeJwt(token)) {
    if (!options.allowJwt) throw new ForbiddenError("JWT tokens are only accepted by API endpoints (/v0/pipes) and the Query API (/v0/sql)");
    const claims = await verifyJwt(platform, token);
    return {
      kind: "jwt",
      workspaceId: claims.workspace_id,
      tokenName: claims.name,
      token,
      scopes: jwtScopes(claims),
      ...(claims.limits?.rps ? { limits: { rps: claims.limits.rps } } : {}),
    };
  }
  // A token in the isolate's cache was verified for the workspace it names; its principal was built then.
  const known = tokenCache.get(token);
  const built = known && principals.get(known);
  if (built) return built;
  const payload = decodeToken(token);
  if (!payload) throw new ForbiddenError("Invalid token");
  const record = await lookupStatic(platform, payload.u, token);
  if (!record) throw new ForbiddenError("Invalid token");
  const principal: Principal = {
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
  principals.set(record, principal);
  return principal;
}
