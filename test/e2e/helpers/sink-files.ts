// What sinks wrote, read back from outside the platform as a user would:
// - the local S3 server `npm run dev` starts, with the key pair it prints, over
//   S3's own HTTP API signed with AWS signature v4 (aws4fetch; the server
//   refuses unsigned requests);
// - the Worker's R2 bucket under `wrangler dev`, through wrangler's local
//   explorer API (`/cdn-cgi/explorer/api/r2/…` on the dev port, on by default in
//   wrangler 4.86), which reads the same local R2 store the SINKS binding writes.
import { AwsClient } from "aws4fetch";

export interface LocalS3 {
  url: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
}

/** The S3 server of `npm run dev`, from the line it prints:
 * `S3:  http://127.0.0.1:7183 (bucket s3://tern-local/; access key K, secret S)`. */
export function localS3From(output: string): LocalS3 {
  const m = /^ {2}S3: +(http:\/\/\S+) \(bucket s3:\/\/([^/]+)\/; access key (\S+), secret (\S+)\)$/m.exec(output);
  if (!m) throw new Error(`npm run dev printed no S3 line:\n${output}`);
  return { url: m[1]!, bucket: m[2]!, accessKey: m[3]!, secretKey: m[4]! };
}

function client(s3: LocalS3): AwsClient {
  return new AwsClient({ accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey, service: "s3", region: "us-east-1" });
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** XML text as written in a ListObjectsV2 answer: the five named entities and numeric ones. */
function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, e: string) => {
    if (e.startsWith("#x") || e.startsWith("#X")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return XML_ENTITIES[e] ?? whole;
  });
}

/** The keys under `prefix` in the bucket, sorted (ListObjectsV2; one page is plenty for a test). */
export async function s3Keys(s3: LocalS3, prefix: string): Promise<string[]> {
  const res = await client(s3).fetch(`${s3.url}/${s3.bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`S3 list ${prefix}: HTTP ${res.status} ${body}`);
  return [...body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => xmlText(m[1]!)).sort();
}

/** An object's bytes. */
export async function s3Object(s3: LocalS3, key: string): Promise<Buffer> {
  const res = await client(s3).fetch(`${s3.url}/${s3.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`);
  if (res.status !== 200) throw new Error(`S3 get ${key}: HTTP ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The keys under `prefix` in a local R2 bucket of `wrangler dev` at `baseUrl`, sorted. */
export async function r2Keys(baseUrl: string, bucket: string, prefix: string): Promise<string[]> {
  const res = await fetch(`${baseUrl}/cdn-cgi/explorer/api/r2/buckets/${bucket}/objects?prefix=${encodeURIComponent(prefix)}`);
  const body = (await res.json()) as { success: boolean; result?: Array<{ key: string }>; errors?: unknown };
  if (!body.success || !body.result) throw new Error(`R2 list ${prefix}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.result.map((o) => o.key).sort();
}

/** An object's bytes from a local R2 bucket of `wrangler dev`. */
export async function r2Object(baseUrl: string, bucket: string, key: string): Promise<Buffer> {
  const res = await fetch(`${baseUrl}/cdn-cgi/explorer/api/r2/buckets/${bucket}/objects/${encodeURIComponent(key)}`);
  if (res.status !== 200) throw new Error(`R2 get ${key}: HTTP ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}
