/**
 * @module workspaces/routes
 * `/v1/workspaces` and `/v1/user/workspaces`, as Tinybird Local and its TS SDK
 * use them. A user token (or an admin token) manages workspaces.
 */
import { Hono, type Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { BadRequestError, ForbiddenError, NotFoundError } from "../../shared/errors.js";
import { createWorkspace, deleteWorkspace, directoryStub, listWorkspaces, WORKSPACE_NAME } from "./service.js";

export const workspaceRoutes = new Hono<AppEnv>();

function requireUser(c: Context<AppEnv>): void {
  const ok = c.get("principal").scopes.some((s) => s.type === "ADMIN_USER" || s.type === "ADMIN");
  if (!ok) throw new ForbiddenError("Permission denied: managing workspaces needs a user token or an admin token");
}

async function bodyParams(c: Context<AppEnv>): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  const params: Record<string, string> = { ...c.req.query() };
  if (type.includes("application/json")) {
    const json = await c.req.json().catch(() => {
      throw new BadRequestError("The body is not valid JSON");
    });
    for (const [k, v] of Object.entries(json as Record<string, unknown>)) if (typeof v === "string") params[k] = v;
  } else if (type.includes("form")) {
    for (const [k, v] of Object.entries(await c.req.parseBody())) if (typeof v === "string") params[k] = v;
  }
  return params;
}

const CreateWorkspace = z.object({
  name: z.string({ error: "The workspace 'name' is required" }).regex(WORKSPACE_NAME, "Workspace names start with a letter or _ and use only letters, digits and _ (at most 64)"),
});

workspaceRoutes.post("/v1/workspaces", requireAuth(), async (c) => {
  requireUser(c);
  const parsed = CreateWorkspace.safeParse(await bodyParams(c));
  if (!parsed.success) throw new BadRequestError(parsed.error.issues[0]!.message);
  const ws = await createWorkspace(c.env, clickhouseFor(c.get("config")), parsed.data.name);
  return c.json(ws);
});

async function list(c: Context<AppEnv>) {
  requireUser(c);
  return c.json({ organization_id: "local", workspaces: await listWorkspaces(c.env) });
}
workspaceRoutes.get("/v1/user/workspaces", requireAuth(), list);
workspaceRoutes.get("/v1/workspaces", requireAuth(), list);

workspaceRoutes.delete("/v1/workspaces/:id", requireAuth(), async (c) => {
  requireUser(c);
  const entry = await directoryStub(c.env).get(c.req.param("id"));
  if (!entry) throw new NotFoundError(`Workspace '${c.req.param("id")}' not found`);
  if (entry.id === c.get("principal").workspaceId) throw new BadRequestError("A token cannot delete its own workspace");
  await deleteWorkspace(c.env, clickhouseFor(c.get("config")), entry.id);
  return c.json({ result: "success", id: entry.id, name: entry.name });
});
