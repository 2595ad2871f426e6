/**
 * @module tokens/routes
 * Tinybird's Token API, mounted at `/v0/tokens`: every call needs TOKENS or
 * ADMIN; the rules are in service.ts and power.ts. Routes parse the request
 * (query string, form or JSON body) and call the role function.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { BadRequestError } from "../../shared/errors.js";
import { createJwt, createStatic, deleteToken, getToken, listTokens, refreshToken } from "./service.js";

export const tokenRoutes = new Hono<AppEnv>();

const manageTokens = requireAuth({ kind: "manage_tokens" });

tokenRoutes.get("/", manageTokens, async (c) => c.json({ tokens: await listTokens(c.get("platform"), c.get("principal")) }));

/** A static token's name, description and scopes, from the query string and a form or JSON body. */
async function staticTokenRequest(c: Context<AppEnv>): Promise<{ name: string | undefined; description: string | undefined; scopes: string[] }> {
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
  return { name, description, scopes };
}

async function create(c: Context<AppEnv>): Promise<Response> {
  const platform = c.get("platform");
  const principal = c.get("principal");
  const expirationTime = c.req.query("expiration_time");
  if (expirationTime !== undefined) {
    // Handed over as text: the role checks expiration_time before it parses the body.
    // The name may come in the query string (Tinybird's CLI sends it there); the body's wins.
    return c.json(await createJwt(platform, principal, { expirationTime, name: c.req.query("name"), body: await c.req.text() }));
  }
  return c.json(await createStatic(platform, principal, await staticTokenRequest(c)));
}

tokenRoutes.post("/", manageTokens, create);
// `POST /v0/tokens/` too (Tinybird's CLI mints JWTs there): an empty path segment.
tokenRoutes.post("/:trailingSlash{.{0}}", manageTokens, create);

tokenRoutes.get("/:name", manageTokens, async (c) => c.json(await getToken(c.get("platform"), c.get("principal"), c.req.param("name"))));

tokenRoutes.post("/:name/refresh", manageTokens, async (c) => c.json(await refreshToken(c.get("platform"), c.get("principal"), c.req.param("name"))));

tokenRoutes.delete("/:name", manageTokens, async (c) => {
  await deleteToken(c.get("platform"), c.get("principal"), c.req.param("name"));
  return c.body(null, 204);
});
