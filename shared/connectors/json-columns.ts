/**
 * @module
 * A datasource's columns read out of a JSON text inside ClickHouse, as the
 * Events API maps NDJSON (shared/ingest): each column from its JSONPath (or its
 * name), a missing or `null` value giving the type's default (NULL for Nullable
 * columns), and, for the rows that do not fit, the quarantine's columns with a
 * reason per failing column in Tinybird's words (`value 'abc' on column 'id' is
 * not UInt64`). Used where ClickHouse reads the JSON itself: a Kafka
 * datasource's views (kafka-sql.ts) and NDJSON files of S3/GCS imports
 * (s3-import.ts), both reading each message or line as one String.
 */
import type { ColumnDefinition } from "../datafiles/ast.js";
import { compileJsonPath } from "../ingest/jsonpath.js";
import { QUARANTINE_RESERVED } from "../ingest/quarantine.js";
import { quoteIdentifier, quoteString } from "../sql/ddl/quote.js";

export type JsonColumn = Pick<ColumnDefinition, "name" | "type" | "nullable" | "jsonPath">;

/** The arguments of JSONExtract* that reach a JSONPath's value, or undefined for paths ClickHouse's JSON functions cannot follow (projections). */
export function jsonExtractKeys(column: Pick<ColumnDefinition, "name" | "jsonPath">): string[] | undefined {
  const text = column.jsonPath ?? `$.${column.name}`;
  const compiled = compileJsonPath(text);
  if (!compiled.ok) return undefined;
  const keys: string[] = [];
  for (const s of compiled.path.segments) {
    if (s.kind === "key") keys.push(quoteString(s.key));
    else if (s.kind === "index") keys.push(String(s.index + 1));
    else return undefined;
  }
  return keys;
}

function args(keys: string[]): string {
  return keys.length > 0 ? `, ${keys.join(", ")}` : "";
}

/**
 * A JSONPath that projects an array once (`$.items[:].id`, `$.tags[*]`): the
 * JSONExtract arguments of the array, and those of each element's value.
 * Undefined for any other path.
 */
export function jsonProjection(column: Pick<ColumnDefinition, "name" | "jsonPath">): { array: string[]; element: string[] } | undefined {
  const compiled = compileJsonPath(column.jsonPath ?? `$.${column.name}`);
  if (!compiled.ok) return undefined;
  const at = compiled.path.segments.findIndex((s) => s.kind === "all");
  if (at < 0 || compiled.path.segments.slice(at + 1).some((s) => s.kind === "all")) return undefined;
  const keys = (segments: typeof compiled.path.segments) => segments.map((s) => (s.kind === "key" ? quoteString(s.key) : String((s as { index: number }).index + 1)));
  return { array: keys(compiled.path.segments.slice(0, at)), element: keys(compiled.path.segments.slice(at + 1)) };
}

/** Why ClickHouse's JSON functions cannot read a column as the Events API does, or undefined. */
export function jsonColumnProblem(column: Pick<ColumnDefinition, "name" | "type" | "jsonPath">): string | undefined {
  if (jsonExtractKeys(column)) return undefined;
  const element = /^Array\((.*)\)$/.exec(stripLowCardinality(column.type))?.[1];
  if (jsonProjection(column) && element !== undefined && !COMPOSITE.test(stripLowCardinality(element))) return undefined;
  return `column ${column.name}: the JSONPath ${column.jsonPath ?? ""} projects an array ([:] or [*]) more than once, or into a column that is not an Array of scalars`;
}

export interface JsonColumnsSql {
  /** True when the text is a JSON object. */
  isObject: string;
  /** True when some column's value is present but does not convert to its type. */
  anyBad: string;
  /** `<typed value> AS <column>`, one per column, for the rows that fit. */
  values: string[];
  /** The same typed values without their alias. */
  exprs: string[];
  /** Per column: true when the JSON holds a value for it (not missing, not `null`). */
  present: string[];
  /** `c__error_column` and `c__error` for the rows that do not fit. */
  errors: string[];
  /** The two expressions of `errors` without their aliases (an `Array(String)` each), for callers that add reasons of their own. */
  errorColumnsExpr: string;
  reasonsExpr: string;
  /** The reasons of a row that does not fit, as one text (`; `-joined). */
  errorText: string;
  /** Each column's raw text (NULL when absent) for the quarantine, reserved names left out. */
  raw: string[];
  /** The same as `raw`, as name and expression without the alias. */
  rawColumns: Array<{ name: string; expr: string }>;
}

/** A type with no Nullable form in ClickHouse (`Nullable(Array(…))` is refused). */
const COMPOSITE = /^(Array|Map|Tuple|Nested|JSON|Object|Variant|Dynamic)\b/;

function stripLowCardinality(type: string): string {
  return /^LowCardinality\((.*)\)$/.exec(type)?.[1] ?? type;
}

/**
 * A column's typed value and whether a present value fails to convert. Scalars
 * are read as `Nullable(T)`: NULL means it did not convert. Arrays of scalars
 * read each element as `Nullable(T)`: an element that did not convert is a
 * NULL the JSON did not have (a JSON `null` element fits only an array of
 * Nullable). Other composites (Map, Tuple, nested arrays) cannot be read as
 * Nullable: there only the JSON's kind is checked (an array for Array, an
 * object for Map/Tuple), and their elements convert as JSONExtract does.
 */
function typedValue(c: JsonColumn, value: string, keys: string[], present: string, projection?: { element: string[] }): { bad: string; valueExpr: string } {
  const plain = stripLowCardinality(c.type);
  const at = `${value}${args(keys)}`;
  const element = /^Array\((.*)\)$/.exec(plain)?.[1];
  if (element !== undefined && !COMPOSITE.test(stripLowCardinality(element))) {
    const inner = stripLowCardinality(element);
    const nullableInner = inner.startsWith("Nullable(") ? inner : `Nullable(${inner})`;
    // A projection (`$.items[:].id`): each element's value at the rest of the path, elements without one left out (as the Events API).
    const rest = projection ? args(projection.element) : "";
    const rawElements = projection && projection.element.length > 0
      ? `arrayMap(x -> JSONExtractRaw(x${rest}), arrayFilter(x -> JSONExtractRaw(x${rest}) != '', JSONExtractArrayRaw(${at})))`
      : `JSONExtractArrayRaw(${at})`;
    const elements = projection
      ? `arrayMap(x -> JSONExtract(x, ${quoteString(nullableInner)}), ${rawElements})`
      : `JSONExtract(${at}, ${quoteString(`Array(${nullableInner})`)})`;
    const notArray = `JSONType(${at}) != 'Array'`;
    if (inner.startsWith("Nullable(")) {
      const jsonNulls = `arrayCount(x -> x = 'null', ${rawElements})`;
      return { bad: `(${present} AND (${notArray} OR arrayCount(x -> isNull(x), ${elements}) != ${jsonNulls}))`, valueExpr: elements };
    }
    return {
      bad: `(${present} AND (${notArray} OR arrayExists(x -> isNull(x), ${elements})))`,
      valueExpr: `arrayMap(x -> ifNull(x, defaultValueOfTypeName(${quoteString(inner)})), ${elements})`,
    };
  }
  if (COMPOSITE.test(plain)) {
    const kind = plain.startsWith("Array") ? "'Array'" : "'Object'";
    return { bad: `(${present} AND JSONType(${at}) != ${kind})`, valueExpr: `JSONExtract(${at}, ${quoteString(plain)})` };
  }
  // JSONExtract's type: LowCardinality dropped (it cannot sit inside Nullable), Nullable added.
  const nullableType = plain.startsWith("Nullable(") ? plain : `Nullable(${plain})`;
  const typed = `JSONExtract(${at}, ${quoteString(nullableType)})`;
  return {
    bad: `(${present} AND ${typed} IS NULL)`,
    valueExpr: c.nullable ? typed : `ifNull(${typed}, defaultValueOfTypeName(${quoteString(plain)}))`,
  };
}

/** The expressions over the String column `value` (its name as written in the SELECT). Columns must have JSONPaths ClickHouse can follow (`jsonExtractKeys`). */
export function jsonColumnsSql(columns: readonly JsonColumn[], value = "value"): JsonColumnsSql {
  const isObject = `(isValidJSON(${value}) AND startsWith(trimLeft(${value}), '{'))`;
  // Per column: the raw JSON text at its path ('' when absent), and the typed value (NULL when it does not convert).
  const parts = columns.map((c) => {
    const problem = jsonColumnProblem(c);
    if (problem) throw new Error(problem);
    const projection = jsonExtractKeys(c) ? undefined : jsonProjection(c)!;
    const keys = projection ? projection.array : jsonExtractKeys(c)!;
    const raw = `JSONExtractRaw(${value}${args(keys)})`;
    const present = `(${raw} NOT IN ('', 'null'))`;
    const { bad, valueExpr } = typedValue(c, value, keys, present, projection);
    // Strings are quoted in the raw JSON: the quarantine keeps the text itself, as the Events API does.
    const rawText = `if(startsWith(${raw}, '"'), JSONExtractString(${value}${args(keys)}), ${raw})`;
    return { c, rawText, bad, present, valueExpr };
  });
  const reasons = `if(${isObject}, arrayFilter(x -> x != '', [${parts
    .map((p) => `if(${p.bad}, concat('value ''', ${p.rawText}, ''' on column ''', ${quoteString(p.c.name)}, ''' is not ', ${quoteString(p.c.type)}), '')`)
    .join(", ")}]), ['the message value is not a JSON object'])`;
  const errorColumnsExpr = `if(${isObject}, arrayFilter(x -> x != '', [${parts.map((p) => `if(${p.bad}, ${quoteString(p.c.name)}, '')`).join(", ")}]), [])`;
  const rawColumns = parts.filter((p) => !QUARANTINE_RESERVED.has(p.c.name)).map((p) => ({ name: p.c.name, expr: `if(${isObject} AND ${p.present}, ${p.rawText}, NULL)` }));
  return {
    isObject,
    anyBad: parts.length > 0 ? parts.map((p) => p.bad).join(" OR ") : "0",
    values: parts.map((p) => `${p.valueExpr} AS ${quoteIdentifier(p.c.name)}`),
    exprs: parts.map((p) => p.valueExpr),
    present: parts.map((p) => p.present),
    errors: [`${errorColumnsExpr} AS c__error_column`, `${reasons} AS c__error`],
    errorColumnsExpr,
    reasonsExpr: reasons,
    errorText: `arrayStringConcat(${reasons}, '; ')`,
    raw: rawColumns.map((r) => `${r.expr} AS ${quoteIdentifier(r.name)}`),
    rawColumns,
  };
}
