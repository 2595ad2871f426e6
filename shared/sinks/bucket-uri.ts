/**
 * @module sinks/bucket-uri
 * `EXPORT_BUCKET_URI`: `s3://bucket/prefix/`, `gs://bucket/prefix/` (or
 * `gcs://`), and Tern's `r2://bucket/prefix/` for the Worker's own R2 bucket.
 * The prefix is kept to characters every object store and ClickHouse's `s3()`
 * URL parser read the same way (no `{}` `*` `?`, which `s3()` reads as
 * patterns, no spaces or `%`, which would need encoding), so the key Tern
 * computes is the key the store gets.
 */

export type BucketScheme = "s3" | "gcs" | "r2";

export interface BucketUri {
  scheme: BucketScheme;
  bucket: string;
  /** Empty, or ending in `/`: the object keys start with it. */
  prefix: string;
}

export type BucketUriResult = { ok: true; uri: BucketUri } | { ok: false; message: string };

const SCHEMES: Record<string, BucketScheme> = { s3: "s3", s3a: "s3", gs: "gcs", gcs: "gcs", r2: "r2" };
/**
 * The characters of S3's bucket names (GCS's and R2's allow no others here);
 * the 3-character minimum is left to the service, which says so itself.
 */
const BUCKET = /^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/;
/** Characters a key written by a sink may hold besides a template's placeholders. */
export const KEY_CHARS = /^[A-Za-z0-9._\-/=]*$/;

export function parseBucketUri(text: string): BucketUriResult {
  const m = /^([a-z0-9]+):\/\/([^/]*)(\/.*)?$/i.exec(text.trim());
  if (!m) return { ok: false, message: `EXPORT_BUCKET_URI \`${text}\` is not a bucket URI; expected s3://bucket/prefix/, gs://bucket/prefix/ or r2://bucket/prefix/` };
  const scheme = SCHEMES[m[1]!.toLowerCase()];
  if (!scheme) return { ok: false, message: `EXPORT_BUCKET_URI \`${text}\`: unknown scheme \`${m[1]}://\`; expected s3://, gs:// or r2://` };
  const bucket = m[2]!;
  if (!BUCKET.test(bucket)) {
    return { ok: false, message: `EXPORT_BUCKET_URI \`${text}\`: \`${bucket}\` is not a bucket name (up to 63 lowercase letters, digits, dots or hyphens)` };
  }
  let prefix = (m[3] ?? "").replace(/^\/+/, "");
  if (!KEY_CHARS.test(prefix) || prefix.split("/").some((part) => part === "." || part === "..")) {
    return { ok: false, message: `EXPORT_BUCKET_URI \`${text}\`: the path may hold letters, digits and . _ - / = only, and no . or .. segments` };
  }
  if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
  return { ok: true, uri: { scheme, bucket, prefix } };
}

/** Where a bucket lives over HTTP: an explicit endpoint (path-style), or the service's public one. */
export interface BucketEndpoints {
  /** Tern's `TERN_S3_ENDPOINT`, e.g. the local S3 server: `http://127.0.0.1:7183`. */
  s3?: string | undefined;
  /** Tern's `TERN_GCS_ENDPOINT` (default: Google's XML API). */
  gcs?: string | undefined;
}

const GCS_PUBLIC = "https://storage.googleapis.com";

/**
 * The HTTP(S) URL of `key` in the bucket, as ClickHouse's `s3()` takes it.
 * With an endpoint the URL is path-style (`<endpoint>/<bucket>/<key>`); AWS
 * without one is virtual-hosted in the connection's region.
 */
export function objectUrl(uri: BucketUri, key: string, endpoints: BucketEndpoints, region: string | undefined): string {
  // Keys hold KEY_CHARS only (and `{_partition_id}`, which s3() fills in): nothing to encode.
  const path = key;
  if (uri.scheme === "gcs") return `${(endpoints.gcs ?? GCS_PUBLIC).replace(/\/+$/, "")}/${uri.bucket}/${path}`;
  if (endpoints.s3) return `${endpoints.s3.replace(/\/+$/, "")}/${uri.bucket}/${path}`;
  const host = region && region !== "us-east-1" ? `s3.${region}.amazonaws.com` : "s3.amazonaws.com";
  return `https://${uri.bucket}.${host}/${path}`;
}
