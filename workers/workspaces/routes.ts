/**
 * @module workspaces/routes
 * `/v1/workspaces` and `/v1/user/workspaces`, as Tinybird Local and its TS SDK
 * use them. A user token creates, lists and deletes its user's workspaces; a
 * workspace admin token sees only its own workspace. Who may do what:
 * docs/workspaces.md.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { BadRequestError, ForbiddenError, NotFoundError } from "../../shared/errors.js";
import type { ScopeType } from "../../shared/tokens/scopes.js";
import { createWorkspace, deleteWorkspace, directoryStub, withAdminTokens, WORKSPACE_NAME } from "./service.js";

export const workspaceRoutes = new Hono<AppEnv>();

const holds = (p: Principal, type: ScopeType) => p.scopes.some((s) => s.type === type);

/** The user id of a user token (ADMIN_USER, bound to a user); only it creates and deletes workspaces. */
function userTokenOwner(c: Context<AppEnv>, doing: string): string {
  const p = c.get("principal");
  if (p.userId === undefined || !holds(p, "ADMIN_USER")) {
    throw new ForbiddenError(`Permission denied: ${doing} a workspace needs a user token (scope ADMIN_USER); a workspace admin token acts on its own workspace only`);
  }
  return p.userId;
}

async function bodyParams(c: Context<AppEnv>): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  const params: Record<string, string> = { ...c.req.query() };
  if (type.includes("application/json")) {
    const json = await c.req.json().catch(() => {
      throw new BadRequestError("The body is not valid JSON");
    });
    if (json && typeof json === "object") {
      for (const [k, v] of Object.entries(json as Record<string, unknown>)) if (typeof v === "string") params[k] = v;
    }
  } else if (type.includes("form")) {
    for (const [k, v] of Object.entries(await c.req.parseBody())) if (typeof v === "string") params[k] = v;
  }
  return params;
}

const CreateWorkspace = z.object({
  name: z.string({ error: "The workspace 'name' is required" }).regex(WORKSPACE_NAME, "Workspace names start with a letter or _ and use only letters, digits and _ (at most 64)"),
});

workspaceRoutes.post("/v1/workspaces", requireAuth(), async (c) => {
  const owner = userTokenOwner(c, "creating");
  const parsed = CreateWorkspace.safeParse(await bodyParams(c));
  if (!parsed.success) throw new BadRequestError(parsed.error.issues[0]!.message);
  const ws = await createWorkspace(c.env, clickhouseFor(c.get("config")), parsed.data.name, owner);
  return c.json(ws);
});

/**
 * A user's tokens (the user token, and the user's admin token, which Tinybird's
 * SDK lists with) get every workspace of that user; any other ADMIN token gets
 * its own workspace only, so a workspace admin token never learns another
 * workspace's token.
 */
async function list(c: Context<AppEnv>) {
  const p = c.get("principal");
  const directory = directoryStub(c.env);
  let entries;
  if (p.userId !== undefined && (holds(p, "ADMIN_USER") || holds(p, "ADMIN"))) entries = await directory.list(p.userId);
  else if (holds(p, "ADMIN")) entries = [await directory.byId(p.workspaceId)].filter((e) => e !== undefined);
  else throw new ForbiddenError("Permission denied: listing workspaces needs a user token or an admin token");
  return c.json({ organization_id: "local", workspaces: await withAdminTokens(c.env, entries) });
}
workspaceRoutes.get("/v1/user/workspaces", requireAuth(), list);
workspaceRoutes.get("/v1/workspaces", requireAuth(), list);

workspaceRoutes.delete("/v1/workspaces/:id", requireAuth(), async (c) => {
  const owner = userTokenOwner(c, "deleting");
  // Another user's workspace answers exactly like a missing one, so ids cannot be probed.
  const entry = await directoryStub(c.env).owned(owner, c.req.param("id"));
  if (!entry) throw new NotFoundError(`Workspace '${c.req.param("id")}' not found`);
  if (entry.id === c.get("principal").workspaceId) throw new BadRequestError("A token cannot delete its own workspace");
  await deleteWorkspace(c.env, clickhouseFor(c.get("config")), entry.id);
  return c.json({ result: "success", id: entry.id, name: entry.name });
});
