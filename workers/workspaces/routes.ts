/**
 * @module workspaces/routes
 * `/v1/workspaces` and `/v1/user/workspaces`, as Tinybird Local and its TS SDK
 * use them. A user token creates, lists and deletes its user's workspaces; a
 * workspace admin token sees only its own workspace (service.ts). Who may do
 * what: docs/workspaces.md.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { BadRequestError } from "../../shared/errors.js";
import { authInfo, createOwnWorkspace, deleteOwnWorkspace, listWorkspaces, userTokenOwner } from "./service.js";

/** Query string and a JSON or form body, as strings. */
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

/** Mounted at `/v1/workspaces`. */
export const workspaceRoutes = new Hono<AppEnv>();

// Each with a trailing slash too (`/v1/user/workspaces/?…`, as Tinybird's CLI calls them): an empty path segment.
const SLASH = "/:trailingSlash{.{0}}";

for (const path of ["/", SLASH]) {
  workspaceRoutes.post(path, requireAuth(), async (c) => {
    userTokenOwner(c.get("principal"), "creating"); // 403 before the body is read
    return c.json(await createOwnWorkspace(c.get("platform"), c.get("principal"), await bodyParams(c)));
  });
  workspaceRoutes.get(path, requireAuth(), async (c) => c.json(await listWorkspaces(c.get("platform"), c.get("principal"))));
}

workspaceRoutes.delete("/:id", requireAuth(), async (c) => c.json(await deleteOwnWorkspace(c.get("platform"), c.get("principal"), c.req.param("id"))));

/** Mounted at `/v1/user/workspaces` and `/v0/user/workspaces`; `only_environments=true` lists the branches only, `with_environments=true` adds them. */
export const userWorkspaceRoutes = new Hono<AppEnv>();

/** Tinybird's boolean query flags: `true`/`1` (anything else is false, as its API reads them). */
const flag = (value: string | undefined) => value === "true" || value === "1";

for (const path of ["/", SLASH]) {
  userWorkspaceRoutes.get(path, requireAuth(), async (c) =>
    c.json(await listWorkspaces(c.get("platform"), c.get("principal"), {
      withEnvironments: flag(c.req.query("with_environments")),
      onlyEnvironments: flag(c.req.query("only_environments")),
    })));
}

/** Mounted at `/v0/auth`: the token's kind, as Tinybird's CLI checks a user token. */
export const authRoutes = new Hono<AppEnv>();

authRoutes.get("/", requireAuth(), (c) => c.json(authInfo(c.get("principal"))));
