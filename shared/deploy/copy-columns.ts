/**
 * @module deploy/copy-columns
 * Which columns a copy writes: its result's columns matched to the target
 * datasource's by name (as Tinybird matches them; `INSERT … SELECT` alone
 * would match by position). A result column the target lacks, or a target
 * column without a default the result lacks, refuses the copy with both lists,
 * so the user sees what to rename. Used by the copy run (workers/copies) and by
 * the deploy's check of every copy pipe against its target.
 */

export interface TargetColumn {
  name: string;
  /** As `DESCRIBE TABLE` answers it: '' (none), DEFAULT, MATERIALIZED, ALIAS, EPHEMERAL. */
  default_type: string;
}

export type CopyColumns = { ok: true; columns: string[] } | { ok: false; message: string };

export function copyColumns(produced: readonly string[], target: readonly TargetColumn[], names: { pipe: string; datasource: string }): CopyColumns {
  const writable = new Map(target.filter((c) => c.default_type !== "MATERIALIZED" && c.default_type !== "ALIAS").map((c) => [c.name, c] as const));
  const extra = produced.filter((n) => !writable.has(n));
  const missing = [...writable.values()].filter((c) => c.default_type === "" && !produced.includes(c.name)).map((c) => c.name);
  if (extra.length === 0 && missing.length === 0) return { ok: true, columns: [...produced] };
  const parts: string[] = [];
  if (extra.length) parts.push(`its result has ${list(extra)}, which '${names.datasource}' does not`);
  if (missing.length) parts.push(`'${names.datasource}' needs ${list(missing)}, which its result lacks`);
  return {
    ok: false,
    message: `The copy pipe '${names.pipe}' does not match its target datasource '${names.datasource}': ${parts.join("; ")}. Copies match columns by name: alias the SELECT's columns as the datasource names them`,
  };
}

function list(names: readonly string[]): string {
  return `column${names.length === 1 ? "" : "s"} ${names.map((n) => `\`${n}\``).join(", ")}`;
}
