/**
 * @module tokens/routes
 * Tinybird's Token API: list, create (static tokens, or JWTs with
 * `?expiration_time=`), get, refresh and delete. Every call needs the TOKENS
 * or ADMIN scope, and no call mints or reveals a token stronger than the
 * caller (`power.ts`): a token grants only scopes it holds, and a stored token
 * it does not cover is listed without its secret and refused (403) otherwise.
 * Static tokens live in the workspace catalog; JWTs are signed with the
 * workspace admin token and never stored.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { catalogStub, evictToken } from "../auth/principal.js";
import { evictJwtKey, JWT_SCOPE_TYPES, signJwt, WORKSPACE_ADMIN_TOKEN } from "../auth/jwt.js";
import { unwrap } from "../catalog/result.js";
import type { TokenRecord } from "../catalog/workspace-catalog.js";
import { signToken } from "../../shared/tokens/format.js";
import { parseScope, ScopeSyntaxError, type Scope } from "../../shared/tokens/scopes.js";
import { BadRequestError, ForbiddenError, InternalError, NotFoundError } from "../../shared/errors.js";
import { coversScope, coversToken } from "./power.js";

export const tokenRoutes = new Hono<AppEnv>();

const manageTokens = requireAuth({ kind: "manage_tokens" });

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

function tokenJson(t: TokenRecord) {
  return { id: t.id, name: t.name, description: t.description, scopes: scopeObjects(t.scopes), token: t.token, origin: t.origin };
}

/** A token the caller does not cover: everything but its secret. */
function tokenJsonWithoutSecret(t: TokenRecord) {
  const { token: _secret, ...rest } = tokenJson(t);
  return rest;
}

function ensureCovers(c: Context<AppEnv>, t: TokenRecord): void {
  if (!coversToken(c.get("principal"), t)) throw new ForbiddenError(`Permission denied: token '${t.name}' holds more than your token does`);
}

function ensureGrantable(c: Context<AppEnv>, scope: Scope, text: string): void {
  if (scope.type === "ADMIN_USER") throw new ForbiddenError("Permission denied: ADMIN_USER is the user token's own scope and cannot be granted");
  if (!coversScope(c.get("principal").scopes, scope)) {
    throw new ForbiddenError(`Permission denied: a token can only grant scopes it holds, and yours does not hold '${text}'`);
  }
}

/** The stored token by name or id, if the caller covers it. */
async function coveredToken(c: Context<AppEnv>, nameOrId: string): Promise<TokenRecord> {
  const t = await stub(c).getToken(nameOrId);
  if (!t) throw new NotFoundError(`Token '${nameOrId}' not found`);
  ensureCovers(c, t);
  return t;
}

function stub(c: Context<AppEnv>) {
  return catalogStub(c.env, c.get("principal").workspaceId);
}

async function mintStatic(c: Context<AppEnv>): Promise<string> {
  const secret = await stub(c).signingSecret();
  if (!secret) throw new InternalError("The workspace has no signing secret");
  return signToken({ u: c.get("principal").workspaceId, id: crypto.randomUUID() }, secret);
}

tokenRoutes.get("/v0/tokens", manageTokens, async (c) => {
  const tokens = await stub(c).listTokens();
  const caller = c.get("principal");
  return c.json({ tokens: tokens.map((t) => (coversToken(caller, t) ? tokenJson(t) : tokenJsonWithoutSecret(t))) });
});

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

async function createJwt(c: Context<AppEnv>, expirationTime: string): Promise<Response> {
  const exp = Number(expirationTime);
  if (!Number.isInteger(exp) || exp <= Math.floor(Date.now() / 1000)) {
    throw new BadRequestError("Invalid JWT token request: expiration_time must be a future Unix time in seconds");
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new BadRequestError("Invalid JWT token request: the body must be JSON {name, scopes, limits?}");
  }
  let parsed;
  try {
    parsed = JwtRequest.safeParse(normaliseJwtBody((raw ?? {}) as Record<string, unknown>));
  } catch (e) {
    if (e instanceof ScopeSyntaxError) throw new BadRequestError(`Invalid JWT token request: ${e.message}`);
    throw e;
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BadRequestError(`Invalid JWT token request: ${issue.path.join(".") || "body"}: ${issue.message}`);
  }
  const { name, scopes, limits } = parsed.data;
  for (const s of scopes) ensureGrantable(c, s, [s.type, s.resource, s.filter].filter(Boolean).join(":"));
  const admin = await stub(c).getToken(WORKSPACE_ADMIN_TOKEN);
  if (!admin) throw new InternalError("The workspace has no workspace admin token to sign JWTs with");
  const token = await signJwt(admin.token, {
    workspace_id: c.get("principal").workspaceId,
    name,
    exp,
    scopes,
    ...(limits?.rps ? { limits: { rps: limits.rps } } : {}),
  });
  return c.json({ token });
}

async function createStatic(c: Context<AppEnv>): Promise<Response> {
  const url = new URL(c.req.url);
  let name = url.searchParams.get("name") ?? undefined;
  let description = url.searchParams.get("description") ?? undefined;
  const scopes = url.searchParams.getAll("scope");
  const type = c.req.header("content-type") ?? "";
  if (type.includes("form")) {
    const form = await c.req.formData();
    name = (form.get("name") as string | null) ?? name;
    description = (form.get("description") as string | null) ?? description;
    scopes.push(...(form.getAll("scope") as unknown as string[]));
  } else if (type.includes("application/json")) {
    const body = (await c.req.json().catch(() => {
      throw new BadRequestError("The body is not valid JSON");
    })) as Record<string, unknown>;
    if (typeof body.name === "string") name = body.name;
    if (typeof body.description === "string") description = body.description;
    const list = body.scopes ?? body.scope;
    for (const s of Array.isArray(list) ? list : list === undefined ? [] : [list]) {
      scopes.push(typeof s === "string" ? s : [s.type, s.resource, s.filter].filter(Boolean).join(":"));
    }
  }
  if (!name || !/^[A-Za-z0-9_ .:@-]{1,128}$/.test(name)) throw new BadRequestError("The token 'name' is required (letters, digits, spaces and _ . : @ -)");
  const parsedScopes = scopes.map((s) => {
    try {
      return parseScope(s);
    } catch (e) {
      throw new BadRequestError(`Invalid scope '${s}': ${(e as Error).message}`);
    }
  });
  parsedScopes.forEach((scope, i) => ensureGrantable(c, scope, scopes[i]!.trim()));
  const catalog = stub(c);
  const existing = await catalog.getToken(name);
  // Changing a token's scopes hands back its secret: the caller must cover what it is now, too.
  if (existing) ensureCovers(c, existing);
  if (existing?.origin === "default") throw new BadRequestError(`Token '${name}' is a default token and cannot be modified`);
  const record = await catalog.upsertToken({
    id: crypto.randomUUID(),
    name,
    token: existing?.token ?? (await mintStatic(c)),
    scopes,
    origin: existing?.origin ?? "api",
    ...(description !== undefined ? { description } : {}),
  });
  if (existing) await evictToken(c.env, existing.token);
  return c.json(tokenJson(record));
}

async function create(c: Context<AppEnv>): Promise<Response> {
  const expiration = new URL(c.req.url).searchParams.get("expiration_time");
  return expiration !== null ? createJwt(c, expiration) : createStatic(c);
}

tokenRoutes.post("/v0/tokens", manageTokens, create);
tokenRoutes.post("/v0/tokens/", manageTokens, create);

// ------------------------------------------------------ get, refresh, delete

tokenRoutes.get("/v0/tokens/:name", manageTokens, async (c) => {
  return c.json(tokenJson(await coveredToken(c, c.req.param("name"))));
});

tokenRoutes.post("/v0/tokens/:name/refresh", manageTokens, async (c) => {
  const target = await coveredToken(c, c.req.param("name"));
  const { before, after } = unwrap(await stub(c).replaceTokenSecret(target.id, await mintStatic(c)));
  await evictToken(c.env, before.token);
  if (before.name === WORKSPACE_ADMIN_TOKEN) evictJwtKey(c.get("principal").workspaceId);
  return c.json(tokenJson(after));
});

tokenRoutes.delete("/v0/tokens/:name", manageTokens, async (c) => {
  const target = await coveredToken(c, c.req.param("name"));
  const deleted = unwrap(await stub(c).deleteToken(target.id));
  await evictToken(c.env, deleted.token);
  return c.body(null, 204);
});
