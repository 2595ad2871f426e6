/**
 * @module yaml/write
 * Writing values back in the same YAML subset `yaml/parse.ts` reads: scalars
 * (quoted only when needed) and block literals, and replacing or adding one
 * entry of a list item while every other line stays as it was.
 */
import type { YamlItem } from "./parse.js";

/** A one-line scalar: plain when YAML would read it back unchanged, else single-quoted. */
export function yamlScalar(value: string): string {
  const plainOk =
    value !== "" &&
    value === value.trim() &&
    !/^[-?:,[\]{}#&*!|>'"%@`~]/.test(value) &&
    !/[:]\s|\s#|:$|[\n\r\t]/.test(value) &&
    !/^(null|Null|NULL|true|false|True|False|yes|no|on|off)$/.test(value);
  if (plainOk) return value;
  if (/[\n\r\t\\]/.test(value)) return JSON.stringify(value);
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * `key: <value>` lines at `indent` columns: a `|` block (or `|-` without a final
 * newline, `|+` with several) for multi-line text, else a scalar.
 */
export function yamlEntryLines(key: string, value: string, indent: number): string[] {
  const pad = " ".repeat(indent);
  if (value === "") return [`${pad}${key}: ''`];
  if (!value.includes("\n") && !/^\s/.test(value)) return [`${pad}${key}: ${yamlScalar(value)}`];
  let body = value;
  let chomp = "";
  if (body.endsWith("\n\n")) chomp = "+";
  else if (body.endsWith("\n")) chomp = "";
  else chomp = "-";
  if (chomp !== "+" && body.endsWith("\n")) body = body.slice(0, -1);
  if (chomp === "+") body = body.slice(0, -1);
  const indicator = /^\s/.test(body) ? "2" : "";
  const lines = body.split("\n").map((l) => (l === "" ? "" : `${pad}  ${l}`));
  return [`${pad}${key}: |${indicator}${chomp}`, ...lines];
}

/**
 * The document with `key` of `item` set to `value`: its lines are replaced, or
 * new lines are added at the end of the item. `lines` is the document split on
 * "\n"; the result is joined back the same way.
 */
export function setItemEntry(lines: readonly string[], item: YamlItem, key: string, value: string): string[] {
  const entry = item.entries.find((e) => e.key === key);
  const indent = entry?.indent ?? item.entries[0]?.indent ?? 2;
  const replacement = yamlEntryLines(key, value, indent);
  if (entry) return [...lines.slice(0, entry.startLine), ...replacement, ...lines.slice(entry.endLine)];
  return [...lines.slice(0, item.endLine), ...replacement, ...lines.slice(item.endLine)];
}
