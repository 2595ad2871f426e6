/**
 * @module deploy/plan/tokens
 * The tokens a project's TOKEN lines declare, each with every scope any file
 * gives it: `DATASOURCES:APPEND:<ds>` or `DATASOURCES:READ:<ds>` from
 * datasources, `PIPES:READ:<pipe>` from pipes. Promotion creates or widens them.
 */
import type { ManifestToken } from "../manifest.js";
import type { Project } from "../project.js";

/** In order of first declaration (datasources, then pipes); scopes sorted. */
export function declaredTokens(project: Project): ManifestToken[] {
  const tokens = new Map<string, Set<string>>();
  const grant = (token: string, scope: string) => {
    const scopes = tokens.get(token) ?? new Set<string>();
    scopes.add(scope);
    tokens.set(token, scopes);
  };
  for (const ds of project.datasources.values()) {
    for (const t of ds.tokens) grant(t.name, t.scope === "APPEND" ? `DATASOURCES:APPEND:${ds.name}` : `DATASOURCES:READ:${ds.name}`);
  }
  for (const pipe of project.pipes.values()) {
    for (const t of pipe.tokens) grant(t.name, `PIPES:READ:${pipe.name}`);
  }
  return [...tokens].map(([name, scopes]) => ({ name, scopes: [...scopes].sort() }));
}
