// EXPORT_FORMAT × EXPORT_COMPRESSION: what ClickHouse writes and the files' extensions.
import { describe, expect, it } from "vitest";
import { extensionToAppend, fileEncoding } from "../../../shared/sinks/formats.js";

describe("fileEncoding", () => {
  it.each([
    ["csv", "none", "CSVWithNames", "none", {}, ".csv"],
    ["csv", "gzip", "CSVWithNames", "gzip", {}, ".csv.gz"],
    ["ndjson", "snappy", "JSONEachRow", "snappy", {}, ".ndjson.snappy"],
    ["parquet", "none", "Parquet", "none", { output_format_parquet_compression_method: "none" }, ".parquet"],
    ["parquet", "gzip", "Parquet", "none", { output_format_parquet_compression_method: "gzip" }, ".parquet"],
    ["parquet", "snappy", "Parquet", "none", { output_format_parquet_compression_method: "snappy" }, ".parquet"],
  ] as const)("%s + %s", (format, compression, clickhouseFormat, fileCompression, settings, extension) => {
    expect(fileEncoding(format, compression)).toEqual({ clickhouseFormat, fileCompression, settings, extension });
  });
});

describe("extensionToAppend", () => {
  it.each([
    ["events_{date}", "csv", "gzip", ".csv.gz"],
    ["events_{date}.csv", "csv", "gzip", ".gz"],
    ["events_{date}.CSV.gz", "csv", "gzip", ""],
    ["events_{date}.ndjson", "ndjson", "none", ""],
    ["events_{date}.json", "ndjson", "none", ".ndjson"],
    ["events", "parquet", "snappy", ".parquet"],
  ] as const)("%s as %s/%s gets %j", (template, format, compression, expected) => {
    expect(extensionToAppend(template, fileEncoding(format, compression))).toBe(expected);
  });
});
