/**
 * @module sinks/destination
 * Where a bucket sink writes and with which credentials, from its
 * `.connection` file and bucket URI, with `tb_secret(...)` resolved at run
 * time. Deployments keep connection files as written (a `tb_secret` stays a
 * reference), so a secret's value lives only in the Worker's secrets and in
 * the one request that needs it.
 *
 * | connection | bucket URI | written by | credentials |
 * |---|---|---|---|
 * | `TYPE s3` | `s3://` | ClickHouse, `s3()` | `S3_ACCESS_KEY`, `S3_SECRET`; `S3_REGION` |
 * | `TYPE gcs` | `gs://` | ClickHouse, `s3()` on GCS's S3-compatible XML API | `GCS_HMAC_ACCESS_ID`, `GCS_HMAC_SECRET` |
 * | `TYPE r2` (Tern's) | `r2://` | the Worker, into its `SINKS` R2 binding | none: the binding |
 */
import type { ConnectionFile } from "../datafiles/ast.js";
import { secretResolver } from "../datafiles/values.js";
import type { BucketUri } from "./bucket-uri.js";

export interface BucketCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SinkDestination =
  | { service: "s3"; region: string | undefined; credentials: BucketCredentials }
  | { service: "gcs"; credentials: BucketCredentials }
  | { service: "r2" };

export type DestinationResult =
  | { ok: true; destination: SinkDestination }
  /** `missingSecrets`: names of `tb_secret`s with neither a value nor a default. */
  | { ok: false; message: string; missingSecrets?: string[] };

const SCHEME_OF = { s3: "s3://", gcs: "gs://", r2: "r2://" } as const;
/** As the names are read aloud: "an s3", "an r2", "a gcs", "a kafka". */
const article = (type: string) => (type === "s3" || type === "r2" ? "an" : "a");

export function sinkDestination(connection: ConnectionFile, uri: BucketUri, secrets: Readonly<Record<string, string | undefined>>): DestinationResult {
  const type = connection.connection.type as string;
  const name = connection.name;
  if (type !== "s3" && type !== "gcs" && type !== "r2") {
    return { ok: false, message: `connection '${name}' is ${article(type)} ${type} connection; a bucket sink needs an s3, gcs or r2 connection` };
  }
  if (uri.scheme !== type) {
    return { ok: false, message: `connection '${name}' is ${article(type)} ${type} connection, so EXPORT_BUCKET_URI must start with ${SCHEME_OF[type]}` };
  }
  if (type === "r2") return { ok: true, destination: { service: "r2" } };

  const { resolve, missing } = secretResolver(secrets);
  const missingSecrets = () => ({
    ok: false as const,
    message: `connection '${name}' uses secret${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} with no value and no default`,
    missingSecrets: [...new Set(missing)],
  });

  const c = connection.connection;
  if (c.type === "s3") {
    if (c.accessKey === undefined || c.secret === undefined) {
      return {
        ok: false,
        message: `connection '${name}' authenticates with S3_ARN (an IAM role), which Tern's sinks cannot assume yet; give it S3_ACCESS_KEY and S3_SECRET`,
      };
    }
    const accessKeyId = resolve(c.accessKey);
    const secretAccessKey = resolve(c.secret);
    const region = resolve(c.region);
    if (missing.length > 0) return missingSecrets();
    return { ok: true, destination: { service: "s3", region: region || undefined, credentials: { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! } } };
  }
  if (c.type === "gcs") {
    if (c.hmacAccessId === undefined || c.hmacSecret === undefined) {
      return {
        ok: false,
        message: `connection '${name}' has no HMAC key: GCS sinks write through GCS's S3-compatible API, which takes GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET`,
      };
    }
    const accessKeyId = resolve(c.hmacAccessId);
    const secretAccessKey = resolve(c.hmacSecret);
    if (missing.length > 0) return missingSecrets();
    return { ok: true, destination: { service: "gcs", credentials: { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! } } };
  }
  return { ok: false, message: `connection '${name}' cannot be written to` };
}
