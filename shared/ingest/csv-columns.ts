/**
 * @module
 * CSV values checked by ClickHouse itself: the file is read with every column
 * as `Nullable(String)`, then each value is cast to its column's type
 * (`accurateCastOrNull`), so the rows whose every value casts go to the
 * datasource and the rest to its quarantine with the failing columns named,
 * in Tinybird's words (`value 'x' on column 'n' is not UInt64`). An empty or
 * missing value takes the column's DEFAULT (or NULL when Nullable); without
 * either it fails. Used by CSV uploads (workers/write/import-csv.ts) and by
 * S3/GCS imports of CSV files (shared/connectors/s3-import.ts).
 */
import type { ColumnDefinition } from "../datafiles/ast.js";
import { quoteIdentifier, quoteString } from "../sql/ddl/quote.js";

export type CsvColumn = Pick<ColumnDefinition, "name" | "type" | "nullable" | "default">;

/** Types ClickHouse refuses inside Nullable, so `accurateCastOrNull` cannot target them directly. */
const CANNOT_BE_NULLABLE = /^(?:Array|Map|Tuple|Nested)\(/;

/**
 * The type a CSV text value is checked against: outer LowCardinality and
 * Nullable wrappers dropped (`accurateCastOrNull` refuses LowCardinality; the
 * INSERT converts back to the column type).
 */
export function castTarget(type: string): string {
  let t = type.trim();
  for (;;) {
    const m = /^(?:LowCardinality|Nullable)\((.*)\)$/.exec(t);
    if (!m) return t;
    t = m[1]!.trim();
  }
}

export interface CsvColumnsSql {
  /** True when some value of the row does not cast (or is missing without a default). */
  anyFailed: string;
  /** Each column's value for the datasource, in column order (no alias). */
  values: string[];
  /** `Array(String)`: the failing columns' names. */
  errorColumns: string;
  /** `Array(String)`: a reason per failing column. */
  errorMessages: string;
}

/** The expressions over a row of `Nullable(String)` columns named as the datasource's. */
export function csvColumnsSql(columns: readonly CsvColumn[]): CsvColumnsSql {
  // Per column: the parsed value (NULL when the text does not cast), and whether it failed.
  // NULL/empty means "use the default" for non-Nullable columns with one.
  const parsed = (c: CsvColumn) => {
    const v = quoteIdentifier(c.name);
    const type = castTarget(c.type);
    if (type === "String") return v;
    // Array/Map/Tuple cannot be inside Nullable: parse into a one-type Variant, NULL when the text does not parse.
    if (CANNOT_BE_NULLABLE.test(type)) return `accurateCastOrNull(${v}, ${quoteString(`Variant(${type})`)})`;
    return `accurateCastOrNull(${v}, ${quoteString(type)})`;
  };
  const cast = (c: CsvColumn) => {
    const type = castTarget(c.type);
    if (CANNOT_BE_NULLABLE.test(type)) return `CAST(${parsed(c)}, ${quoteString(type)})`;
    return c.nullable ? parsed(c) : `assumeNotNull(${parsed(c)})`;
  };
  const failed = (c: CsvColumn) => {
    const v = quoteIdentifier(c.name);
    const missingOk = c.nullable || c.default !== undefined ? "1" : "0";
    return `(if(${v} IS NULL OR ${v} = '', NOT ${missingOk}, ${parsed(c)} IS NULL AND NOT ${c.nullable ? `lower(${v}) = 'null'` : "0"}))`;
  };
  const valueOf = (c: CsvColumn) => {
    const v = quoteIdentifier(c.name);
    if (c.default !== undefined) return `if(${v} IS NULL OR ${v} = '', ${c.default}, ${cast(c)})`;
    return cast(c);
  };
  return {
    anyFailed: columns.map(failed).join(" OR ") || "0",
    values: columns.map(valueOf),
    errorColumns: `arrayFilter(x -> x != '', [${columns.map((c) => `if(${failed(c)}, ${quoteString(c.name)}, '')`).join(", ")}])`,
    errorMessages: `arrayFilter(x -> x != '', [${columns
      .map((c) => `if(${failed(c)}, concat('value ''', ifNull(${quoteIdentifier(c.name)}, ''), ''' on column ''', ${quoteString(c.name)}, ''' is not ', ${quoteString(c.type)}), '')`)
      .join(", ")}])`,
  };
}

/** How ClickHouse reads a CSV file into the `Nullable(String)` columns (header by name, extra columns skipped, fewer columns = NULL). */
export const CSV_AS_TEXT_SETTINGS = {
  input_format_with_names_use_header: "1",
  input_format_skip_unknown_fields: "1",
  input_format_csv_empty_as_default: "0",
  input_format_null_as_default: "0",
  input_format_csv_allow_variable_number_of_columns: "1",
} as const;
