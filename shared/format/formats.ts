/**
 * @module format/formats
 * Output formats of API endpoints (`/v0/pipes/<pipe>.<ext>`) and of the Query
 * API (`FORMAT <name>` in the SQL), mapped to the ClickHouse format that
 * produces the bytes and the Content-Type we answer with. ClickHouse output is
 * passed through untouched: its `FORMAT JSON` envelope is Tinybird's shape.
 */
import { isSignificant, tokenize } from "../sql/rewrite/index.js";

export interface OutputFormat {
  /** ClickHouse format name. */
  clickhouse: string;
  contentType: string;
}

const JSON_TYPE = "application/json";
const CSV_TYPE = "text/csv; charset=utf-8";
const TSV_TYPE = "text/tab-separated-values; charset=utf-8";
const NDJSON_TYPE = "application/x-ndjson";
const BINARY_TYPE = "application/octet-stream";

/** Endpoint extensions, as Tinybird documents them. */
export const ENDPOINT_FORMATS: Readonly<Record<string, OutputFormat>> = {
  json: { clickhouse: "JSON", contentType: JSON_TYPE },
  csv: { clickhouse: "CSV", contentType: CSV_TYPE },
  csvwithnames: { clickhouse: "CSVWithNames", contentType: CSV_TYPE },
  ndjson: { clickhouse: "JSONEachRow", contentType: NDJSON_TYPE },
  parquet: { clickhouse: "Parquet", contentType: BINARY_TYPE },
  prometheus: { clickhouse: "Prometheus", contentType: "text/plain; version=0.0.4; charset=utf-8" },
};

/** Formats a `FORMAT` clause may ask the Query API for (lower-cased name → format). */
const SQL_FORMATS = new Map<string, OutputFormat>(
  (
    [
      ["JSON", JSON_TYPE],
      ["JSONCompact", JSON_TYPE],
      ["JSONStrings", JSON_TYPE],
      ["JSONCompactStrings", JSON_TYPE],
      ["JSONColumns", JSON_TYPE],
      ["JSONColumnsWithMetadata", JSON_TYPE],
      ["JSONObjectEachRow", JSON_TYPE],
      ["JSONEachRow", NDJSON_TYPE],
      ["JSONStringsEachRow", NDJSON_TYPE],
      ["JSONCompactEachRow", NDJSON_TYPE],
      ["JSONCompactEachRowWithNames", NDJSON_TYPE],
      ["JSONCompactEachRowWithNamesAndTypes", NDJSON_TYPE],
      ["NDJSON", NDJSON_TYPE],
      ["JSONLines", NDJSON_TYPE],
      ["CSV", CSV_TYPE],
      ["CSVWithNames", CSV_TYPE],
      ["CSVWithNamesAndTypes", CSV_TYPE],
      ["TSV", TSV_TYPE],
      ["TabSeparated", TSV_TYPE],
      ["TSVWithNames", TSV_TYPE],
      ["TabSeparatedWithNames", TSV_TYPE],
      ["TSVWithNamesAndTypes", TSV_TYPE],
      ["TabSeparatedWithNamesAndTypes", TSV_TYPE],
      ["TSVRaw", TSV_TYPE],
      ["TabSeparatedRaw", TSV_TYPE],
      ["TSVRawWithNames", TSV_TYPE],
      ["TabSeparatedRawWithNames", TSV_TYPE],
      ["TSVRawWithNamesAndTypes", TSV_TYPE],
      ["TabSeparatedRawWithNamesAndTypes", TSV_TYPE],
      ["JSONEachRowWithProgress", NDJSON_TYPE],
      ["JSONCompactStringsEachRow", NDJSON_TYPE],
      ["JSONCompactStringsEachRowWithNames", NDJSON_TYPE],
      ["JSONCompactStringsEachRowWithNamesAndTypes", NDJSON_TYPE],
      ["Vertical", "text/plain; charset=utf-8"],
      ["PrettyCompactMonoBlock", "text/plain; charset=utf-8"],
      ["PrettySpace", "text/plain; charset=utf-8"],
      ["Parquet", BINARY_TYPE],
      ["Arrow", BINARY_TYPE],
      ["ArrowStream", BINARY_TYPE],
      ["ORC", BINARY_TYPE],
      ["Avro", BINARY_TYPE],
      ["Native", BINARY_TYPE],
      ["RowBinary", BINARY_TYPE],
      ["RowBinaryWithNames", BINARY_TYPE],
      ["RowBinaryWithNamesAndTypes", BINARY_TYPE],
      ["Prometheus", "text/plain; version=0.0.4; charset=utf-8"],
      ["Pretty", "text/plain; charset=utf-8"],
      ["PrettyCompact", "text/plain; charset=utf-8"],
      ["Markdown", "text/markdown; charset=utf-8"],
      ["Values", "text/plain; charset=utf-8"],
      ["XML", "application/xml"],
    ] as const
  ).map(([name, contentType]) => [name.toLowerCase(), { clickhouse: name, contentType }]),
);

/** A format by name (case-insensitive), as `default_format` or `X-ClickHouse-Format` name it. */
export function sqlFormat(name: string): OutputFormat | undefined {
  return SQL_FORMATS.get(name.toLowerCase());
}

export const DEFAULT_SQL_FORMAT: OutputFormat = { clickhouse: "JSON", contentType: JSON_TYPE };

export type FormatClause =
  | { ok: true; sql: string; format: OutputFormat }
  | { ok: false; error: string };

/**
 * Finds a trailing `FORMAT <name>` (and trailing `;`), returns the SQL without
 * it and the format; no clause means JSON, as Tinybird's SDKs expect.
 */
export function splitFormatClause(sql: string): FormatClause {
  const { tokens } = tokenize(sql);
  const significant = tokens.filter(isSignificant);
  let end = significant.length;
  while (end > 0 && significant[end - 1]!.text === ";") end--;
  const last = significant[end - 1];
  const before = significant[end - 2];
  let body = end > 0 ? sql.slice(0, significant[end - 1]!.end) : sql;
  if (last && before && before.kind === "identifier" && before.text.toUpperCase() === "FORMAT" &&
      (last.kind === "identifier" || last.kind === "quoted_identifier")) {
    const name = last.value ?? last.text;
    const format = SQL_FORMATS.get(name.toLowerCase());
    if (!format) return { ok: false, error: `Format '${name}' is not supported` };
    body = sql.slice(0, before.start).trimEnd();
    return { ok: true, sql: body, format };
  }
  return { ok: true, sql: body, format: DEFAULT_SQL_FORMAT };
}
