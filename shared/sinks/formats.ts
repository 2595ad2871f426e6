/**
 * @module sinks/formats
 * `EXPORT_FORMAT` and `EXPORT_COMPRESSION` as ClickHouse writes them: the
 * output format, the file extension, and how the bytes are compressed.
 *
 * CSV and NDJSON files are compressed whole (`.csv.gz`); Parquet compresses
 * inside the file (its column chunks, `output_format_parquet_compression_method`),
 * so a Parquet sink's files stay `.parquet` and any Parquet reader opens them.
 */

export type SinkFormat = "csv" | "ndjson" | "parquet";
export type SinkCompression = "none" | "gzip" | "snappy";

export interface FileEncoding {
  /** ClickHouse output format: CSV with a header row, one JSON object per line, Parquet. */
  clickhouseFormat: "CSVWithNames" | "JSONEachRow" | "Parquet";
  /** Compression of the whole file, as `s3()`'s compression argument. */
  fileCompression: "none" | "gzip" | "snappy";
  /** ClickHouse settings the format needs. */
  settings: Record<string, string>;
  /** Appended to each file name unless the template already ends with it: `.csv.gz`. */
  extension: string;
}

const FORMATS: Record<SinkFormat, { clickhouseFormat: FileEncoding["clickhouseFormat"]; extension: string }> = {
  csv: { clickhouseFormat: "CSVWithNames", extension: ".csv" },
  ndjson: { clickhouseFormat: "JSONEachRow", extension: ".ndjson" },
  parquet: { clickhouseFormat: "Parquet", extension: ".parquet" },
};

const WHOLE_FILE_EXTENSION: Record<SinkCompression, string> = { none: "", gzip: ".gz", snappy: ".snappy" };

export function fileEncoding(format: SinkFormat, compression: SinkCompression): FileEncoding {
  const { clickhouseFormat, extension } = FORMATS[format];
  if (format === "parquet") {
    return {
      clickhouseFormat,
      fileCompression: "none",
      settings: { output_format_parquet_compression_method: compression === "none" ? "none" : compression },
      extension,
    };
  }
  return { clickhouseFormat, fileCompression: compression, settings: {}, extension: extension + WHOLE_FILE_EXTENSION[compression] };
}

/**
 * What to append to the names a template makes: the encoding's extension,
 * less what the template already ends with (`daily_{date}.csv` with gzip gets
 * `.gz`; `events_{date}` gets `.csv.gz`).
 */
export function extensionToAppend(template: string, encoding: FileEncoding): string {
  const lower = template.toLowerCase();
  const ext = encoding.extension;
  if (lower.endsWith(ext)) return "";
  const formatPart = ext.replace(/\.(gz|snappy)$/, "");
  if (formatPart !== ext && lower.endsWith(formatPart)) return ext.slice(formatPart.length);
  return ext;
}
