/**
 * @module api/local-tokens
 * Tinybird Local answers `GET /tokens` without auth; tools made for it (the TS
 * SDK's `--local` mode) read the three tokens from there. Only in local mode:
 * anywhere else the route does not exist.
 */
import { Hono } from "hono";
import type { AppEnv } from "./context.js";
import { NotFoundError } from "../../shared/errors.js";

export const localTokens = new Hono<AppEnv>();

localTokens.get("/", (c) => {
  const { mode, credentials } = c.get("platform").config;
  if (mode !== "local" || !credentials) throw new NotFoundError("Not found: GET /tokens");
  return c.json({
    user_token: credentials.userToken,
    admin_token: credentials.adminToken,
    workspace_admin_token: credentials.workspaceAdminToken,
  });
});
