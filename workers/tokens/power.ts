/**
 * @module tokens/power
 * "No token mints or reveals a token stronger than itself": whether a caller's
 * scopes cover a scope it wants to grant, and whether they cover a whole stored
 * token (so its secret may be shown, refreshed, changed or deleted). The rules,
 * in words, are in docs/workspaces.md.
 */
import { parseScope, type Scope } from "../../shared/tokens/scopes.js";
import { ForbiddenError } from "../../shared/errors.js";
import type { Principal } from "../auth/principal.js";

/** True when holding `holder` gives at least what `wanted` gives. */
export function coversScope(holder: readonly Scope[], wanted: Scope): boolean {
  // The user token's scope is never granted through the Token API: it would not
  // make a user token anyway (a user is a record binding, not a scope), and
  // refusing it keeps lists honest.
  if (wanted.type === "ADMIN_USER") return false;
  if (holder.some((s) => s.type === "ADMIN")) return true;
  // JWT scopes carry fixed_params; they never reach the Token API, but a scope
  // with them is narrower than its type and resource say, so it covers nothing.
  const plain = holder.filter((s) => s.fixed_params === undefined);
  const has = (type: Scope["type"]) => plain.some((s) => s.type === type);
  const sameResource = (s: Scope) => s.type === wanted.type && s.resource === wanted.resource;
  switch (wanted.type) {
    case "DATASOURCES:APPEND":
      return has("DATASOURCES:CREATE") || plain.some(sameResource);
    case "DATASOURCES:READ":
    case "PIPES:READ":
      // An unfiltered read covers any filter on the same resource; a filtered one
      // covers only the very same filter (a different one could show other rows).
      return has("WORKSPACE:READ_ALL") || plain.some((s) => sameResource(s) && (s.filter === undefined || s.filter === wanted.filter?.trim()));
    case "DATASOURCES:DROP":
    case "PIPES:DROP":
      return plain.some(sameResource);
    default:
      return has(wanted.type);
  }
}

/** Every scope text of a token is covered; text that does not parse grants nothing, so only ADMIN covers it. */
export function coversScopes(holder: readonly Scope[], scopes: readonly string[]): boolean {
  return scopes.every((text) => {
    try {
      return coversScope(holder, parseScope(text));
    } catch {
      return holder.some((s) => s.type === "ADMIN");
    }
  });
}

/**
 * May `caller` see and manage `target`? Its scopes must be covered, and a token
 * that identifies a user (user token, the user's admin token) is only ever
 * covered by a token of the same user, since it reaches that user's other
 * workspaces.
 */
export function coversToken(caller: Principal, target: { scopes: readonly string[]; user_id: string | null }): boolean {
  if (target.user_id !== null && target.user_id !== caller.userId) return false;
  return coversScopes(caller.scopes, target.scopes);
}

/**
 * A deployment's TOKEN lines give scopes to tokens of the workspace when it goes
 * live (a token made by hand gains them, a resource token takes them). A token
 * that already exists may only gain scopes its promoter covers, or a deploying
 * token could name itself (or a token whose secret it read) and widen it.
 * Tokens the deployment creates are not checked: nobody holds their secret yet,
 * and the Token API shows it only to a token that covers them.
 */
export function ensureDeployGrants(
  caller: Principal,
  existing: ReadonlyArray<{ name: string; scopes: readonly string[] }>,
  declared: ReadonlyArray<{ name: string; scopes: readonly string[] }>,
): void {
  for (const t of declared) {
    const current = existing.find((e) => e.name === t.name);
    if (!current) continue;
    const added = t.scopes.filter((s) => !current.scopes.includes(s));
    const refused = added.filter((s) => !coversScopes(caller.scopes, [s]));
    if (refused.length > 0) {
      throw new ForbiddenError(
        `Permission denied: this deployment gives token '${t.name}' scopes your token does not hold (${refused.join(", ")}); deploy it with a token that holds them, such as an ADMIN token`,
      );
    }
  }
}
