/**
 * @module sinks/r2-upload
 * A stream of bytes into one R2 object without holding it whole: bytes are
 * gathered into parts of PART_BYTES; a stream that ends within its first part
 * is one `put`, a longer one a multipart upload (R2 wants every part but the
 * last the same size, at least 5 MiB). Nothing is visible at the key until the
 * stream has ended and `beforeFinish` has passed: a failure (or a cancel)
 * aborts the multipart upload, whose parts R2 then discards.
 *
 * `clickhouseFailure` finds the exception block ClickHouse appends to a body it
 * had already started when the query fails midway (`__exception__` with the
 * answer's `X-ClickHouse-Exception-Tag`; older servers write `Code: N.
 * DB::Exception: …` as the last line), so such a body never becomes a file.
 */
import { TailBuffer } from "../../shared/format/json-statistics.js";

/** R2's smallest part; every part but the last has this size. */
export const PART_BYTES = 5 * 1024 * 1024;
/** Enough of the end of a body to hold ClickHouse's exception block. */
const TAIL_BYTES = 64 * 1024;

export interface R2Written {
  key: string;
  /** Bytes stored (after compression). */
  bytes: number;
  /** 0 for a single `put`. */
  parts: number;
}

export async function streamToR2(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  opts: { contentType: string; beforeFinish: () => void },
): Promise<R2Written> {
  const metadata = { httpMetadata: { contentType: opts.contentType } };
  const reader = body.getReader();
  let upload: R2MultipartUpload | undefined;
  const parts: R2UploadedPart[] = [];
  let part = new Uint8Array(PART_BYTES);
  let filled = 0;
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.byteLength;
      let offset = 0;
      while (offset < value.byteLength) {
        const n = Math.min(PART_BYTES - filled, value.byteLength - offset);
        part.set(value.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        if (filled === PART_BYTES) {
          upload ??= await bucket.createMultipartUpload(key, metadata);
          parts.push(await upload.uploadPart(parts.length + 1, part));
          part = new Uint8Array(PART_BYTES);
          filled = 0;
        }
      }
    }
    opts.beforeFinish();
    if (!upload) {
      await bucket.put(key, part.subarray(0, filled), metadata);
      return { key, bytes: total, parts: 0 };
    }
    if (filled > 0) parts.push(await upload.uploadPart(parts.length + 1, part.subarray(0, filled)));
    await upload.complete(parts);
    return { key, bytes: total, parts: parts.length };
  } catch (e) {
    await reader.cancel().catch(() => undefined);
    if (upload) await upload.abort().catch(() => undefined);
    throw e;
  }
}

/**
 * Passes a ClickHouse body through unchanged and keeps its end; `failure()`
 * says, once the body has ended, whether it ends in an exception block.
 */
export function watchClickHouseBody(body: ReadableStream<Uint8Array>, exceptionTag: string | undefined) {
  const tail = new TailBuffer(TAIL_BYTES);
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        tail.push(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  return { stream, failure: () => clickhouseFailure(tail.text(), exceptionTag) };
}

/** The message of the exception block `text` ends with, if any. */
export function clickhouseFailure(text: string, exceptionTag: string | undefined): string | undefined {
  if (exceptionTag) {
    const end = `${exceptionTag}\r\n__exception__\r\n`;
    if (!text.endsWith(end)) return undefined;
    const start = text.lastIndexOf(`__exception__\r\n${exceptionTag}\n`, text.length - end.length - 1);
    if (start < 0) return "ClickHouse stopped the query midway";
    const block = text.slice(start + `__exception__\r\n${exceptionTag}\n`.length, text.length - end.length);
    return block.replace(/\n\d+ $/, "").trim();
  }
  const m = /(?:^|\n)(Code: \d+\. DB::Exception: [^\n]*)\n?$/.exec(text);
  return m?.[1];
}
