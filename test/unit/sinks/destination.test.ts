// A sink's connection (as deployed: tb_secret references kept) and bucket URI →
// where it writes and with which credentials, secrets resolved at run time.
import { describe, expect, it } from "vitest";
import { sinkDestination } from "../../../shared/sinks/destination.js";
import { parseBucketUri, type BucketUri } from "../../../shared/sinks/bucket-uri.js";
import { connection, lines } from "../datafiles/helpers.js";

function uri(text: string): BucketUri {
  const r = parseBucketUri(text);
  if (!r.ok) throw new Error(r.message);
  return r.uri;
}

const S3_KEYS = lines("TYPE s3", 'S3_REGION {{ tb_secret("REGION", "eu-west-1") }}', 'S3_ACCESS_KEY {{ tb_secret("KEY") }}', 'S3_SECRET {{ tb_secret("SECRET") }}');

describe("sinkDestination", () => {
  it("an s3 connection with keys: secrets from the run's secrets, defaults where unset", () => {
    expect(sinkDestination(connection(S3_KEYS), uri("s3://bkt/x/"), { KEY: "AKIA1", SECRET: "s3cr3t" })).toEqual({
      ok: true, destination: { service: "s3", region: "eu-west-1", credentials: { accessKeyId: "AKIA1", secretAccessKey: "s3cr3t" } },
    });
  });

  it("names the secrets that have no value and no default, never a value", () => {
    expect(sinkDestination(connection(S3_KEYS), uri("s3://bkt/x/"), { KEY: "AKIA1" })).toEqual({
      ok: false, message: 'connection \'c\' uses secret "SECRET" with no value and no default', missingSecrets: ["SECRET"],
    });
  });

  it("a gcs connection with HMAC keys writes gs:// buckets", () => {
    const gcs = connection(lines("TYPE gcs", "GCS_HMAC_ACCESS_ID GOOG1", 'GCS_HMAC_SECRET {{ tb_secret("HMAC") }}'));
    expect(sinkDestination(gcs, uri("gs://bkt/"), { HMAC: "h" })).toEqual({
      ok: true, destination: { service: "gcs", credentials: { accessKeyId: "GOOG1", secretAccessKey: "h" } },
    });
  });

  it("an r2 connection needs no credentials", () => {
    expect(sinkDestination(connection("TYPE r2"), uri("r2://tern-sinks/x/"), {})).toEqual({ ok: true, destination: { service: "r2" } });
  });

  it.each([
    [lines("TYPE s3", "S3_REGION us-east-1", "S3_ARN arn:aws:iam::1:role/r"), "s3://bkt/", "S3_ARN (an IAM role), which Tern's sinks cannot assume yet; give it S3_ACCESS_KEY and S3_SECRET"],
    [lines("TYPE gcs", "GCS_SERVICE_ACCOUNT_CREDENTIALS_JSON {}"), "gs://bkt/", "GCS sinks write through GCS's S3-compatible API, which takes GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET"],
    [lines("TYPE kafka", "KAFKA_BOOTSTRAP_SERVERS b:9092"), "s3://bkt/", "connection 'c' is a kafka connection; a bucket sink needs an s3, gcs or r2 connection"],
    [S3_KEYS, "gs://bkt/", "connection 'c' is an s3 connection, so EXPORT_BUCKET_URI must start with s3://"],
    ["TYPE r2", "s3://bkt/", "connection 'c' is an r2 connection, so EXPORT_BUCKET_URI must start with r2://"],
  ])("refuses what it cannot write with: %#", (text, bucket, message) => {
    const r = sinkDestination(connection(text), uri(bucket), { KEY: "k", SECRET: "s" });
    expect(r.ok ? "" : r.message).toContain(message);
  });
});
