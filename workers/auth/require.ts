/**
 * @module auth/require
 * Route guards: `requireAuth(action)` resolves the caller once (the principal
 * handlers pass to role functions) and may check one action; `ensureAllowed`
 * checks an action against a principal wherever it is known.
 */
import type { Context, MiddlewareHandler } from "hono";
import { authorize, type Action, type Grant } from "../../shared/tokens/scopes.js";
import { ForbiddenError } from "../../shared/errors.js";
import type { AppEnv } from "../api/context.js";
import { extractToken } from "./extract-token.js";
import { resolvePrincipal, type Principal, type ResolveOptions } from "./principal.js";

const ACTION_WORDS: Record<Action["kind"], string> = {
  admin: "ADMIN",
  manage_tokens: "TOKENS or ADMIN",
  deploy: "ADMIN or WORKSPACE:DEPLOY",
  create_datasource: "DATASOURCES:CREATE",
  append: "DATASOURCES:APPEND",
  read_datasource: "DATASOURCES:READ",
  drop_datasource: "DATASOURCES:DROP",
  read_pipe: "PIPES:READ",
  read_all: "WORKSPACE:READ_ALL",
};

/** Checks an action against the caller's scopes; throws 403 naming the scope needed. */
export function ensureAllowed(principal: Principal, action: Action): Grant {
  const grant = authorize(principal.scopes, action);
  if (!grant.allowed) {
    const target = "datasource" in action ? ` on '${action.datasource}'` : "pipe" in action ? ` on '${action.pipe}'` : "";
    throw new ForbiddenError(`Permission denied: this operation needs the ${ACTION_WORDS[action.kind]} scope${target}`);
  }
  return grant;
}

/**
 * Resolves the caller; with `action` also checks it before the handler reads
 * the body (role functions check again: they may be called from elsewhere).
 */
export function requireAuth(action?: Action | ((c: Context<AppEnv>) => Action), options: ResolveOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const platform = c.get("platform");
    const principal = await platform.timing.time("auth", () => resolvePrincipal(platform, extractToken(c.req.raw), options));
    c.set("principal", principal);
    if (action) ensureAllowed(principal, typeof action === "function" ? action(c) : action);
    await next();
  };
}
