/**
 * Request bodies: read with a size limit (checked on the decompressed bytes
 * too), decoded from Content-Encoding, and split when they are
 * multipart/form-data (how clients send large query parameters).
 */
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { ClickHouseException, Codes } from "./errors.js";

function tooLarge(limit: number): ClickHouseException {
  return new ClickHouseException(
    Codes.QUERY_IS_TOO_LARGE,
    `Request body is too large: it exceeds the limit of ${limit} bytes (max_body_bytes of this server)`,
  );
}

function decoderFor(encoding: string): NodeJS.ReadWriteStream | null {
  switch (encoding) {
    case "":
    case "identity":
      return null;
    case "gzip":
    case "x-gzip":
      return createGunzip();
    case "deflate":
      return createInflate();
    case "br":
      return createBrotliDecompress();
    default:
      throw new ClickHouseException(Codes.UNKNOWN_COMPRESSION_METHOD, `Unknown compression method: '${encoding}'`);
  }
}

/** Reads the whole body, decoded. Throws QUERY_IS_TOO_LARGE past `limit` bytes (after draining the rest). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const encoding = String(req.headers["content-encoding"] ?? "").trim().toLowerCase();
  const declared = Number(req.headers["content-length"] ?? NaN);
  let decoder: NodeJS.ReadWriteStream | null;
  try {
    decoder = decoderFor(encoding);
  } catch (e) {
    await drain(req, limit);
    throw e;
  }
  if (Number.isFinite(declared) && declared > limit) {
    await drain(req, limit);
    throw tooLarge(limit);
  }
  const source: Readable = decoder ? (req.pipe(decoder) as unknown as Readable) : req;
  if (decoder) req.on("error", (e) => (decoder as unknown as Readable).destroy(e));
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of source) {
      const b = chunk as Buffer;
      size += b.length;
      if (size > limit) {
        req.unpipe();
        (source as Readable).destroy();
        await drain(req, limit);
        throw tooLarge(limit);
      }
      parts.push(b);
    }
  } catch (e) {
    if (e instanceof ClickHouseException) throw e;
    throw new ClickHouseException(
      Codes.CANNOT_DECOMPRESS,
      `Cannot decompress the request body (Content-Encoding: ${encoding}): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  // A body that arrived in one chunk is used as is (Buffer.concat would copy it).
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
}

/** Reads and discards what is left of a request body (so the client can read our answer), up to a cap. */
async function drain(req: IncomingMessage, limit: number): Promise<void> {
  const cap = Math.max(limit, 64 * 1024 * 1024);
  let seen = 0;
  if (req.readableEnded) return;
  await new Promise<void>((resolve) => {
    const onData = (c: Buffer) => {
      seen += c.length;
      if (seen > cap) {
        req.off("data", onData);
        resolve();
      }
    };
    req.on("data", onData);
    req.once("end", resolve);
    req.once("error", () => resolve());
    req.once("close", resolve);
    req.resume();
  });
}

/** Parts of a multipart/form-data body, by name. */
export function parseMultipart(body: Buffer, contentType: string): Map<string, Buffer> {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new ClickHouseException(Codes.BAD_ARGUMENTS, "multipart/form-data request without a boundary");
  const delimiter = Buffer.from(`--${boundary.trim()}`);
  const parts = new Map<string, Buffer>();
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    let start = pos + delimiter.length;
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break; // closing delimiter
    if (body[start] === 0x0d) start++;
    if (body[start] === 0x0a) start++;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const headerEnd = body.indexOf("\r\n\r\n", start);
    if (headerEnd < 0 || headerEnd > next) break;
    const headers = body.subarray(start, headerEnd).toString("utf8");
    let end = next;
    if (body[end - 1] === 0x0a) end--;
    if (body[end - 1] === 0x0d) end--;
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name !== undefined) parts.set(name, body.subarray(headerEnd + 4, end));
    pos = next;
  }
  return parts;
}
