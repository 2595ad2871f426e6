// EXPORT_BUCKET_URI and the URL ClickHouse's s3() is given for a key.
import { describe, expect, it } from "vitest";
import { objectUrl, parseBucketUri, type BucketUri } from "../../../shared/sinks/bucket-uri.js";

function uri(text: string): BucketUri {
  const r = parseBucketUri(text);
  if (!r.ok) throw new Error(r.message);
  return r.uri;
}

describe("parseBucketUri", () => {
  it.each([
    ["s3://my-bucket/exports/", { scheme: "s3", bucket: "my-bucket", prefix: "exports/" }],
    ["s3://my-bucket/exports", { scheme: "s3", bucket: "my-bucket", prefix: "exports/" }],
    ["s3://my-bucket", { scheme: "s3", bucket: "my-bucket", prefix: "" }],
    ["s3://my-bucket/", { scheme: "s3", bucket: "my-bucket", prefix: "" }],
    ["gs://gcs.bucket/a/b=c/", { scheme: "gcs", bucket: "gcs.bucket", prefix: "a/b=c/" }],
    ["gcs://gcs-bucket/a", { scheme: "gcs", bucket: "gcs-bucket", prefix: "a/" }],
    ["R2://tern-sinks/x/", { scheme: "r2", bucket: "tern-sinks", prefix: "x/" }],
  ])("reads %s", (text, expected) => {
    expect(uri(text)).toEqual(expected);
  });

  it.each([
    ["my-bucket/exports", "is not a bucket URI"],
    ["ftp://my-bucket/x", "unknown scheme"],
    ["s3://My_Bucket/x", "is not a bucket name"],
    ["s3://-ab/x", "is not a bucket name"],
    ["s3://bucket/a b/", "letters, digits and . _ - / = only"],
    ["s3://bucket/{date}/", "letters, digits and . _ - / = only"],
    ["s3://bucket/a/../b", "no . or .. segments"],
  ])("refuses %s", (text, message) => {
    const r = parseBucketUri(text);
    expect(r.ok ? "" : r.message).toContain(message);
  });
});

describe("objectUrl", () => {
  it("an S3 endpoint is path-style", () => {
    expect(objectUrl(uri("s3://b1b/p/"), "p/x.csv", { s3: "http://127.0.0.1:9000/" }, "us-east-1")).toBe("http://127.0.0.1:9000/b1b/p/x.csv");
  });
  it("AWS without an endpoint is virtual-hosted in the region", () => {
    expect(objectUrl(uri("s3://b1b/p/"), "p/x.csv", {}, "eu-west-1")).toBe("https://b1b.s3.eu-west-1.amazonaws.com/p/x.csv");
    expect(objectUrl(uri("s3://b1b/"), "x.csv", {}, "us-east-1")).toBe("https://b1b.s3.amazonaws.com/x.csv");
  });
  it("GCS goes to its XML API, or to TERN_GCS_ENDPOINT", () => {
    expect(objectUrl(uri("gs://b1b/"), "{_partition_id}.csv", {}, undefined)).toBe("https://storage.googleapis.com/b1b/{_partition_id}.csv");
    expect(objectUrl(uri("gs://b1b/"), "x.csv", { gcs: "http://127.0.0.1:1" }, undefined)).toBe("http://127.0.0.1:1/b1b/x.csv");
  });
});
