/**
 * @module ingest/refusal
 * What a failed INSERT says about its rows. ClickHouse refuses a whole insert
 * over one row it cannot take (a value it cannot parse, a DEFAULT or a
 * materialized view that throws on it); such failures are the rows' fault and
 * worth splitting the batch over. Anything else (ClickHouse down or busy, a
 * missing table, a timeout) says nothing about the rows: the batch is retried
 * whole, and no row is ever quarantined for it.
 */
import { ClickHouseError } from "@clickhouse/client-web";
import { buildQuarantineRow, parseJsonLossless, quarantineLine } from "../../shared/ingest/index.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

/**
 * Error codes that name something in the data: a single row that gets one of
 * these when inserted alone is guilty. An allowlist, so a failure nobody
 * anticipated retries (and ends in the dead letters) instead of sending good
 * rows to quarantine.
 */
const ROW_FAULTS = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  153, // ILLEGAL_DIVISION (a view dividing by a row's zero)
  190, // SIZES_OF_ARRAYS_DONT_MATCH
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  376, // CANNOT_PARSE_UUID
  395, // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO (throwIf in a DEFAULT or a view)
  407, // DECIMAL_OVERFLOW
  441, // CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING
  467, // CANNOT_PARSE_BOOL
  632, // UNEXPECTED_DATA_AFTER_PARSED_VALUE
  675, // CANNOT_PARSE_IPV4
  676, // CANNOT_PARSE_IPV6
]);

const TOO_MANY_PARTITIONS = /Too many partitions for single INSERT block/;

/**
 * `rows`: a row's content was refused (split the batch; a lone row with it is
 * guilty). `shape`: the batch as a whole was refused (more partitions than one
 * insert may write): split it, but a lone row is never guilty of that.
 * `other`: nothing to do with the rows; retry everything.
 */
export type InsertFailure = "rows" | "shape" | "other";

export function classifyInsertFailure(e: unknown): InsertFailure {
  if (!(e instanceof ClickHouseError)) return "other";
  if (ROW_FAULTS.has(Number(e.code))) return "rows";
  if (TOO_MANY_PARTITIONS.test(e.message)) return "shape";
  return "other";
}

/** ClickHouse's words about a refused row, without the parser's position noise. */
export function refusalMessage(e: unknown): string {
  const code = e instanceof ClickHouseError ? `Code: ${e.code}. DB::Exception: ` : "";
  const text = clickhouseMessage(e)
    .replace(/:?\s*While executing [A-Za-z]+\.?/g, "")
    .replace(/:?\s*\(at row \d+\)/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return `ClickHouse refused the row: ${code}${text}`;
}

/** The column ClickHouse names in its message (`while reading the value of key v`), when it is one of ours. */
function columnNamed(message: string, columns: readonly string[]): string[] {
  const m = /while reading the value of key ([^):]+)/.exec(message);
  return m && columns.includes(m[1]!.trim()) ? [m[1]!.trim()] : [];
}

/** Raw value of every column in a JSONEachRow line, for the quarantine row (all null when the line does not parse). */
function valuesOf(line: string, columns: readonly string[]): Record<string, string | null> {
  const values: Record<string, string | null> = {};
  let parsed: unknown;
  try { parsed = parseJsonLossless(line); } catch { parsed = null; }
  const obj = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  for (const name of columns) {
    const v = Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined;
    values[name] = v === undefined || v === null ? null : typeof v === "string" ? v : JSON.stringify(v);
  }
  return values;
}

/** The quarantine line for a row ClickHouse refused: its reason, the column it named, the row's values. */
export function refusedRowLine(
  line: string, error: unknown, columns: readonly string[], context: { importId: string | null; now: Date | number },
): string {
  const message = refusalMessage(error);
  return quarantineLine(buildQuarantineRow({ errorColumns: columnNamed(message, columns), errors: [message], values: valuesOf(line, columns) }, columns, context));
}
