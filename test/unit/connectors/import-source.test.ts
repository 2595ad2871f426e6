/** IMPORT_BUCKET_URI, connection → credentials and the run's spec, IMPORT_SCHEDULE, scrubbing (shared/connectors/import-source.ts). */
import { describe, expect, it } from "vitest";
import {
  bucketAdvice, bucketRoot, importCredentials, importSchedule, importSpec, parseImportUri, scrubSecrets,
} from "../../../shared/connectors/import-source.js";
import { parseDatafile } from "../../../shared/datafiles/parse.js";
import type { ConnectionFile, DatasourceFile } from "../../../shared/datafiles/ast.js";

function connection(text: string, name = "c"): ConnectionFile {
  const r = parseDatafile({ path: `${name}.connection`, text });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.file as ConnectionFile;
}
const S3 = connection('TYPE s3\nS3_REGION eu-west-1\nS3_ACCESS_KEY {{ tb_secret("K") }}\nS3_SECRET {{ tb_secret("S", "dflt") }}\n');
const GCS = connection('TYPE gcs\nGCS_HMAC_ACCESS_ID {{ tb_secret("K") }}\nGCS_HMAC_SECRET {{ tb_secret("S") }}\n');

describe("parseImportUri", () => {
  it.each([
    ["s3://b-1/logs/*.ndjson", { scheme: "s3", bucket: "b-1", pattern: "logs/*.ndjson", format: "ndjson" }],
    ["gs://b/x/**/*.csv.gz", { scheme: "gcs", bucket: "b", pattern: "x/**/*.csv.gz", format: "csv" }],
    ["s3://b/day={1,2}/part-?.parquet", { scheme: "s3", bucket: "b", pattern: "day={1,2}/part-?.parquet", format: "parquet" }],
    ["s3://b/a.jsonl", { scheme: "s3", bucket: "b", pattern: "a.jsonl", format: "ndjson" }],
  ])("%s", (text, uri) => {
    expect(parseImportUri(text)).toEqual({ ok: true, uri });
  });

  it.each([
    ["s3://b/x/*", "IMPORT_BUCKET_URI `s3://b/x/*`: the file format is read from the extension; end the path with .csv, .ndjson, .jsonl or .parquet (optionally .gz)"],
    ["ftp://b/x.csv", "IMPORT_BUCKET_URI `ftp://b/x.csv`: unknown scheme `ftp://`; expected s3:// or gs://"],
    ["s3://B/x.csv", "IMPORT_BUCKET_URI `s3://B/x.csv`: `B` is not a bucket name (up to 63 lowercase letters, digits, dots or hyphens)"],
    ["s3://b/it's.csv", "IMPORT_BUCKET_URI `s3://b/it's.csv`: the path must name files (e.g. prefix/*.ndjson) with letters, digits, . _ - / = and the globs * ? {a,b} only"],
    ["s3://b/../x.csv", "IMPORT_BUCKET_URI `s3://b/../x.csv`: the path must name files (e.g. prefix/*.ndjson) with letters, digits, . _ - / = and the globs * ? {a,b} only"],
    ["bucket/x.csv", "IMPORT_BUCKET_URI `bucket/x.csv` is not a bucket URI; expected s3://bucket/prefix/*.ndjson or gs://bucket/prefix/*.csv"],
  ])("refuses %s", (text, message) => {
    expect(parseImportUri(text)).toEqual({ ok: false, message });
  });
});

describe("importCredentials", () => {
  it("resolves tb_secret values and defaults", () => {
    expect(importCredentials(S3, "s3", { K: "AK" })).toEqual({ ok: true, accessKey: "AK", secret: "dflt", region: "eu-west-1" });
  });
  it("names the secrets with neither a value nor a default", () => {
    expect(importCredentials(GCS, "gcs", {})).toEqual({ ok: false, message: 'connection \'c\' uses secrets "K", "S" with no value and no default', missingSecrets: ["K", "S"] });
  });
  it("refuses a role-only s3 connection and a gcs connection without HMAC keys", () => {
    expect(importCredentials(connection("TYPE s3\nS3_REGION us-east-1\nS3_ARN arn:aws:iam::1:role/r\n", "r"), "s3", {})).toEqual({
      ok: false, message: "connection 'r' authenticates with S3_ARN (an IAM role), which Tern's imports cannot assume; give it S3_ACCESS_KEY and S3_SECRET",
    });
    expect(importCredentials(connection('TYPE gcs\nGCS_SERVICE_ACCOUNT_CREDENTIALS_JSON {{ tb_secret("J") }}\n', "g"), "gcs", {})).toEqual({
      ok: false, message: "connection 'g' has no HMAC key: Tern reads GCS through its S3-compatible API, which takes GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET",
    });
  });
});

describe("importSpec", () => {
  const ds = parseDatafile({
    path: "events.datasource",
    text: "SCHEMA >\n    `id` UInt64,\n    `v` Nullable(String)\n\nIMPORT_CONNECTION_NAME c\nIMPORT_BUCKET_URI s3://bkt/in/*.csv\nIMPORT_SCHEDULE @auto\nIMPORT_FROM_TIMESTAMP 2026-01-01T00:00:00Z\n",
  });
  it("path-style URLs under the endpoint, columns, format, IMPORT_FROM_TIMESTAMP", () => {
    if (!ds.ok) throw new Error(JSON.stringify(ds.errors));
    const r = importSpec({ datasource: ds.file as DatasourceFile, connection: S3, database: "db", table: "events__x_1", filesTable: "events__import_files", secrets: { K: "AK" }, endpoints: { s3: "http://127.0.0.1:7183/" } });
    expect(r).toEqual({
      ok: true,
      uri: { scheme: "s3", bucket: "bkt", pattern: "in/*.csv", format: "csv" },
      spec: {
        database: "db", table: "events__x_1", filesTable: "events__import_files",
        columns: [{ name: "id", type: "UInt64", nullable: false }, { name: "v", type: "Nullable(String)", nullable: true }],
        url: "http://127.0.0.1:7183/bkt/in/*.csv", base: "http://127.0.0.1:7183", accessKey: "AK", secret: "dflt", format: "csv",
        fromTimestamp: "2026-01-01T00:00:00Z",
      },
    });
  });
  it("without an endpoint: AWS in the connection's region, path-style; GCS's XML API", () => {
    expect(bucketRoot("s3", {}, "eu-west-1")).toBe("https://s3.eu-west-1.amazonaws.com");
    expect(bucketRoot("s3", {}, "us-east-1")).toBe("https://s3.amazonaws.com");
    expect(bucketRoot("gcs", {}, undefined)).toBe("https://storage.googleapis.com");
  });
});

describe("importSchedule", () => {
  it.each([
    ["@auto", { kind: "auto" }], ["@once", { kind: "once" }], ["@on-demand", { kind: "on-demand" }], [undefined, { kind: "on-demand" }],
    ["*/5 * * * *", { kind: "cron", cron: "*/5 * * * *" }],
  ])("%s", (value, schedule) => {
    expect(importSchedule(value)).toEqual(schedule);
  });
});

it("scrubSecrets replaces every occurrence of every secret", () => {
  expect(scrubSecrets("s3('u', 'AK', 'SEC') AK SEC", ["AK", "SEC", ""])).toBe("s3('u', '[hidden]', '[hidden]') [hidden] [hidden]");
});

describe("bucketAdvice: what the bucket's answer (through ClickHouse) means", () => {
  const ctx = { bucket: "b", connection: "c", service: "s3" as const };
  it.each([
    ["Code: 499. DB::Exception: The AWS Access Key Id you provided does not exist in our records. (S3_ERROR)", "bucket 'b' does not know the access key of connection 'c' (S3_ACCESS_KEY and S3_SECRET): check the key, or the secret it comes from"],
    ["Code: 499. DB::Exception: The request signature we calculated does not match the signature you provided. SignatureDoesNotMatch (S3_ERROR)", "bucket 'b' refused the credentials of connection 'c' (S3_ACCESS_KEY and S3_SECRET): check the key and the secret, and that the key may list and read the bucket"],
    ["Code: 499. DB::Exception: The specified bucket does not exist. NoSuchBucket (S3_ERROR)", "bucket 'b' does not exist (or is not on the endpoint the URI reaches): create it, or correct IMPORT_BUCKET_URI"],
    ["Code: 1000. DB::Exception: Poco::Exception. Code: 1000, e.code() = 111, Connection refused (POCO_EXCEPTION)", "the bucket's host could not be reached from ClickHouse; check IMPORT_BUCKET_URI and, off AWS, TERN_S3_ENDPOINT / TERN_GCS_ENDPOINT"],
    ["Code: 36. DB::Exception: something else (BAD_ARGUMENTS)", undefined],
  ])("%s", (raw, advice) => {
    expect(bucketAdvice(raw, ctx)).toBe(advice);
  });
  it("names GCS's HMAC keys for a gcs connection", () => {
    expect(bucketAdvice("InvalidAccessKeyId", { ...ctx, service: "gcs" })).toContain("(GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET)");
  });
});
