/**
 * @module s3-local/server
 * The local S3-compatible server, in this process: the npm package
 * `@20minutes/s3rver` (a maintained fork of `s3rver` that verifies AWS
 * signature v4, including the chunked uploads ClickHouse's `s3()` sends),
 * storing objects under `dataDir`, behind a thin HTTP front that makes it
 * behave as a private bucket does:
 *
 * - requests must be signed with the one key pair given here (s3rver's own
 *   built-in `S3RVER` key is revoked); a wrong secret is refused by s3rver's
 *   signature check (`SignatureDoesNotMatch`), an unsigned request by the
 *   front (`AccessDenied`), where s3rver would let it in;
 * - buckets listed in `readOnlyBuckets` refuse every write (`AccessDenied`),
 *   as a bucket whose policy denies `s3:PutObject` does, so the sinks' "bucket
 *   that refuses writes" runs against a real refusal;
 * - `AbortMultipartUpload` (`DELETE /<bucket>/<key>?uploadId=…`), which s3rver
 *   lacks (405): ClickHouse sends it when an `INSERT INTO FUNCTION s3()` fails
 *   or is killed; the front removes the upload's parts (s3rver keeps them in
 *   `<bucket>/._S3rver_uploads/<id>/`), so an aborted upload leaves nothing.
 *
 * URLs are path-style only: `http://host:port/<bucket>/<key>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import S3rver from "@20minutes/s3rver";
import Account from "@20minutes/s3rver/lib/models/account.js";
import { z } from "zod";

/** S3's rules, which ClickHouse checks too: 3-63 lowercase letters, digits, dots and hyphens. */
const BucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "a bucket name is 3-63 lowercase letters, digits, dots or hyphens");

const Options = z.object({
  dataDir: z.string().min(1),
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().default("127.0.0.1"),
  accessKey: z.string().regex(/^[A-Za-z0-9_-]{3,128}$/, "an access key is 3-128 letters, digits, '_' or '-'"),
  secretKey: z.string().min(8, "a secret key has at least 8 characters"),
  /** Created at start if missing (existing ones keep their objects). */
  buckets: z.array(BucketName).default([]),
  /** Buckets that exist but refuse every write. */
  readOnlyBuckets: z.array(BucketName).default([]),
  log: z.custom<(line: string) => void>((v) => typeof v === "function").optional(),
});
export type S3LocalOptions = z.input<typeof Options>;

export interface RunningS3 {
  /** `http://host:port`, the endpoint to put buckets under. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** s3rver's key, known to anyone who read its README: never valid here. */
const BUILT_IN_KEY = "S3RVER";

function refusal(res: ServerResponse, code: string, message: string, resource: string): void {
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<Resource>${resource.replace(/[<>&]/g, "")}</Resource><RequestId>s3-local</RequestId></Error>`;
  res.writeHead(403, { "content-type": "application/xml", "content-length": Buffer.byteLength(xml) });
  res.end(xml);
}

/** Signed with a header (`Authorization: AWS4-HMAC-SHA256 …`) or a presigned query. */
function isSigned(req: IncomingMessage, url: URL): boolean {
  return req.headers.authorization !== undefined || url.searchParams.has("X-Amz-Algorithm") || url.searchParams.has("Signature");
}

const WRITES = new Set(["PUT", "POST", "DELETE"]);

/** Removes an upload's parts; false when there is no such upload. */
async function abortUpload(dataDir: string, bucket: string, uploadId: string): Promise<boolean> {
  if (!/^[A-Za-z0-9]+$/.test(uploadId) || !/^[a-z0-9][a-z0-9.-]*$/.test(bucket)) return false;
  const dir = join(dataDir, bucket, "._S3rver_uploads", uploadId);
  const exists = await stat(dir).then(() => true, () => false);
  if (exists) await rm(dir, { recursive: true, force: true });
  return exists;
}

export async function startLocalS3(input: S3LocalOptions): Promise<RunningS3> {
  const opts = Options.parse(input);
  const log = opts.log ?? (() => {});
  await mkdir(opts.dataDir, { recursive: true });

  // The key registry is s3rver's module-level state: one key pair per process.
  Account.DUMMY_ACCOUNT.revokeAccessKey(BUILT_IN_KEY);
  Account.DUMMY_ACCOUNT.createKeyPair(opts.accessKey, opts.secretKey);

  const s3rver = new S3rver({
    directory: opts.dataDir,
    silent: true,
    vhostBuckets: false,
    configureBuckets: [...new Set([...opts.buckets, ...opts.readOnlyBuckets])].map((name) => ({ name })),
  });
  await s3rver.configureBuckets();
  const handle = s3rver.callback();
  const readOnly = new Set(opts.readOnlyBuckets);

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://s3-local");
    const bucket = decodeURIComponent(url.pathname.split("/")[1] ?? "");
    if (!isSigned(req, url)) {
      log(`refused unsigned ${req.method} ${url.pathname}`);
      return refusal(res, "AccessDenied", "Anonymous access is not allowed: sign requests with the server's access key", url.pathname);
    }
    if (req.method && WRITES.has(req.method) && readOnly.has(bucket)) {
      log(`refused ${req.method} ${url.pathname}: bucket ${bucket} is read-only`);
      return refusal(res, "AccessDenied", `Access Denied: bucket ${bucket} refuses writes`, url.pathname);
    }
    const uploadId = url.searchParams.get("uploadId");
    if (req.method === "DELETE" && uploadId !== null) {
      // Signed, but not verified here (s3rver's check runs inside the routes it serves): on a
      // local server an abort only discards parts that no object shows.
      void abortUpload(opts.dataDir, bucket, uploadId).then((found) => {
        log(`aborted multipart upload ${uploadId} in ${bucket}${found ? "" : " (unknown)"}`);
        if (found) {
          res.writeHead(204);
          res.end();
        } else {
          res.writeHead(404, { "content-type": "application/xml" });
          res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`);
        }
      });
      return;
    }
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  log(`serving ${opts.dataDir}; buckets: ${[...opts.buckets, ...opts.readOnlyBuckets.map((b) => `${b} (read-only)`)].join(", ") || "none"}`);
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
