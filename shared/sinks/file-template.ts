/**
 * @module sinks/file-template
 * `EXPORT_FILE_TEMPLATE`: the name of the files a sink writes, below the
 * bucket URI's prefix. Placeholders (Tinybird's forms):
 *
 * | placeholder | file per | written as |
 * |---|---|---|
 * | `{customer_id}` | value of the result column | its text, characters outside `A-Za-z0-9._=-` as `_` |
 * | `{timestamp, '%Y-%m-%d'}` | value of a Date/DateTime column, formatted | ClickHouse `formatDateTime` |
 * | `{8}` | one of 8 files, rows spread by a hash of the whole row | `0` … `7` |
 * | `{date}`, `{datetime}` (no such column) | the run | its `job_timestamp` in UTC: `2026-01-02`, `2026-01-02T03-04-05` |
 *
 * A result column wins over the run's `{date}`. Every part that depends on a
 * row becomes one ClickHouse String expression (the whole name), which is the
 * `PARTITION BY` of `INSERT INTO FUNCTION s3(…{_partition_id}…)`, and what
 * the R2 path groups rows by; a name with no such part is one file.
 *
 * Syntax is checked when the pipe is read (`tern check`, deploy):
 * `parseFileTemplate`; the names against the result's columns at run time:
 * `planFileNames`.
 */
import { quoteIdentifier, quoteString } from "../sql/ddl/quote.js";
import { KEY_CHARS } from "./bucket-uri.js";

export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "value"; name: string; format?: string }
  | { kind: "split"; files: number };

export type TemplateResult = { ok: true; parts: TemplatePart[] } | { ok: false; message: string };

/** At most this many files from `{N}`. */
export const MAX_SPLIT_FILES = 1000;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** formatDateTime specifiers, and literal characters a key may hold. */
const DATE_FORMAT = /^(?:%[A-Za-z%]|[A-Za-z0-9._\-/=])+$/;
/** What a value from a row may contain once written into a name. */
const VALUE_UNSAFE = "[^A-Za-z0-9._=-]";

function problem(template: string, detail: string): { ok: false; message: string } {
  return { ok: false, message: `EXPORT_FILE_TEMPLATE \`${template}\`: ${detail}` };
}

export function parseFileTemplate(template: string): TemplateResult {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  const flush = () => {
    if (text !== "") parts.push({ kind: "text", text });
    text = "";
  };
  while (i < template.length) {
    const ch = template[i]!;
    if (ch === "}") return problem(template, `a \`}\` at character ${i + 1} closes no placeholder`);
    if (ch !== "{") {
      text += ch;
      i++;
      continue;
    }
    const end = template.indexOf("}", i);
    if (end < 0) return problem(template, `the placeholder at character ${i + 1} is not closed with \`}\``);
    const inner = template.slice(i + 1, end).trim();
    if (inner.includes("{")) return problem(template, `placeholders do not nest (character ${i + 1})`);
    flush();
    const part = parsePlaceholder(inner);
    if (typeof part === "string") return problem(template, part);
    parts.push(part);
    i = end + 1;
  }
  flush();
  if (parts.length === 0) return problem(template, "the template is empty");
  for (const p of parts) {
    if (p.kind !== "text") continue;
    if (!KEY_CHARS.test(p.text)) return problem(template, "outside placeholders a file name may hold letters, digits and . _ - / = only");
  }
  const whole = parts.map((p) => (p.kind === "text" ? p.text : "x")).join("");
  if (whole.startsWith("/") || whole.split("/").some((seg) => seg === "." || seg === "..")) {
    return problem(template, "a file name may not start with / or hold . or .. segments");
  }
  if (parts.filter((p) => p.kind === "split").length > 1) return problem(template, "only one {N} split placeholder is allowed");
  return { ok: true, parts };
}

function parsePlaceholder(inner: string): TemplatePart | string {
  if (/^\d+$/.test(inner)) {
    const files = Number(inner);
    if (files < 1 || files > MAX_SPLIT_FILES) return `{${inner}} splits rows into 1 to ${MAX_SPLIT_FILES} files`;
    return { kind: "split", files };
  }
  const m = /^([^,]+?)\s*(?:,\s*(['"])(.*)\2)?$/.exec(inner);
  const name = m?.[1]?.trim() ?? "";
  if (!m || !NAME.test(name)) return `{${inner}} is not a placeholder; expected {column}, {column, '%Y-%m-%d'} or {N}`;
  const format = m[3];
  if (format === undefined) return { kind: "value", name };
  if (!DATE_FORMAT.test(format)) return `{${inner}}: a format holds formatDateTime specifiers (%Y, %m, %d, %H, …) and letters, digits, . _ - / = only`;
  return { kind: "value", name, format };
}

export interface ResultColumn {
  name: string;
  /** ClickHouse type, e.g. `DateTime('UTC')`, `Nullable(String)`. */
  type: string;
}

/** The run-time names a template may use when no result column has them. */
export const RUN_TOKENS: Record<string, (at: Date) => string> = {
  date: (at) => at.toISOString().slice(0, 10),
  datetime: (at) => at.toISOString().slice(0, 19).replaceAll(":", "-"),
};

export type FileNames =
  /** Every row goes to one file, `name` (below the prefix, without extension). */
  | { kind: "one"; name: string }
  /** Each row's file name (below the prefix, without extension) is this ClickHouse String expression over the result's columns. */
  | { kind: "per_row"; expression: string };

export type FileNamesResult = { ok: true; names: FileNames } | { ok: false; message: string };

function baseType(type: string): string {
  let t = type.trim();
  for (;;) {
    const m = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (!m) return t;
    t = m[1]!.trim();
  }
}

/** What row-dependent file names are made of, checked against the result's columns. */
export function planFileNames(parts: TemplatePart[], columns: ResultColumn[], at: Date): FileNamesResult {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const pieces: Array<{ sql: string; constant?: string }> = [];
  for (const p of parts) {
    if (p.kind === "text") {
      pieces.push({ sql: quoteString(p.text), constant: p.text });
      continue;
    }
    if (p.kind === "split") {
      if (columns.length === 0) return { ok: false, message: `{${p.files}} needs a result with columns` };
      const all = columns.map((c) => quoteIdentifier(c.name)).join(", ");
      pieces.push({ sql: `toString(cityHash64(${all}) % ${p.files})` });
      continue;
    }
    const column = byName.get(p.name);
    if (column) {
      const col = quoteIdentifier(column.name);
      if (p.format === undefined) {
        pieces.push({ sql: `replaceRegexpAll(ifNull(toString(${col}), 'null'), ${quoteString(VALUE_UNSAFE)}, '_')` });
      } else {
        if (!baseType(column.type).startsWith("Date")) {
          return { ok: false, message: `{${p.name}, '${p.format}'}: \`${p.name}\` is ${column.type}; a format needs a Date or DateTime column` };
        }
        pieces.push({ sql: `ifNull(formatDateTime(${col}, ${quoteString(p.format)}), 'null')` });
      }
      continue;
    }
    const token = RUN_TOKENS[p.name];
    if (token && p.format === undefined) {
      const value = token(at);
      pieces.push({ sql: quoteString(value), constant: value });
      continue;
    }
    const names = columns.map((c) => c.name).join(", ");
    return {
      ok: false,
      message: `EXPORT_FILE_TEMPLATE: {${p.name}} names no column of the sink's result (its columns: ${names || "none"})` +
        (p.format === undefined ? "" : "; a format applies to a Date or DateTime column"),
    };
  }
  if (pieces.every((p) => p.constant !== undefined)) return { ok: true, names: { kind: "one", name: pieces.map((p) => p.constant).join("") } };
  return { ok: true, names: { kind: "per_row", expression: pieces.length === 1 ? pieces[0]!.sql : `concat(${pieces.map((p) => p.sql).join(", ")})` } };
}
