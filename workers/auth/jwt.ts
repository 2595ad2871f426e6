/**
 * @module auth/jwt
 * Tinybird JWTs: HS256, signed with the workspace admin token string, claims
 * `workspace_id`, `name`, `exp`, `scopes[{type, resource, fixed_params?, filter?}]`
 * and optional `limits.rps`. They are never stored; the signature is the proof.
 * Verification keys (the admin token) are cached per isolate and workspace
 * (`jwtKeys` in platform/caches.ts).
 */
import { SignJWT, decodeJwt, errors as joseErrors, jwtVerify } from "jose";
import { z } from "zod";
import { ForbiddenError } from "../../shared/errors.js";
import type { Scope } from "../../shared/tokens/scopes.js";
import type { Platform } from "../platform/platform.js";
import { isolateCache } from "../platform/caches.js";
import { isKnownWorkspace } from "./known-workspaces.js";

/** Name of the catalog token whose string signs JWTs. */
export const WORKSPACE_ADMIN_TOKEN = "workspace admin token";

/** Scope types a JWT may carry (the TS SDK also types DATASOURCES:APPEND). */
export const JWT_SCOPE_TYPES = ["PIPES:READ", "DATASOURCES:READ", "DATASOURCES:APPEND"] as const;

export const JwtScope = z.object({
  type: z.enum(JWT_SCOPE_TYPES),
  resource: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  fixed_params: z.record(z.string(), z.unknown()).optional(),
  filter: z.string().min(1).optional(),
});

export const JwtClaims = z.object({
  workspace_id: z.string().min(1),
  name: z.string().min(1),
  exp: z.number().int(),
  iat: z.number().optional(),
  scopes: z.array(JwtScope).min(1),
  limits: z.object({ rps: z.number().int().positive().optional() }).optional(),
});
export type JwtClaims = z.infer<typeof JwtClaims>;

/** A JWT looks like `eyJ….….…`; static tokens start with `p.`. */
export function looksLikeJwt(token: string): boolean {
  return token.startsWith("eyJ") && token.split(".").length === 3;
}

const keys = isolateCache<Uint8Array | undefined>("jwtKeys");

/** Forgets the verification key of a workspace (its admin token was refreshed). */
export function evictJwtKey(workspaceId: string): void {
  keys.delete(workspaceId);
}

async function signingKey(platform: Platform, workspaceId: string): Promise<Uint8Array | undefined> {
  const hit = keys.entry(workspaceId);
  if (hit) return hit.value;
  // An unverified workspace_id must not bring a catalog object into being.
  if (!(await isKnownWorkspace(platform, workspaceId))) return undefined;
  const admin = await platform.catalog.workspace(workspaceId).getToken(WORKSPACE_ADMIN_TOKEN);
  return keys.set(workspaceId, admin ? new TextEncoder().encode(admin.token) : undefined);
}

/**
 * JWTs already verified in this isolate, with the key that verified them: a
 * browser sends the same JWT on every call, and checking its signature and
 * claims again proves nothing new while the key is unchanged. Expiry is checked
 * on every use.
 */
const verified = isolateCache<{ workspaceId: string; key: Uint8Array; claims: JwtClaims }>("verifiedJwts");

/** Checks signature, expiry and claims; any failure is a 403, as in Tinybird. */
export async function verifyJwt(platform: Platform, token: string): Promise<JwtClaims> {
  const known = verified.get(token);
  if (known && (await signingKey(platform, known.workspaceId)) === known.key) {
    if (known.claims.exp * 1000 > platform.clock.now()) return known.claims;
    verified.delete(token);
    throw new ForbiddenError("Invalid token: the JWT has expired");
  }
  const claims = await verifyJwtFully(platform, token);
  verified.set(token, claims);
  return claims.claims;
}

async function verifyJwtFully(platform: Platform, token: string): Promise<{ workspaceId: string; key: Uint8Array; claims: JwtClaims }> {
  let unverified: Record<string, unknown>;
  try {
    unverified = decodeJwt(token);
  } catch (e) {
    throw new ForbiddenError("Invalid token", { cause: e });
  }
  const workspaceId = typeof unverified.workspace_id === "string" ? unverified.workspace_id : undefined;
  if (!workspaceId) throw new ForbiddenError("Invalid token: the JWT has no workspace_id");
  const key = await signingKey(platform, workspaceId);
  if (!key) throw new ForbiddenError("Invalid token");
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp"] }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw new ForbiddenError("Invalid token: the JWT has expired", { cause: e });
    throw new ForbiddenError("Invalid token", { cause: e });
  }
  const claims = JwtClaims.safeParse(payload);
  if (!claims.success) throw new ForbiddenError(`Invalid token: ${claims.error.issues[0]!.path.join(".")} ${claims.error.issues[0]!.message}`);
  return { workspaceId, key, claims: claims.data };
}

/** Mints a JWT the way `POST /v0/tokens?expiration_time=` does. */
export async function signJwt(adminToken: string, claims: Omit<JwtClaims, "iat">): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .sign(new TextEncoder().encode(adminToken));
}

export function jwtScopes(claims: JwtClaims): Scope[] {
  return claims.scopes.map((s) => ({
    type: s.type,
    resource: s.resource,
    ...(s.filter ? { filter: s.filter } : {}),
    ...(s.fixed_params ? { fixed_params: s.fixed_params } : {}),
  }));
}
