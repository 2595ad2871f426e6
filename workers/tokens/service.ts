/**
 * @module tokens/service
 * The Token API's role functions: list, create (static tokens, or JWTs with
 * an expiration time), get, refresh and delete. No call mints or reveals a
 * token stronger than the caller (`power.ts`): a token grants only scopes it
 * holds, and a stored token it does not cover is listed without its secret and
 * refused (403) otherwise. Static tokens live in the workspace catalog; JWTs
 * are signed with the workspace admin token and never stored.
 */
import { z } from "zod";
import { ensureAllowed } from "../auth/require.js";
import { evictToken, type Principal } from "../auth/principal.js";
import { evictJwtKey, JWT_SCOPE_TYPES, signJwt, WORKSPACE_ADMIN_TOKEN } from "../auth/jwt.js";
import type { TokenRecord } from "../catalog/workspace-catalog.js";
import type { Platform } from "../platform/platform.js";
import { signToken } from "../../shared/tokens/format.js";
import { parseScope, ScopeSyntaxError, type Scope } from "../../shared/tokens/scopes.js";
import { BadRequestError, ForbiddenError, InternalError, NotFoundError } from "../../shared/errors.js";
import { coversScope, coversToken } from "./power.js";

/** Scope objects as Tinybird lists them: `{type, resource?, filter?}`. */
function scopeObjects(scopes: readonly string[]): Array<Pick<Scope, "type" | "resource" | "filter">> {
  return scopes.flatMap((s) => {
    try {
      const { type, resource, filter } = parseScope(s);
      return [{ type, ...(resource ? { resource } : {}), ...(filter ? { filter } : {}) }];
    } catch {
      return [];
    }
  });
}

export function tokenJson(t: TokenRecord) {
  return { id: t.id, name: t.name, description: t.description, scopes: scopeObjects(t.scopes), token: t.token, origin: t.origin };
}

/** A token the caller does not cover: everything but its secret. */
function tokenJsonWithoutSecret(t: TokenRecord) {
  const { token: _secret, ...rest } = tokenJson(t);
  return rest;
}

function ensureCovers(principal: Principal, t: TokenRecord): void {
  if (!coversToken(principal, t)) throw new ForbiddenError(`Permission denied: token '${t.name}' holds more than your token does`);
}

function ensureGrantable(principal: Principal, scope: Scope, text: string): void {
  if (scope.type === "ADMIN_USER") throw new ForbiddenError("Permission denied: ADMIN_USER is the user token's own scope and cannot be granted");
  if (!coversScope(principal.scopes, scope)) {
    throw new ForbiddenError(`Permission denied: a token can only grant scopes it holds, and yours does not hold '${text}'`);
  }
}

function catalogOf(platform: Platform, principal: Principal) {
  ensureAllowed(principal, { kind: "manage_tokens" });
  return platform.catalog.workspace(principal.workspaceId);
}

/** The stored token by name or id, if the caller covers it. */
async function coveredToken(platform: Platform, principal: Principal, nameOrId: string): Promise<TokenRecord> {
  const t = await catalogOf(platform, principal).getToken(nameOrId);
  if (!t) throw new NotFoundError(`Token '${nameOrId}' not found`);
  ensureCovers(principal, t);
  return t;
}

async function mintStatic(platform: Platform, principal: Principal): Promise<string> {
  const secret = await catalogOf(platform, principal).signingSecret();
  if (!secret) throw new InternalError("The workspace has no signing secret");
  return signToken({ u: principal.workspaceId, id: crypto.randomUUID() }, secret);
}

export async function listTokens(platform: Platform, principal: Principal) {
  const tokens = await catalogOf(platform, principal).listTokens();
  return tokens.map((t) => (coversToken(principal, t) ? tokenJson(t) : tokenJsonWithoutSecret(t)));
}

// ------------------------------------------------------------------ create

const JwtRequest = z.object({
  name: z.string().min(1),
  scopes: z
    .array(
      z.object({
        type: z.enum(JWT_SCOPE_TYPES),
        resource: z.string().min(1),
        fixed_params: z.record(z.string(), z.unknown()).optional(),
        filter: z.string().min(1).optional(),
      }),
    )
    .min(1),
  limits: z.object({ rps: z.number().int().positive().optional() }).optional(),
});

/** `api.createToken` may send `scope` strings instead of scope objects. */
function normaliseJwtBody(body: Record<string, unknown>): Record<string, unknown> {
  if (body.scopes !== undefined || body.scope === undefined) return body;
  const list = Array.isArray(body.scope) ? body.scope : [body.scope];
  return {
    ...body,
    scopes: list.map((s) => {
      const { type, resource, filter } = parseScope(String(s));
      return { type, resource, ...(filter ? { filter } : {}) };
    }),
  };
}

/** A JWT (`POST /v0/tokens?expiration_time=`): `body` is the request's JSON text `{name, scopes, limits?}`. */
export async function createJwt(platform: Platform, principal: Principal, req: { expirationTime: string; name?: string; body: string }): Promise<{ token: string }> {
  ensureAllowed(principal, { kind: "manage_tokens" });
  const exp = Number(req.expirationTime);
  if (!Number.isInteger(exp) || exp <= Math.floor(platform.clock.now() / 1000)) {
    throw new BadRequestError("Invalid JWT token request: expiration_time must be a future Unix time in seconds");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(req.body);
  } catch {
    throw new BadRequestError("Invalid JWT token request: the body must be JSON {name, scopes, limits?}");
  }
  let parsed;
  try {
    const body = (raw ?? {}) as Record<string, unknown>;
    parsed = JwtRequest.safeParse(normaliseJwtBody(req.name !== undefined && body.name === undefined ? { ...body, name: req.name } : body));
  } catch (e) {
    if (e instanceof ScopeSyntaxError) throw new BadRequestError(`Invalid JWT token request: ${e.message}`, { cause: e });
    throw e;
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadRequestError(`Invalid JWT token request: ${issue.path.join(".") || "body"}: ${issue.message}`, { cause: parsed.error });
  }
  const { name, scopes, limits } = parsed.data;
  for (const s of scopes) ensureGrantable(principal, s, [s.type, s.resource, s.filter].filter(Boolean).join(":"));
  const admin = await catalogOf(platform, principal).getToken(WORKSPACE_ADMIN_TOKEN);
  if (!admin) throw new InternalError("The workspace has no workspace admin token to sign JWTs with");
  const token = await signJwt(admin.token, {
    workspace_id: principal.workspaceId,
    name,
    exp,
    scopes,
    ...(limits?.rps ? { limits: { rps: limits.rps } } : {}),
  });
  return { token };
}

/** A static token, or new scopes for an existing one (its secret is kept). */
export async function createStatic(
  platform: Platform,
  principal: Principal,
  req: { name: string | undefined; description: string | undefined; scopes: string[] },
) {
  const { name, description, scopes } = req;
  if (!name || !/^[A-Za-z0-9_ .:@-]{1,128}$/.test(name)) throw new BadRequestError("The token 'name' is required (letters, digits, spaces and _ . : @ -)");
  const parsedScopes = scopes.map((s) => {
    try {
      return parseScope(s);
    } catch (e) {
      throw new BadRequestError(`Invalid scope '${s}': ${(e as Error).message}`);
    }
  });
  parsedScopes.forEach((scope, i) => ensureGrantable(principal, scope, scopes[i]!.trim()));
  const catalog = catalogOf(platform, principal);
  const existing = await catalog.getToken(name);
  // Changing a token's scopes hands back its secret: the caller must cover what it is now, too.
  if (existing) ensureCovers(principal, existing);
  if (existing?.origin === "default") throw new BadRequestError(`Token '${name}' is a default token and cannot be modified`);
  const record = await catalog.upsertToken({
    id: crypto.randomUUID(),
    name,
    token: existing?.token ?? (await mintStatic(platform, principal)),
    scopes,
    origin: existing?.origin ?? "api",
    ...(description !== undefined ? { description } : {}),
  });
  if (existing) await evictToken(platform, existing.token);
  return tokenJson(record);
}

// ------------------------------------------------------ get, refresh, delete

export async function getToken(platform: Platform, principal: Principal, nameOrId: string) {
  return tokenJson(await coveredToken(platform, principal, nameOrId));
}

/** A new secret for the token; the old one stops working (and a refreshed workspace admin token re-keys JWTs). */
export async function refreshToken(platform: Platform, principal: Principal, nameOrId: string) {
  const target = await coveredToken(platform, principal, nameOrId);
  const { before, after } = await catalogOf(platform, principal).replaceTokenSecret(target.id, await mintStatic(platform, principal));
  await evictToken(platform, before.token);
  if (before.name === WORKSPACE_ADMIN_TOKEN) evictJwtKey(principal.workspaceId);
  return tokenJson(after);
}

export async function deleteToken(platform: Platform, principal: Principal, nameOrId: string): Promise<void> {
  const target = await coveredToken(platform, principal, nameOrId);
  const deleted = await catalogOf(platform, principal).deleteToken(target.id);
  await evictToken(platform, deleted.token);
}
