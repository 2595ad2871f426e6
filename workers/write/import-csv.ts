/**
 * @module write/import-csv
 * CSV imports checked by ClickHouse itself: the file lands in a scratch table
 * of Nullable(String) columns, then one INSERT … SELECT moves rows whose every
 * value casts to its column type into the datasource, and another moves the
 * rest to its quarantine with the failing columns named (the expressions:
 * shared/ingest/csv-columns.ts). Large files never pass through the Worker's
 * CPU row by row.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { ManifestDatasource } from "../../shared/deploy/manifest.js";
import { csvColumnsSql } from "../../shared/ingest/csv-columns.js";
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
    const { anyFailed, values, errorColumns, errorMessages } = csvColumnsSql(columns);
    await ch.command({
      query: `INSERT INTO ${target} (${names.map(quoteIdentifier).join(", ")}) SELECT ${values.join(", ")} FROM ${scratchQ} WHERE NOT (${anyFailed})`,
      clickhouse_settings: { insert_deduplication_token: opts.importId },
    });
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
