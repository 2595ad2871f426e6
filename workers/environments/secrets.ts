/**
 * @module environments/secrets
 * `/v0/variables`: the workspace's secrets, as Tinybird's CLI (`tb secret
 * ls|set|rm`) calls them: list, create, get, update (`PUT`), delete. Workspace
 * admin tokens only. Answers carry a secret's name, type and dates; its value
 * goes in and never comes back out (not in answers, errors or logs). The values
 * resolve `{{ tb_secret("NAME") }}`: checked at deploy (deploy/service.ts) and
 * read by sinks at run time, before the operator's `TERN_SECRET_<NAME>` vars.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import type { SecretRecord } from "../catalog/workspace-catalog.js";
import { BadRequestError, NotFoundError } from "../../shared/errors.js";

export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;
const MAX_VALUE_BYTES = 64 * 1024;

const Name = z.string().regex(SECRET_NAME, "a secret's name is letters, digits and _ (not first), at most 100 characters");
const Value = z
  .string()
  .refine((v) => new TextEncoder().encode(v).length <= MAX_VALUE_BYTES, `a secret's value is at most ${MAX_VALUE_BYTES} bytes`);

/** A secret as it is answered: never its value. */
function secretJson(s: SecretRecord) {
  return { name: s.name, type: "secret", created_at: s.created_at, updated_at: s.updated_at };
}

/** `name` and `value` from a form or JSON body (tb sends a form); the value is never quoted in an error. */
async function bodyFields(c: Context<AppEnv>): Promise<{ name?: unknown; value?: unknown }> {
  const type = c.req.header("content-type") ?? "";
  if (type.includes("application/json")) {
    const json: unknown = await c.req.json().catch(() => {
      throw new BadRequestError("The body is not valid JSON");
    });
    return json && typeof json === "object" ? (json as { name?: unknown; value?: unknown }) : {};
  }
  if (type.includes("form")) {
    const form = await c.req.parseBody();
    return { name: form.name, value: form.value };
  }
  return { name: c.req.query("name") };
}

function parseName(value: unknown): string {
  const parsed = Name.safeParse(value);
  if (!parsed.success) throw new BadRequestError(`Invalid secret name: ${parsed.error.issues[0]!.message}`);
  return parsed.data;
}

function parseValue(value: unknown): string {
  if (value === undefined) throw new BadRequestError("The secret's 'value' is required");
  const parsed = Value.safeParse(value);
  // Only the problem is named: the value itself stays out of the answer.
  if (!parsed.success) throw new BadRequestError(`Invalid secret value: ${typeof value === "string" ? parsed.error.issues[0]!.message : "it must be a string"}`);
  return parsed.data;
}

/** Mounted at `/v0/variables`. */
export const secretRoutes = new Hono<AppEnv>();
const admin = requireAuth({ kind: "admin" });
const catalogOf = (c: Context<AppEnv>) => c.get("platform").catalog.workspace(c.get("principal").workspaceId);

secretRoutes.get("/", admin, async (c) => c.json({ variables: (await catalogOf(c).listSecrets()).map(secretJson) }));

secretRoutes.post("/", admin, async (c) => {
  const body = await bodyFields(c);
  const name = parseName(body.name);
  const value = parseValue(body.value);
  return c.json(secretJson(await catalogOf(c).createSecret(name, value)));
});

secretRoutes.get("/:name", admin, async (c) => {
  const found = await catalogOf(c).getSecret(c.req.param("name"));
  if (!found) throw new NotFoundError(`Secret '${c.req.param("name").slice(0, 100)}' not found`);
  return c.json(secretJson(found));
});

secretRoutes.put("/:name", admin, async (c) => {
  const name = parseName(c.req.param("name"));
  const value = parseValue((await bodyFields(c)).value);
  return c.json(secretJson(await catalogOf(c).updateSecret(name, value)));
});

secretRoutes.delete("/:name", admin, async (c) => {
  const deleted = await catalogOf(c).deleteSecret(parseName(c.req.param("name")));
  return c.json(secretJson(deleted));
});
