/**
 * @module write/import-csv
 * CSV imports checked by ClickHouse itself: the file lands in a scratch table
 * of Nullable(String) columns, then one INSERT … SELECT moves rows whose every
 * value casts to its column type into the datasource, and another moves the
 * rest to its quarantine with the failing columns named. Large files never
 * pass through the Worker's CPU row by row.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { ManifestDatasource } from "../../shared/deploy/manifest.js";
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../../shared/sql/ddl/index.js";

export interface CsvDialect {
  delimiter?: string;
  hasHeader?: boolean;
}

export interface ImportCounts {
  rows: number;
  quarantined: number;
}

/** True when the first line names the schema's columns (in any order). */
export function looksLikeHeader(firstLine: string, columns: readonly string[], delimiter = ","): boolean {
  const cells = firstLine.split(delimiter).map((c) => c.trim().replace(/^"(.*)"$/, "$1"));
  return cells.length > 0 && cells.every((c) => columns.includes(c));
}

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

export async function importCsv(
  ch: ClickHouseClient,
  database: string,
  ds: ManifestDatasource,
  csv: string,
  opts: { importId: string; dialect: CsvDialect; into?: string },
): Promise<ImportCounts> {
  const columns = ds.file.columns;
  const names = columns.map((c) => c.name);
  const scratch = `${ds.table}__import_${opts.importId.replace(/[^A-Za-z0-9]/g, "").slice(0, 16)}`;
  const scratchQ = quoteQualifiedName(database, scratch);
  const target = quoteQualifiedName(database, opts.into ?? ds.table);
  await ch.command({
    query: `CREATE TABLE ${scratchQ} (${names.map((n) => `${quoteIdentifier(n)} Nullable(String)`).join(", ")}) ENGINE = MergeTree ORDER BY tuple()`,
  });
  try {
    const firstLine = csv.slice(0, csv.indexOf("\n") >= 0 ? csv.indexOf("\n") : csv.length);
    const header = opts.dialect.hasHeader ?? looksLikeHeader(firstLine, names, opts.dialect.delimiter ?? ",");
    await ch.command({
      query: `INSERT INTO ${scratchQ} (${names.map(quoteIdentifier).join(", ")}) FORMAT ${header ? "CSVWithNames" : "CSV"}\n${csv}`,
      clickhouse_settings: {
        format_csv_delimiter: opts.dialect.delimiter ?? ",",
        input_format_with_names_use_header: 1,
        input_format_skip_unknown_fields: 1,
        input_format_csv_empty_as_default: 0,
        input_format_null_as_default: 0,
        // Fewer columns than the schema: the missing ones read as NULL → DEFAULT below.
        input_format_csv_allow_variable_number_of_columns: 1,
      },
    });
    // Per column: the parsed value (NULL when the text does not cast), and whether it failed.
    // NULL/empty means "use the default" for non-Nullable columns with one.
    const parsed = (c: (typeof columns)[number]) => {
      const v = quoteIdentifier(c.name);
      const type = castTarget(c.type);
      if (type === "String") return v;
      // Array/Map/Tuple cannot be inside Nullable: parse into a one-type Variant, NULL when the text does not parse.
      if (CANNOT_BE_NULLABLE.test(type)) return `accurateCastOrNull(${v}, ${quoteString(`Variant(${type})`)})`;
      return `accurateCastOrNull(${v}, ${quoteString(type)})`;
    };
    const cast = (c: (typeof columns)[number]) => {
      const type = castTarget(c.type);
      if (CANNOT_BE_NULLABLE.test(type)) return `CAST(${parsed(c)}, ${quoteString(type)})`;
      return c.nullable ? parsed(c) : `assumeNotNull(${parsed(c)})`;
    };
    const failed = (c: (typeof columns)[number]) => {
      const v = quoteIdentifier(c.name);
      const missingOk = c.nullable || c.default !== undefined ? "1" : "0";
      return `(if(${v} IS NULL OR ${v} = '', NOT ${missingOk}, ${parsed(c)} IS NULL AND NOT ${c.nullable ? `lower(${v}) = 'null'` : "0"}))`;
    };
    const anyFailed = columns.map(failed).join(" OR ") || "0";
    const valueOf = (c: (typeof columns)[number]) => {
      const v = quoteIdentifier(c.name);
      if (c.default !== undefined) return `if(${v} IS NULL OR ${v} = '', ${c.default}, ${cast(c)})`;
      return cast(c);
    };
    await ch.command({
      query: `INSERT INTO ${target} (${names.map(quoteIdentifier).join(", ")}) SELECT ${columns.map(valueOf).join(", ")} FROM ${scratchQ} WHERE NOT (${anyFailed})`,
      clickhouse_settings: { insert_deduplication_token: opts.importId },
    });
    const errorColumns = `arrayFilter(x -> x != '', [${columns.map((c) => `if(${failed(c)}, ${quoteString(c.name)}, '')`).join(", ")}])`;
    const errorMessages = `arrayFilter(x -> x != '', [${columns
      .map((c) => `if(${failed(c)}, concat('value ''', ifNull(${quoteIdentifier(c.name)}, ''), ''' on column ''', ${quoteString(c.name)}, ''' is not ', ${quoteString(c.type)}), '')`)
      .join(", ")}])`;
    await ch.command({
      query: `INSERT INTO ${quoteQualifiedName(database, ds.quarantineTable)} (c__error_column, c__error, c__import_id, ${names.map(quoteIdentifier).join(", ")}) SELECT ${errorColumns}, ${errorMessages}, ${quoteString(opts.importId)}, ${names.map(quoteIdentifier).join(", ")} FROM ${scratchQ} WHERE ${anyFailed}`,
      clickhouse_settings: { insert_deduplication_token: `${opts.importId}-q` },
    });
    const rs = await ch.query({
      query: `SELECT countIf(NOT (${anyFailed})) AS ok, countIf(${anyFailed}) AS bad FROM ${scratchQ}`,
      format: "JSONEachRow",
    });
    const [counts] = await rs.json<{ ok: string | number; bad: string | number }>();
    return { rows: Number(counts?.ok ?? 0), quarantined: Number(counts?.bad ?? 0) };
  } finally {
    await ch.command({ query: `DROP TABLE IF EXISTS ${scratchQ}` }).catch(() => undefined);
  }
}
