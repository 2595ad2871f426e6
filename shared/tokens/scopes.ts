/**
 * @module tokens/scopes
 * Token scopes as Tinybird writes them (`TYPE[:resource[:filter]]`) and the one
 * question every route asks: may this principal do this?
 */
import { z } from "zod";

export const SCOPE_TYPES = [
  "ADMIN",
  "ADMIN_USER",
  "TOKENS",
  "WORKSPACE:READ_ALL",
  "WORKSPACE:DEPLOY",
  "ORG_DATASOURCES:READ",
  "DATASOURCES:CREATE",
  "DATASOURCES:APPEND",
  "DATASOURCES:READ",
  "DATASOURCES:DROP",
  "PIPES:CREATE",
  "PIPES:READ",
  "PIPES:DROP",
] as const;
export type ScopeType = (typeof SCOPE_TYPES)[number];

/** Scope types that name a resource (`DATASOURCES:READ:events`). */
const RESOURCE_SCOPES = new Set<ScopeType>([
  "DATASOURCES:APPEND",
  "DATASOURCES:READ",
  "DATASOURCES:DROP",
  "PIPES:READ",
  "PIPES:DROP",
]);

export const Scope = z.object({
  type: z.enum(SCOPE_TYPES),
  resource: z.string().min(1).optional(),
  /** SQL boolean expression restricting the rows a READ scope can see. */
  filter: z.string().min(1).optional(),
  /** JWT only: template params the request cannot override. */
  fixed_params: z.record(z.string(), z.unknown()).optional(),
});
export type Scope = z.infer<typeof Scope>;

export class ScopeSyntaxError extends Error {}

/** Parses `TYPE`, `TYPE:resource` or `TYPE:resource:filter` (the filter may hold colons). */
export function parseScope(text: string): Scope {
  const trimmed = text.trim();
  // Docs spell the append scope both ways; normalise.
  const normalised = trimmed.replace(/^DATASOURCE:/, "DATASOURCES:").replace(/^PIPE:/, "PIPES:");
  const type = [...SCOPE_TYPES]
    .sort((a, b) => b.length - a.length)
    .find((t) => normalised === t || normalised.startsWith(`${t}:`));
  if (!type) throw new ScopeSyntaxError(`Unknown scope '${trimmed}'`);
  const rest = normalised.slice(type.length + 1);
  if (!RESOURCE_SCOPES.has(type)) {
    if (rest) throw new ScopeSyntaxError(`Scope ${type} does not take a resource`);
    return { type };
  }
  if (!rest) throw new ScopeSyntaxError(`Scope ${type} needs a resource: ${type}:<name>`);
  const colon = rest.indexOf(":");
  const resource = colon < 0 ? rest : rest.slice(0, colon);
  const filter = colon < 0 ? undefined : rest.slice(colon + 1).trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(resource)) throw new ScopeSyntaxError(`Invalid resource name '${resource}' in scope`);
  return filter ? { type, resource, filter } : { type, resource };
}

export function formatScope(scope: Scope): string {
  return [scope.type, scope.resource, scope.filter].filter((p) => p !== undefined).join(":");
}

/** What a request wants to do, in the words of the scope table. */
export type Action =
  | { kind: "admin" }
  | { kind: "manage_tokens" }
  | { kind: "deploy" }
  | { kind: "create_datasource" }
  | { kind: "append"; datasource: string }
  | { kind: "read_datasource"; datasource: string }
  | { kind: "drop_datasource"; datasource: string }
  | { kind: "read_pipe"; pipe: string }
  | { kind: "read_all" };

export interface Grant {
  allowed: boolean;
  /** Row filters that apply (READ scopes with a filter), to be ANDed into reads. */
  filters: string[];
  /** JWT fixed params for a pipe read. */
  fixedParams: Record<string, unknown>;
}

const DENY: Grant = { allowed: false, filters: [], fixedParams: {} };
const ALLOW: Grant = { allowed: true, filters: [], fixedParams: {} };

function readsDatasource(scope: Scope, datasource: string): boolean {
  // A READ scope on x also covers x_quarantine.
  return scope.type === "DATASOURCES:READ" && (scope.resource === datasource || `${scope.resource}_quarantine` === datasource);
}

/** Decides `action` for a principal holding `scopes`. */
export function authorize(scopes: readonly Scope[], action: Action): Grant {
  if (scopes.some((s) => s.type === "ADMIN")) return ALLOW;
  const has = (t: ScopeType) => scopes.some((s) => s.type === t);
  switch (action.kind) {
    case "admin":
      return DENY;
    case "manage_tokens":
      return has("TOKENS") ? ALLOW : DENY;
    case "deploy":
      return has("WORKSPACE:DEPLOY") ? ALLOW : DENY;
    case "create_datasource":
      return has("DATASOURCES:CREATE") ? ALLOW : DENY;
    case "append":
      return has("DATASOURCES:CREATE") ||
        scopes.some((s) => s.type === "DATASOURCES:APPEND" && s.resource === action.datasource)
        ? ALLOW
        : DENY;
    case "drop_datasource":
      return scopes.some((s) => s.type === "DATASOURCES:DROP" && s.resource === action.datasource) ? ALLOW : DENY;
    case "read_all":
      return has("WORKSPACE:READ_ALL") ? ALLOW : DENY;
    case "read_datasource": {
      if (has("WORKSPACE:READ_ALL")) return ALLOW;
      const matching = scopes.filter((s) => readsDatasource(s, action.datasource));
      if (matching.length === 0) return DENY;
      // An unfiltered grant wins over filtered ones.
      if (matching.some((s) => !s.filter)) return ALLOW;
      return { allowed: true, filters: matching.map((s) => s.filter!), fixedParams: {} };
    }
    case "read_pipe": {
      if (has("WORKSPACE:READ_ALL")) return ALLOW;
      const matching = scopes.filter((s) => s.type === "PIPES:READ" && s.resource === action.pipe);
      if (matching.length === 0) return DENY;
      return {
        allowed: true,
        filters: matching.flatMap((s) => (s.filter ? [s.filter] : [])),
        fixedParams: Object.assign({}, ...matching.map((s) => s.fixed_params ?? {})),
      };
    }
  }
}
