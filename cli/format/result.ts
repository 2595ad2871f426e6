/**
 * @module format/result
 * Query results (`FORMAT JSON`: `{meta, data, rows, statistics}`) as an
 * aligned table for people: one column per `meta` entry, strings as they are,
 * other values as JSON, NULL for null.
 */
import { formatTable } from "./table.js";

export interface JsonResult {
  meta: Array<{ name: string; type: string }>;
  data: Array<Record<string, unknown>>;
  rows?: number;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "string") return v.replace(/\n/g, "\\n");
  return JSON.stringify(v);
}

export function resultTable(result: JsonResult): string {
  const names = result.meta.map((m) => m.name);
  return formatTable(names, result.data.map((row) => names.map((n) => cell(row[n]))));
}
