/**
 * @module
 * A stable hash of everything that decides a datasource's physical table:
 * columns (name, type, DEFAULT/MATERIALIZED, CODEC), engine and its options,
 * and indexes. JSONPaths, descriptions, tokens, FORWARD_QUERY and connector
 * settings do not count, so changing them reuses the table. Whitespace in
 * expressions is normalised so reformatting a file does not move data.
 */
import type { EngineSpec } from "../../datafiles/ast.js";
import type { TableDefinition } from "./create-table.js";

// Bump only when the canonical form below changes on purpose: it renames every table.
const CANONICAL_VERSION = 1;

/** Collapses whitespace outside quotes and drops it next to brackets and before commas. */
export function normalizeExpression(expr: string): string {
  let out = "";
  let quote: string | null = null;
  let space = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (quote) {
      out += c;
      if (c === "\\" && i + 1 < expr.length) { out += expr[++i]; continue; }
      if (c === quote) quote = null;
      continue;
    }
    if (/\s/.test(c)) { space = true; continue; }
    const previous = out[out.length - 1];
    if (previous === ",") {
      if (c !== ")" && c !== "]") out += " ";
    } else if (space && previous !== undefined && previous !== "(" && previous !== "[" && !/[)\],]/.test(c)) {
      out += " ";
    }
    space = false;
    if (c === "'" || c === '"' || c === "`") quote = c;
    out += c;
  }
  return out;
}

function canonicalEngine(engine: EngineSpec): Record<string, unknown> {
  const entries = Object.entries(engine)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k, typeof v === "string" ? normalizeExpression(v) : v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries);
}

export function canonicalTableDefinition(datasource: TableDefinition): string {
  return JSON.stringify({
    v: CANONICAL_VERSION,
    columns: datasource.columns.map((c) => [
      c.name, c.type, c.default === undefined ? null : normalizeExpression(c.default),
      c.materialized === undefined ? null : normalizeExpression(c.materialized), c.codec === undefined ? null : normalizeExpression(c.codec),
    ]),
    engine: canonicalEngine(datasource.engine),
    indexes: datasource.indexes.map((i) => [i.name, normalizeExpression(i.expr), normalizeExpression(i.type), i.granularity]),
  });
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

/** FNV-1a 64 over UTF-8; synchronous and runtime-free (WebCrypto would force async). */
function fnv1a64(text: string): string {
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  return hash.toString(16).padStart(16, "0");
}

/**
 * 16 hex characters; equal for datasources whose tables would be identical.
 *
 * @example
 * const table = `${ds.name}_${datasourceSchemaHash(ds).slice(0, 12)}`;
 */
export function datasourceSchemaHash(datasource: TableDefinition): string {
  return fnv1a64(canonicalTableDefinition(datasource));
}
