/**
 * @module deploy/secret-placeholders
 * `tb_secret('NAME')` in a pipe node renders as `{NAME: String}` in check mode
 * (the template engine's deploy-time render); its value is only read when the
 * pipe is called (endpoints/pipe-secrets.ts). Checking such SQL at deploy (the
 * read guard, EXPLAIN) binds an empty value for each, or ClickHouse refuses it
 * as "Substitution is not set". A name the SQL does not use is ignored.
 */
export function secretPlaceholders(sql: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*String\s*\}/g)) out[m[1]!] = "";
  return out;
}

/** The same, as the `param_<name>` settings a plain ClickHouse query takes. */
export function secretPlaceholderSettings(sql: string): Record<string, string> {
  return Object.fromEntries(Object.keys(secretPlaceholders(sql)).map((name) => [`param_${name}`, ""]));
}
