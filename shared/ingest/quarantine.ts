/**
 * @module
 * Rows for `<datasource>_quarantine` (layout: `shared/sql/ddl/quarantine.ts`):
 * `c__error_column`, `c__error`, `c__import_id`, every original column as
 * Nullable(String) holding the raw value, and `insertion_date`.
 * Messages follow Tinybird's: `value '<raw>' on column '<name>' is not <Type>`.
 *
 * @example
 * quarantineMessage("abslevel", "Float32", "") // "value '' on column 'abslevel' is not Float32"
 */

import { escapeLoneSurrogates } from "./unicode.js";

/** Columns the quarantine table defines itself; originals with these names are left out (as in the DDL). */
export const QUARANTINE_RESERVED = new Set(["c__error_column", "c__error", "c__import_id", "insertion_date"]);

/** What the row validator reports for a bad row. */
export interface QuarantineInfo {
  /** Names of the failing columns, in schema order (empty for a line that is not a JSON object). */
  errorColumns: string[];
  /** One message per failure. */
  errors: string[];
  /** Raw value of every datasource column as text (strings as-is, other JSON as JSON text), null when absent. */
  values: Record<string, string | null>;
}

/** One row of the quarantine table, ready for JSONEachRow. */
export interface QuarantineRow {
  c__error_column: string[];
  c__error: string[];
  c__import_id: string | null;
  /** Unix seconds: unambiguous whatever the server time zone. */
  insertion_date: number;
  [column: string]: string | string[] | number | null;
}

export interface QuarantineContext {
  importId: string | null;
  /** The caller's clock: a Date or epoch milliseconds. */
  now: Date | number;
}

export function quarantineMessage(column: string, type: string, raw: string): string {
  return `value '${raw}' on column '${column}' is not ${type}`;
}

export function malformedJsonMessage(lineNumber: number, detail: string, raw: string): string {
  return `Malformed JSON at line ${lineNumber}: ${detail}. Line: ${raw}`;
}

export function notAnObjectMessage(lineNumber: number, raw: string): string {
  return `Line ${lineNumber} is not a JSON object: ${raw}`;
}

/** Raw text of a JSON value for the quarantine table. */
export function rawText(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && !Number.isFinite(value)) return String(value); // JSON.stringify says "null"
  const text = JSON.stringify(value, keepInfinity) ?? null;
  return text !== null && text.includes(INFINITY_MARK) ? text.replace(INFINITY_TEXT, "$1") : text;
}

// `1e400` inside an object parses to Infinity, which JSON.stringify writes as null: show it as Infinity.
const INFINITY_MARK = "\\u0000inf:";
const INFINITY_TEXT = /"\\u0000inf:(-?Infinity)"/g;
function keepInfinity(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) && !Number.isNaN(v) ? `\u0000inf:${v}` : v;
}

export function epochSeconds(now: Date | number): number {
  return Math.floor((typeof now === "number" ? now : now.getTime()) / 1000);
}

/**
 * A quarantine row. Lone surrogates in values and messages are written as
 * their escape text (`\ud800`): the quarantine insert itself must never be
 * refused by ClickHouse.
 */
export function buildQuarantineRow(info: QuarantineInfo, columns: readonly string[], context: QuarantineContext): QuarantineRow {
  const row: QuarantineRow = {
    c__error_column: info.errorColumns,
    c__error: info.errors.map(escapeLoneSurrogates),
    c__import_id: context.importId,
    insertion_date: epochSeconds(context.now),
  };
  for (const name of columns) {
    if (QUARANTINE_RESERVED.has(name)) continue;
    const value = info.values[name];
    row[name] = value === undefined || value === null ? null : escapeLoneSurrogates(value);
  }
  return row;
}

/** The quarantine row for a line that did not parse or is not an object: every column null. */
export function unparsedQuarantineInfo(message: string): QuarantineInfo {
  return { errorColumns: [], errors: [message], values: {} };
}

export function quarantineLine(row: QuarantineRow): string {
  return JSON.stringify(row);
}
