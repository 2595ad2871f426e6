/**
 * @module auth/require
 * Route guards: `requireScope(action)` resolves the caller and checks one action;
 * handlers read the principal with `c.get("principal")`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { authorize, type Action } from "../../shared/tokens/scopes.js";
import { ForbiddenError } from "../../shared/errors.js";
import type { AppEnv } from "../api/context.js";
import { resolvePrincipal, type ResolveOptions } from "./principal.js";

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
export function ensureAllowed(c: Context<AppEnv>, action: Action) {
  const grant = authorize(c.get("principal").scopes, action);
  if (!grant.allowed) {
    const target = "datasource" in action ? ` on '${action.datasource}'` : "pipe" in action ? ` on '${action.pipe}'` : "";
    throw new ForbiddenError(`Permission denied: this operation needs the ${ACTION_WORDS[action.kind]} scope${target}`);
  }
  return grant;
}

/** Resolves the caller; with `action` also checks it (for actions known before the handler runs). */
export function requireAuth(
  action?: Action | ((c: Context<AppEnv>) => Action),
  options: ResolveOptions = {},
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("principal", await resolvePrincipal(c, options));
    if (action) ensureAllowed(c, typeof action === "function" ? action(c) : action);
    await next();
  };
}
