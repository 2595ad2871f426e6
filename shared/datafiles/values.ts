/**
 * @module
 * Substitution in directive values: `${VAR}` from the environment and
 * `{{ tb_secret("NAME", "default") }}` / `tb_var(...)`, both done as text when
 * a project is built (SQL blocks are left alone: there the template engine
 * binds secrets as query parameters).
 */
import type { SecretRef } from "./ast.js";
import type { Diagnostics, SourcePosition } from "./errors.js";

export type Env = Record<string, string | undefined>;

const SECRET_CALL = /\{\{\s*(tb_secret|tb_var)\s*\(\s*(["'])([^"']*)\2\s*(?:,\s*(["'])([^"']*)\4\s*)?\)\s*\}\}/g;
const ENV_VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface SubstitutionContext {
  env: Env | undefined;
  diagnostics: Diagnostics;
  secrets: SecretRef[];
}

/**
 * Records every secret a value references and, when `env` was given, replaces
 * secrets and `${VAR}` with their values. A secret with neither a value nor a
 * default is an error, as in the CLI.
 */
export function substituteValue(value: string, position: SourcePosition, context: SubstitutionContext): string {
  if (!value.includes("{{") && !value.includes("${")) return value;
  const { env, diagnostics, secrets } = context;
  let result = value.replace(SECRET_CALL, (whole, _fn: string, _q: string, name: string, _q2?: string, fallback?: string) => {
    const ref: SecretRef = { file: position.file, line: position.line, name };
    if (fallback !== undefined) ref.default = fallback;
    secrets.push(ref);
    if (!env) return whole;
    const resolved = env[name] ?? fallback;
    if (resolved === undefined) {
      diagnostics.error(position, `secret "${name}" is not set and has no default; set it or write tb_secret("${name}", "<default>")`);
      return whole;
    }
    return resolved;
  });
  if (env) result = result.replace(ENV_VAR, (whole, name: string) => env[name] ?? whole);
  return result;
}

/** Replaces secret references in a value parsed earlier without `env`. */
export function resolveSecrets(value: string, env: Env): { value: string; missing: string[] } {
  const missing: string[] = [];
  const replaced = value.replace(SECRET_CALL, (whole, _fn: string, _q: string, name: string, _q2?: string, fallback?: string) => {
    const resolved = env[name] ?? fallback;
    if (resolved === undefined) { missing.push(name); return whole; }
    return resolved;
  });
  return { value: replaced, missing };
}

/**
 * Resolves a connection's values one by one (`undefined` stays undefined),
 * collecting in `missing` every secret that had no value and no default, so the
 * caller can name them all in one error.
 */
export function secretResolver(env: Env): { resolve(value: string | undefined): string | undefined; missing: string[] } {
  const missing: string[] = [];
  return {
    missing,
    resolve(value) {
      if (value === undefined) return undefined;
      const out = resolveSecrets(value, env);
      missing.push(...out.missing);
      return out.value;
    },
  };
}
