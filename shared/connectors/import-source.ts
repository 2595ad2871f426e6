/**
 * @module
 * What an S3/GCS import datasource reads and with which credentials, decided
 * without I/O: `IMPORT_BUCKET_URI` (globs allowed in the key) → bucket, key
 * pattern and file format (by the files' extension, as Tinybird reads it);
 * the `.connection` (`TYPE s3|gcs`) with `tb_secret` resolved → key pair;
 * `TERN_S3_ENDPOINT` / `TERN_GCS_ENDPOINT` → the HTTP URLs ClickHouse's `s3()`
 * reads (path-style, so a listed `_path` = `bucket/key` is fetched at
 * `<base>/<_path>`). The run itself is `s3-import.ts`.
 *
 * Deployments keep connection files as written (a `tb_secret` stays a
 * reference); values are resolved only where a run or a check needs them, and
 * `scrubSecrets` takes them out of anything that leaves it.
 */
import type { ConnectionFile, DatasourceFile } from "../datafiles/ast.js";
import { resolveSecrets } from "../datafiles/values.js";
import type { ImportFormat, S3ImportSpec } from "./s3-import.js";

export interface ImportUri {
  scheme: "s3" | "gcs";
  bucket: string;
  /** The key pattern inside the bucket (`prefix/*.ndjson`); may hold `*`, `**`, `?`, `{a,b}`. */
  pattern: string;
  format: ImportFormat;
}

export type ImportUriResult = { ok: true; uri: ImportUri } | { ok: false; message: string };

const SCHEMES: Record<string, "s3" | "gcs"> = { s3: "s3", s3a: "s3", gs: "gcs", gcs: "gcs" };
const BUCKET = /^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/;
/** The extensions Tinybird's connectors read, each with its format (`.gz` on top is decompressed by ClickHouse). */
const EXTENSIONS: Array<[RegExp, ImportFormat]> = [
  [/\.csv(\.gz)?$/i, "csv"],
  [/\.(ndjson|jsonl)(\.gz)?$/i, "ndjson"],
  [/\.parquet(\.gz)?$/i, "parquet"],
];

export function parseImportUri(text: string): ImportUriResult {
  const m = /^([a-z0-9]+):\/\/([^/]*)(\/.*)?$/i.exec(text.trim());
  if (!m) return { ok: false, message: `IMPORT_BUCKET_URI \`${text}\` is not a bucket URI; expected s3://bucket/prefix/*.ndjson or gs://bucket/prefix/*.csv` };
  const scheme = SCHEMES[m[1]!.toLowerCase()];
  if (!scheme) return { ok: false, message: `IMPORT_BUCKET_URI \`${text}\`: unknown scheme \`${m[1]}://\`; expected s3:// or gs://` };
  const bucket = m[2]!;
  if (!BUCKET.test(bucket)) return { ok: false, message: `IMPORT_BUCKET_URI \`${text}\`: \`${bucket}\` is not a bucket name (up to 63 lowercase letters, digits, dots or hyphens)` };
  const pattern = (m[3] ?? "").replace(/^\/+/, "");
  // A pattern is spliced into a URL and into a SQL string: keep it to what both read the same way.
  if (pattern === "" || !/^[A-Za-z0-9._\-/=*?{},]+$/.test(pattern) || pattern.split("/").some((p) => p === "." || p === "..")) {
    return { ok: false, message: `IMPORT_BUCKET_URI \`${text}\`: the path must name files (e.g. prefix/*.ndjson) with letters, digits, . _ - / = and the globs * ? {a,b} only` };
  }
  const format = EXTENSIONS.find(([re]) => re.test(pattern))?.[1];
  if (!format) {
    return { ok: false, message: `IMPORT_BUCKET_URI \`${text}\`: the file format is read from the extension; end the path with .csv, .ndjson, .jsonl or .parquet (optionally .gz)` };
  }
  return { ok: true, uri: { scheme, bucket, pattern, format } };
}

/** Where buckets are reached over HTTP (Tern's `TERN_S3_ENDPOINT`, `TERN_GCS_ENDPOINT`). */
export interface ImportEndpoints {
  s3?: string | undefined;
  gcs?: string | undefined;
}

export type ImportConnectionResult =
  | { ok: true; accessKey: string; secret: string; region: string | undefined }
  /** `missingSecrets`: `tb_secret`s with neither a value nor a default. */
  | { ok: false; message: string; missingSecrets?: string[] };

/**
 * What makes `connection` unusable for an import from `uri`, without secrets
 * (the deploy's check): its type, and a key pair to read with. `undefined` = fine.
 */
export function importConnectionProblem(connection: ConnectionFile, scheme: "s3" | "gcs"): string | undefined {
  const c = connection.connection;
  const name = connection.name;
  if (c.type !== "s3" && c.type !== "gcs") return `connection '${name}' is a ${c.type} connection; an import datasource needs an s3 or gcs connection`;
  if (c.type !== scheme) return `connection '${name}' is a${c.type === "s3" ? "n s3" : " gcs"} connection, so IMPORT_BUCKET_URI must start with ${c.type === "s3" ? "s3://" : "gs://"}`;
  if (c.type === "s3" && (c.accessKey === undefined || c.secret === undefined)) {
    return `connection '${name}' authenticates with S3_ARN (an IAM role), which Tern's imports cannot assume; give it S3_ACCESS_KEY and S3_SECRET`;
  }
  if (c.type === "gcs" && (c.hmacAccessId === undefined || c.hmacSecret === undefined)) {
    return `connection '${name}' has no HMAC key: Tern reads GCS through its S3-compatible API, which takes GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET`;
  }
  return undefined;
}

/** The connection's key pair with `tb_secret` resolved from `secrets`. */
export function importCredentials(connection: ConnectionFile, scheme: "s3" | "gcs", secrets: Readonly<Record<string, string | undefined>>): ImportConnectionResult {
  const problem = importConnectionProblem(connection, scheme);
  if (problem) return { ok: false, message: problem };
  const c = connection.connection;
  const [key, secret, region] = c.type === "s3" ? [c.accessKey!, c.secret!, c.region] : c.type === "gcs" ? [c.hmacAccessId!, c.hmacSecret!, undefined] : ["", "", undefined];
  const missing: string[] = [];
  const resolve = (v: string) => {
    const out = resolveSecrets(v, secrets);
    missing.push(...out.missing);
    return out.value;
  };
  const out = { accessKey: resolve(key), secret: resolve(secret), region: region === undefined ? undefined : resolve(region) || undefined };
  if (missing.length > 0) {
    const names = [...new Set(missing)];
    return { ok: false, message: `connection '${connection.name}' uses secret${names.length > 1 ? "s" : ""} ${names.map((m) => `"${m}"`).join(", ")} with no value and no default`, missingSecrets: names };
  }
  return { ok: true, ...out };
}

/** The HTTP root a bucket of `scheme` is read under, path-style (`<root>/<bucket>/<key>`). */
export function bucketRoot(scheme: "s3" | "gcs", endpoints: ImportEndpoints, region: string | undefined): string {
  if (scheme === "gcs") return (endpoints.gcs ?? "https://storage.googleapis.com").replace(/\/+$/, "");
  if (endpoints.s3) return endpoints.s3.replace(/\/+$/, "");
  return region && region !== "us-east-1" ? `https://s3.${region}.amazonaws.com` : "https://s3.amazonaws.com";
}

export type ImportSpecResult = { ok: true; spec: S3ImportSpec; uri: ImportUri } | { ok: false; message: string; missingSecrets?: string[] };

/**
 * The run's spec for a deployed import datasource: `table` is its physical
 * table in `database`; `filesTable` the record of files seen (kept per
 * datasource name, so a redeploy that changes the table keeps it).
 */
export function importSpec(input: {
  datasource: DatasourceFile;
  connection: ConnectionFile;
  database: string;
  table: string;
  filesTable: string;
  /** The datasource's quarantine table: NDJSON lines that do not fit go there (s3-import.ts). */
  quarantineTable?: string;
  /** `c__import_id` of quarantined rows. */
  importId?: string;
  secrets: Readonly<Record<string, string | undefined>>;
  endpoints: ImportEndpoints;
}): ImportSpecResult {
  const settings = input.datasource.import;
  if (!settings?.bucketUri) return { ok: false, message: `datasource '${input.datasource.name}' has no IMPORT_BUCKET_URI` };
  const parsed = parseImportUri(settings.bucketUri);
  if (!parsed.ok) return parsed;
  const creds = importCredentials(input.connection, parsed.uri.scheme, input.secrets);
  if (!creds.ok) return creds;
  const root = bucketRoot(parsed.uri.scheme, input.endpoints, creds.region);
  return {
    ok: true,
    uri: parsed.uri,
    spec: {
      database: input.database,
      table: input.table,
      filesTable: input.filesTable,
      columns: input.datasource.columns.map((c) => ({
        name: c.name, type: c.type, nullable: c.nullable, ...(c.jsonPath ? { jsonPath: c.jsonPath } : {}), ...(c.default !== undefined ? { default: c.default } : {}),
      })),
      url: `${root}/${parsed.uri.bucket}/${parsed.uri.pattern}`,
      base: root,
      accessKey: creds.accessKey,
      secret: creds.secret,
      format: parsed.uri.format,
      ...(settings.fromTimestamp ? { fromTimestamp: settings.fromTimestamp } : {}),
      ...(input.quarantineTable ? { quarantineTable: input.quarantineTable } : {}),
      ...(input.importId ? { importId: input.importId } : {}),
    },
  };
}

/** How an import datasource is scheduled (`IMPORT_SCHEDULE`; none written = `@on-demand`). */
export type ImportSchedule = { kind: "auto" } | { kind: "once" } | { kind: "on-demand" } | { kind: "cron"; cron: string };

export function importSchedule(value: string | undefined): ImportSchedule {
  if (value === undefined || value === "@on-demand") return { kind: "on-demand" };
  if (value === "@auto") return { kind: "auto" };
  if (value === "@once") return { kind: "once" };
  return { kind: "cron", cron: value };
}

/** `text` with every secret value replaced (credentials never leave a run or a check). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join("[hidden]");
  return out;
}

/**
 * The record of files seen by a datasource's imports: named by the datasource,
 * not its physical table, so a deployment that changes the table (whose rows
 * are carried over from live) does not load the same files again. `__` keeps
 * it apart from the datasources' tables (`<name>__<identity>_<tag>`).
 */
export function importFilesTableFor(datasource: string): string {
  return `${datasource}__import_files`;
}

/** What the bucket's answer means for the user, when it is one of the known refusals. */
export function bucketAdvice(raw: string, ctx: { bucket: string; connection: string; service: "s3" | "gcs" }): string | undefined {
  const keys = ctx.service === "gcs" ? "GCS_HMAC_ACCESS_ID and GCS_HMAC_SECRET" : "S3_ACCESS_KEY and S3_SECRET";
  if (/InvalidAccessKeyId|access key id you provided does not exist/i.test(raw)) {
    return `bucket '${ctx.bucket}' does not know the access key of connection '${ctx.connection}' (${keys}): check the key, or the secret it comes from`;
  }
  if (/SignatureDoesNotMatch|HTTP response code: 403|ACCESS_DENIED|Access ?Denied/i.test(raw)) {
    return `bucket '${ctx.bucket}' refused the credentials of connection '${ctx.connection}' (${keys}): check the key and the secret, and that the key may list and read the bucket`;
  }
  if (/NoSuchBucket|bucket does not exist|specified bucket/i.test(raw)) {
    return `bucket '${ctx.bucket}' does not exist (or is not on the endpoint the URI reaches): create it, or correct IMPORT_BUCKET_URI`;
  }
  if (/Connection refused|Couldn't resolve host|Host not found|Timeout|timed out|Poco::Exception|NETWORK_ERROR/i.test(raw)) {
    return `the bucket's host could not be reached from ClickHouse; check IMPORT_BUCKET_URI and, off AWS, TERN_S3_ENDPOINT / TERN_GCS_ENDPOINT`;
  }
  return undefined;
}
