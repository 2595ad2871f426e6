/**
 * @module
 * The compiled row validator: built once per datasource schema, then called
 * for every parsed NDJSON line. Results are values (`{ok, row}` or
 * `{ok: false, quarantine}`), never exceptions.
 *
 * Missing values: a key that is absent (or `null` for a non-Nullable column)
 * is left out of the output row, so ClickHouse applies the column's DEFAULT,
 * or the type's zero value when there is none (Tinybird's Events API rule).
 *
 * @example
 * const validate = compileRowValidator(datasource.columns);
 * const r = validate(JSON.parse(line), line);
 * if (r.ok) send(r.passthrough ? line : toClickHouseLine(r.row));
 */
import type { ColumnDefinition } from "../datafiles/ast.js";
import { parseClickHouseType, type ClickHouseType } from "../datafiles/types.js";
import { coerceState, compileCoercer, FAIL, type Coercer } from "./coerce.js";
import { compileJsonPath, evaluateJsonPath, getKey, isOwnKeyPath, MISSING, type JsonPath } from "./jsonpath.js";
import { parseJsonLossless } from "./lossless-json.js";
import { quarantineMessage, rawText, type QuarantineInfo } from "./quarantine.js";
import { firstLoneSurrogate, loneSurrogateReason, mayHoldSurrogates } from "./unicode.js";

/** The column fields the validator reads. */
export type IngestColumn = Pick<ColumnDefinition, "name" | "type"> & Partial<Pick<ColumnDefinition, "dataType" | "nullable" | "default" | "jsonPath" | "materialized">>;

export type ValidRow = Record<string, unknown>;

export type RowResult =
  | {
    ok: true;
    /** Values keyed by real column names, as ClickHouse JSONEachRow should receive them. */
    row: ValidRow;
    /** True when the original line, byte for byte, makes ClickHouse store exactly `row`. */
    passthrough: boolean;
  }
  | { ok: false; quarantine: QuarantineInfo };

export interface RowValidator {
  (parsed: unknown, rawLine: string): RowResult;
  /** Column names in schema order (the quarantine table's original columns). */
  readonly columnNames: readonly string[];
  /** True when no column has a JSONPath that renames or reaches into nested values. */
  readonly directKeys: boolean;
}

interface CompiledColumn {
  name: string;
  typeText: string;
  kind: ClickHouseType["kind"];
  coerce: Coercer;
  nullable: boolean;
  /** null: read `name` from the object; "root": the whole line; else a JSONPath. */
  path: JsonPath | "root" | null;
  /** Scalar integer-like type: a JSON number's text can be checked next to its key. */
  scalarKey: boolean;
  /** `"name"` with JSON escaping, without its opening quote: finds the key in a line (see integerSyntaxAfterKey). */
  keyNeedle: string;
}

export class SchemaError extends Error {
  override readonly name = "SchemaError";
}

function unwrap(type: ClickHouseType): ClickHouseType {
  while (type.kind === "nullable" || type.kind === "lowCardinality") type = type.inner;
  return type;
}

function compileColumn(column: IngestColumn): CompiledColumn {
  let dataType = column.dataType;
  if (!dataType) {
    const parsed = parseClickHouseType(column.type);
    if (!parsed.ok) throw new SchemaError(`column '${column.name}': ${parsed.message}`);
    dataType = parsed.type;
  }
  let path: CompiledColumn["path"] = null;
  if (column.jsonPath !== undefined && column.jsonPath.trim() !== "") {
    const compiled = compileJsonPath(column.jsonPath);
    if (!compiled.ok) throw new SchemaError(`column '${column.name}': ${compiled.message}`);
    if (compiled.path.segments.length === 0) path = "root";
    else if (!isOwnKeyPath(compiled.path, column.name)) path = compiled.path;
  }
  const inner = unwrap(dataType);
  // Nullable/LowCardinality wrappers only pass non-null values on: `run` handles null itself.
  let coerce = compileCoercer(inner);
  if (path === "root" && inner.kind === "string") {
    coerce = (v) => v; // the line's own text is used (see below)
  }
  const nullable = dataType.kind === "nullable" || (dataType.kind === "lowCardinality" && dataType.inner.kind === "nullable");
  return {
    name: column.name,
    typeText: column.type,
    kind: inner.kind,
    coerce,
    nullable,
    path,
    scalarKey: inner.kind === "integer" || inner.kind === "dateTime" || inner.kind === "aggregateFunction",
    keyNeedle: JSON.stringify(column.name).slice(1),
  };
}

/** Serializes a valid row as one JSONEachRow line (no trailing newline). */
export function toClickHouseLine(row: ValidRow): string {
  return JSON.stringify(row);
}

/**
 * Checks that every JSON number after `"key":` in the line is written in
 * integer syntax (ClickHouse refuses `1.0` and `1e2` for integer types).
 * Unsure (key not found verbatim) means no.
 */
function integerSyntaxAfterKey(line: string, needle: string): boolean {
  // `needle` is the quoted key without its opening quote: searching for that,
  // then checking the quote, finds the same places, faster, as `indexOf` skips
  // ahead to its needle's first character and `"` is everywhere in a JSON line.
  let from = 1;
  let found = false;
  for (;;) {
    const at = line.indexOf(needle, from);
    if (at < 0) return found;
    let i = at + needle.length;
    from = i;
    if (line.charCodeAt(at - 1) !== 34) continue;
    while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
    if (line.charCodeAt(i) !== 58) continue; // :
    i++;
    while (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9) i++;
    const c = line.charCodeAt(i);
    if (c !== 45 && (c < 48 || c > 57)) continue;
    found = true;
    for (i++; i < line.length; i++) {
      const d = line.charCodeAt(i);
      if (d >= 48 && d <= 57) continue;
      if (d === 46 || d === 101 || d === 69) return false; // . e E
      break;
    }
  }
}

const NON_INTEGER_NUMBER = /\d[.eE]/;

/** Types that accept a string where a number was sent (the lossless re-parse gives numbers as strings). */
const TEXT_TAKING = new Set<ClickHouseType["kind"]>(["dynamic", "variant", "json"]);

/**
 * Object keys written in a JSON text: strings followed by `:`. Walks from
 * quote to quote with `indexOf`, so it costs per string, not per character.
 * -1 when the text ends inside a string (never for parsed lines).
 */
export function countKeysInText(text: string): number {
  let keys = 0;
  let i = 0;
  for (;;) {
    const open = text.indexOf('"', i);
    if (open < 0) return keys;
    let close = open;
    for (;;) {
      close = text.indexOf('"', close + 1);
      if (close < 0) return -1;
      let slashes = 0;
      while (text.charCodeAt(close - 1 - slashes) === 92) slashes++;
      if ((slashes & 1) === 0) break;
    }
    i = close + 1;
    let c = text.charCodeAt(i);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++i);
    if (c === 58) keys++;
  }
}

const SPACE_BEFORE_COLON = /"\s+:/;

/**
 * Whether a JSON text holds exactly `expected` object keys, cheaper than
 * `countKeysInText` for the usual compact line: it counts the `":` whose quote
 * is not escaped, one `indexOf` per key instead of two per string. Every key
 * of a text without space before its colon ends in such a `":`; the only other
 * ones open a string value starting with `:`, so that count is never below the
 * true count, which is never below `expected` (the parse's keys): equal counts
 * prove it. Texts with space before a colon, or unequal counts, take the full walk.
 */
export function keyCountIs(text: string, expected: number): boolean {
  if (SPACE_BEFORE_COLON.test(text)) return countKeysInText(text) === expected;
  let keys = 0;
  for (let at = text.indexOf('":'); at >= 0; at = text.indexOf('":', at + 2)) {
    let slashes = 0;
    while (text.charCodeAt(at - 1 - slashes) === 92) slashes++;
    if ((slashes & 1) === 0) keys++;
  }
  return keys === expected || countKeysInText(text) === expected;
}

/** Keys of a parsed JSON value, nested objects included. */
function countKeys(value: unknown): number {
  if (value === null || typeof value !== "object") return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const x of value) keys += countKeys(x);
    return keys;
  }
  for (const k in value) keys += 1 + countKeys((value as Record<string, unknown>)[k]);
  return keys;
}

/** Marks a column with no value in the current row (absent, or null for a non-Nullable column). */
const SKIP: unique symbol = Symbol("skip");

const OK = 0, RETRY = 1, FAILED = 2;

// Module-local copies of the imported bindings `run` uses per value: where
// ESM is compiled to CommonJS (tsx, which the benchmark uses), every access
// to an imported binding is a getter call.
const missing = MISSING, fail = FAIL, state = coerceState, keyOf = getKey, pathOf = evaluateJsonPath;

/**
 * Internal entry used by `validateNdjson`: the row's JSONEachRow line (the
 * original text when passthrough, see `last`) or its quarantine
 * info. Same results as the validator, without building a row object or a
 * result for rows forwarded as-is.
 */
export interface LineValidator {
  (parsed: unknown, rawLine: string): string | QuarantineInfo;
  /** `passthrough`: whether the last string returned was the original line. */
  readonly last: { passthrough: boolean };
  /** Drops references to the last row's values. */
  release(): void;
}
export const LINE_VALIDATOR: unique symbol = Symbol("lineValidator");

export function compileRowValidator(columns: readonly IngestColumn[]): RowValidator {
  const compiled = columns.filter((c) => c.materialized === undefined).map(compileColumn);
  const directKeys = compiled.every((c) => c.path === null);
  const columnNames = columns.map((c) => c.name);
  const n = compiled.length;
  // Per-row scratch, reused across rows: coerced values (SKIP when left out) and integer-syntax checks.
  const outs: unknown[] = Array.from({ length: n }, () => SKIP);
  const keyCheck = new Uint8Array(n);
  let passthroughResult = false;
  let quarantineResult: QuarantineInfo | null = null;
  const last = { passthrough: false };

  function run(parsed: unknown, rawLine: string, lossless: boolean): number {
    let errorColumns: string[] | null = null;
    let errors: string[] | null = null;
    let identical = directKeys;
    let present = 0;
    let needsTextCheck = false;
    let anyKeyCheck = false;
    let nested = false;
    state.lossy = false;
    state.rewrite = false;
    state.reason = null;

    for (let i = 0; i < n; i++) {
      const col = compiled[i]!;
      outs[i] = SKIP;
      keyCheck[i] = 0;
      let value: unknown;
      if (col.path === null) value = keyOf(parsed, col.name);
      else if (col.path === "root") value = col.kind === "string" ? rawLine.trim() : parsed;
      else value = pathOf(col.path, parsed);

      if (value === missing) continue;
      present++;
      if (value === null) {
        if (col.nullable) { outs[i] = null; continue; }
        // Treated as absent: the column DEFAULT (or the type's zero value) applies.
        identical = false;
        continue;
      }
      if (col.kind === "string" && typeof value === "string") {
        // Every String coercer (also Nullable/LowCardinality, and "root") returns a string as-is.
        outs[i] = value;
        continue;
      }
      if (typeof value === "object") nested = true;
      state.intNumber = false;
      const out = col.coerce(value);
      if (out === fail) {
        // `1e400` became Infinity: the lossless re-parse gives the number's own text for the message
        // (not for types that would then take that text as a string).
        if (typeof value === "number" && !Number.isFinite(value) && !TEXT_TAKING.has(col.kind)) state.lossy = true;
        const message = quarantineMessage(col.name, col.typeText, rawText(value) ?? "");
        (errorColumns ??= []).push(col.name);
        (errors ??= []).push(state.reason === null ? message : `${message}: ${state.reason}`);
        state.reason = null;
        continue;
      }
      if (state.intNumber) {
        if (col.scalarKey) { keyCheck[i] = 1; anyKeyCheck = true; }
        else needsTextCheck = true;
      }
      if (out !== value) identical = false;
      outs[i] = out;
    }

    if (state.lossy && !lossless) return RETRY;

    // A lone surrogate (`"\ud800"`) parses, but ClickHouse refuses the whole
    // insert over it (or stores invalid UTF-8): the row goes to quarantine.
    if (mayHoldSurrogates(rawLine)) {
      for (let i = 0; i < n; i++) {
        const out = outs[i];
        if (out === SKIP || out === null) continue;
        const lone = firstLoneSurrogate(out);
        if (lone === null) continue;
        const col = compiled[i]!;
        const value = col.path === null ? keyOf(parsed, col.name) : col.path === "root" ? rawLine.trim() : pathOf(col.path, parsed);
        (errorColumns ??= []).push(col.name);
        (errors ??= []).push(`${quarantineMessage(col.name, col.typeText, rawText(value) ?? "")}: ${loneSurrogateReason(lone)}`);
      }
    }

    if (errorColumns !== null) {
      const values: Record<string, string | null> = {};
      for (const col of compiled) {
        let v: unknown;
        if (col.path === null) v = keyOf(parsed, col.name);
        else if (col.path === "root") v = rawLine.trim();
        else v = pathOf(col.path, parsed);
        values[col.name] = v === missing ? null : rawText(v);
      }
      quarantineResult = { errorColumns, errors: errors!, values };
      return FAILED;
    }

    let passthrough = identical && !lossless && !state.rewrite;
    if (passthrough) {
      let keys = 0;
      for (const _ in parsed as object) keys++;
      // JSON.parse keeps the last of two equal keys, ClickHouse refuses the
      // line (or keeps the first): a line holding more keys than its parse is
      // not forwarded.
      passthrough = keys === present && keyCountIs(rawLine, nested ? countKeys(parsed) : keys);
    }
    if (passthrough && needsTextCheck) passthrough = !NON_INTEGER_NUMBER.test(rawLine);
    if (passthrough && anyKeyCheck) {
      for (let i = 0; i < n; i++) {
        if (keyCheck[i] === 1 && !integerSyntaxAfterKey(rawLine, compiled[i]!.keyNeedle)) { passthrough = false; break; }
      }
    }
    passthroughResult = passthrough;
    return OK;
  }

  function buildRow(): ValidRow {
    const row: ValidRow = {};
    for (let i = 0; i < n; i++) {
      const out = outs[i];
      if (out !== SKIP) row[compiled[i]!.name] = out;
    }
    return row;
  }

  // lineValidator serializes a row right away, so it reuses one row object
  // while rows have the same columns present: assigning existing keys, in the
  // same order, gives the same JSON.stringify text without a new object per row.
  let lineRowObject: ValidRow | null = null;
  const lineRowHas = new Uint8Array(n);
  const reusable = !compiled.some((c) => c.name === "__proto__");

  function lineRow(): ValidRow {
    if (lineRowObject !== null) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if ((outs[i] !== SKIP) !== (lineRowHas[i] === 1)) { same = false; break; }
      }
      if (same) {
        for (let i = 0; i < n; i++) {
          const out = outs[i];
          if (out !== SKIP) lineRowObject[compiled[i]!.name] = out;
        }
        return lineRowObject;
      }
    }
    const row = buildRow();
    if (reusable) {
      lineRowObject = row;
      for (let i = 0; i < n; i++) lineRowHas[i] = outs[i] !== SKIP ? 1 : 0;
    }
    return row;
  }

  function release(): void {
    lineRowObject = null;
    outs.fill(SKIP);
    quarantineResult = null;
  }

  /** OK, or FAILED with quarantineResult set. */
  function check(parsed: object, rawLine: string): number {
    const status = run(parsed, rawLine, false);
    if (status !== RETRY) return status;
    // Some number lost digits in JSON.parse: redo the row from the line's own text.
    let exact: unknown;
    try { exact = parseJsonLossless(rawLine); } catch { exact = parsed; }
    return run(exact, rawLine, true);
  }

  function takeQuarantine(): QuarantineInfo {
    const q = quarantineResult!;
    quarantineResult = null;
    return q;
  }

  const validator = (parsed: unknown, rawLine: string): RowResult => {
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      return { ok: false, quarantine: notAnObject() };
    }
    if (check(parsed, rawLine) === FAILED) return { ok: false, quarantine: takeQuarantine() };
    const row = buildRow();
    release();
    return { ok: true, row, passthrough: passthroughResult };
  };

  const lineValidator = ((parsed: unknown, rawLine: string): string | QuarantineInfo => {
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return notAnObject();
    if (check(parsed, rawLine) === FAILED) return takeQuarantine();
    last.passthrough = passthroughResult;
    return passthroughResult ? rawLine : toClickHouseLine(lineRow());
  }) as LineValidator;
  Object.assign(lineValidator, { last, release });

  return Object.assign(validator, { columnNames, directKeys, [LINE_VALIDATOR]: lineValidator }) as RowValidator;
}

function notAnObject(): QuarantineInfo {
  return { errorColumns: [], errors: ["row is not a JSON object"], values: {} };
}
