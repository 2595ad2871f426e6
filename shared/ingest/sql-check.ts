/**
 * @module
 * ClickHouse checks the lines instead of the Worker (issue 19): for a datasource whose
 * every column can be checked exactly in SQL, a `wait=true` NDJSON segment goes to
 * ClickHouse as its own text, and one `INSERT … SELECT` reads each line once
 * (`JSONExtractKeysAndValuesRaw`), checks it, and turns it into the columns. A line that
 * is not provably one the row validator (validate-row.ts) would land as it came makes
 * `throwIf` refuse the whole insert, so nothing of the segment lands and the Worker then
 * validates it as before (quarantine, reasons and counts unchanged).
 *
 * ClickHouse's JSON reader hands each value on as its own re-written text (numbers
 * normalized, `1.0` → `1`; strings with their escapes re-written), which is what the checks
 * read; where that loses what the validator would see (`-0`, digits past 2^53) the line's
 * own text is looked at.
 *
 * Conservative by construction: anything in doubt throws. Only flat objects of known keys
 * go through: each column's value must be JSON of exactly its type's canonical form
 * (strings for String, integer syntax in range for integers, `true`/`false` for Bool,
 * `YYYY-MM-DD hh:mm:ss[.f]` with the type's digits and a year in 1971..2105 for
 * DateTime(64), arrays of strings for Array(String)); `null` or a missing key as NULL, which
 * ClickHouse turns into the column's DEFAULT (computed from the row) or the type's zero value. Lines the JSON reader refuses
 * (malformed, control characters, lone surrogates, numbers out of double range, trailing
 * text), empty objects and a column's key written twice all throw.
 *
 * Pure: builds SQL text, no runtime imports.
 */
import { parseClickHouseType, type ClickHouseType } from "../datafiles/types.js";
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../sql/ddl/quote.js";
import { compileJsonPath, isOwnKeyPath } from "./jsonpath.js";
import type { IngestColumn } from "./validate-row.js";

/** The message of the refusal; the Worker tells it from other failures by its error code (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO). */
export const SQL_CHECK_MESSAGE = "tern: a line needs the Worker's validation";
/** ClickHouse's code for `throwIf`'s exception. */
export const THROW_IF_CODE = "395";

/** The heredoc that carries a segment's text inside the statement (no escaping needed; a segment holding it takes the Worker's path). */
export const HEREDOC = "$tern_lines$";

export interface SqlCheckPlan {
  /** `INSERT INTO <table> (<cols>) SELECT … FROM format(LineAsString, …, ` — the lines and `HEREDOC)` follow. */
  head(target: { database: string; table: string }): string;
  /** Closes the statement after the lines. */
  readonly tail: string;
}

interface Col {
  name: string;
  /** The raw JSON text of this column's key in the line ('' when missing). */
  raw: string;
  check: string;
  value: string;
}

type Scalar = { kind: "string" } | { kind: "integer"; min: bigint; max: bigint } | { kind: "float64" } | { kind: "bool" } | { kind: "dateTime"; digits: number } | { kind: "arrayOfString" };

function unwrapLc(t: ClickHouseType): ClickHouseType {
  return t.kind === "lowCardinality" ? t.inner : t;
}

/** The scalar kind of a type the SQL check covers, with whether it is Nullable; undefined when not covered. */
function coveredType(t: ClickHouseType): { scalar: Scalar; nullable: boolean } | undefined {
  let nullable = false;
  t = unwrapLc(t);
  if (t.kind === "nullable") { nullable = true; t = unwrapLc(t.inner); }
  switch (t.kind) {
    case "string": return { scalar: { kind: "string" }, nullable };
    case "bool": return { scalar: { kind: "bool" }, nullable };
    case "float": return t.name === "Float64" ? { scalar: { kind: "float64" }, nullable } : undefined;
    case "integer": {
      if (t.bits > 64) return undefined;
      const bits = BigInt(t.bits);
      const min = t.signed ? -(1n << (bits - 1n)) : 0n;
      const max = t.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
      return { scalar: { kind: "integer", min, max }, nullable };
    }
    case "dateTime": return { scalar: { kind: "dateTime", digits: 0 }, nullable };
    case "dateTime64": return t.precision <= 6 ? { scalar: { kind: "dateTime", digits: t.precision }, nullable } : undefined;
    case "array": return !nullable && unwrapLc(t.element).kind === "string" ? { scalar: { kind: "arrayOfString" }, nullable } : undefined;
    default: return undefined;
  }
}

function typeCheck(s: Scalar, raw: string): { check: string; value: string } {
  switch (s.kind) {
    case "string":
      return { check: `startsWith(${raw}, '"')`, value: `JSONExtractString(${raw})` };
    case "bool":
      return { check: `(${raw} = 'true' OR ${raw} = 'false')`, value: `${raw} = 'true'` };
    case "float64":
      // JSON number syntax was checked by the reader; an infinite value (1e400) never gets here (the reader refuses it).
      // The reader hands numbers on re-written (`-0` as `0`): a zero from a line holding a minus sign may have been -0.
      return {
        check: `match(${raw}, '^-?[0-9]') AND isFinite(toFloat64OrZero(${raw})) AND NOT (toFloat64OrZero(${raw}) = 0 AND position(line, '-') > 0)`,
        value: `toFloat64(${raw})`,
      };
    case "integer":
      return {
        // The reader re-writes numbers (`1.0` as `1`, as the validator lands them); past 2^53 one read as a
        // double may have lost digits: then its digits must be the line's own.
        check: `match(${raw}, '^-?[0-9]{1,20}$') AND ifNull(toInt128OrNull(${raw}) BETWEEN ${s.min} AND ${s.max}, 0)`
          + ` AND (abs(toFloat64(${raw})) < 9007199254740992 OR position(line, ${raw}) > 0)`,
        value: `toInt128(${raw})`,
      };
    case "dateTime": {
      const fraction = s.digits === 0 ? "" : `\\\\.[0-9]{${s.digits}}`;
      const wall = `substring(${raw}, 2, 19)`;
      return {
        check: `match(${raw}, '^"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}${fraction}"$')`
          + ` AND toUInt16(substring(${raw}, 2, 4)) BETWEEN 1971 AND 2105`
          + ` AND ifNull(formatDateTime(parseDateTimeOrNull(${wall}, '%Y-%m-%d %H:%i:%s', 'UTC'), '%Y-%m-%d %H:%i:%s', 'UTC') = ${wall}, 0)`,
        value: `substring(${raw}, 2, length(${raw}) - 2)`,
      };
    }
    case "arrayOfString":
      return {
        check: `startsWith(${raw}, '[') AND arrayAll(x -> startsWith(x, '"'), JSONExtractArrayRaw(${raw}))`,
        value: `arrayMap(x -> JSONExtractString(x), JSONExtractArrayRaw(${raw}))`,
      };
  }
}

/**
 * The SQL check of a datasource's columns, or undefined when some column is not covered
 * (its type, a JSONPath other than its own key, a line-as-a-whole column): that datasource
 * keeps the Worker's validation.
 */
export function planSqlCheck(columns: readonly IngestColumn[]): SqlCheckPlan | undefined {
  const cols: Col[] = [];
  const written = columns.filter((c) => c.materialized === undefined);
  if (written.length === 0) return undefined;
  for (const [i, c] of written.entries()) {
    if (c.jsonPath !== undefined && c.jsonPath.trim() !== "") {
      const path = compileJsonPath(c.jsonPath);
      if (!path.ok || path.path.segments.length === 0 || !isOwnKeyPath(path.path, c.name)) return undefined;
    }
    let type = c.dataType;
    if (!type) {
      const parsed = parseClickHouseType(c.type);
      if (!parsed.ok) return undefined;
      type = parsed.type;
    }
    const covered = coveredType(type);
    if (!covered) return undefined;
    const raw = `r${i}`;
    const hasDefault = c.default !== undefined && c.default.trim() !== "";
    const { check, value } = typeCheck(covered.scalar, raw);
    // Missing, or null for a non-Nullable column: the validator leaves the key out, so the DEFAULT (or the
    // type's zero value) applies. A NULL into a non-Nullable column is exactly that (insert_null_as_default
    // computes the DEFAULT from the row's other columns, as JSONEachRow does for an omitted key). null for a
    // Nullable column is NULL; a Nullable column's missing key takes its DEFAULT, and an Array cannot be
    // NULL: those two are covered only without a DEFAULT.
    const isArray = covered.scalar.kind === "arrayOfString";
    const absentOk = !hasDefault || (!covered.nullable && !isArray);
    const absentValue = isArray ? `defaultValueOfTypeName(${quoteString(c.type)})` : "NULL";
    cols.push({
      name: c.name,
      raw,
      // Every type's check is false for '' (missing) and 'null', so the OR says what each allows.
      check: `(${[...(absentOk ? [`${raw} = ''`] : []), ...(covered.nullable || absentOk ? [`${raw} = 'null'`] : []), `(${check})`].join(" OR ")})`,
      value: `if(${raw} = '' OR ${raw} = 'null', ${absentValue}, CAST(${value}, ${quoteString(c.type)}))`,
    });
  }
  const raws = cols.map((c) => `kv.2[indexOf(kv.1, ${quoteString(c.name)})] AS ${c.raw}`).join(", ");
  // A column's key twice: JSON.parse keeps the last, the reader's indexOf the first. Other keys are dropped
  // either way. countEqual scans ~a dozen keys; arrayDistinct's hash set per line cost more than any type check.
  const checks = [
    "length(kv) > 0",
    ...cols.map((c) => `countEqual(kv.1, ${quoteString(c.name)}) <= 1`),
    ...cols.map((c) => c.check),
  ].join(" AND ");
  const select = cols.map((c) => `${c.value} AS ${quoteIdentifier(c.name)}`).join(", ");
  const names = cols.map((c) => quoteIdentifier(c.name)).join(", ");
  const tail = `${HEREDOC}) WHERE line != '')) WHERE throwIf(NOT (${checks}), ${quoteString(SQL_CHECK_MESSAGE)}) = 0`;
  return {
    head: (t) => `INSERT INTO ${quoteQualifiedName(t.database, t.table)} (${names}) SELECT ${select} FROM (SELECT line, kv, ${raws} FROM (SELECT line, JSONExtractKeysAndValuesRaw(line) AS kv FROM format(LineAsString, 'line String', ${HEREDOC}`,
    tail,
  };
}

/** Rows ClickHouse makes of a segment's text: its non-empty lines (blank ones with spaces make the check throw). */
export function countLines(text: string): number {
  let rows = 0;
  let start = 0;
  for (;;) {
    const end = text.indexOf("\n", start);
    const stop = end < 0 ? text.length : end;
    if (stop > start) rows++;
    if (end < 0) return rows;
    start = end + 1;
  }
}
