/**
 * @module ingest/read-body
 * Reads a request body as text under two limits: the bytes as sent (413 past
 * it, checked on Content-Length first, then while streaming) and the bytes after
 * gzip/deflate decompression, so a small compressed bomb cannot exhaust memory.
 * `readBodyChunks` hands the decoded text on chunk by chunk as it arrives (the
 * Events API validates it a segment at a time); `readBodyText` collects it.
 */
import { BadRequestError, PayloadTooLargeError } from "../../shared/errors.js";

export interface BodyLimits {
  maxBytes: number;
  maxDecompressedBytes: number;
}

function mb(n: number): string {
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KB`;
  return `${n} bytes`;
}

async function collect(stream: ReadableStream<Uint8Array>, limit: number, tooLarge: () => Error): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return chunks;
}

export async function readBodyText(req: Request, limits: BodyLimits): Promise<string> {
  const tooLarge = () => new PayloadTooLargeError(`The request body is larger than the limit of ${mb(limits.maxBytes)}; split it into smaller requests`);
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) throw tooLarge();
  if (!req.body) return "";
  const encoding = (req.headers.get("content-encoding") ?? "").trim().toLowerCase();
  // Fast path: a plain body whose declared length is under the limit is read in one go.
  if ((encoding === "" || encoding === "identity") && Number.isFinite(declared)) {
    const buf = await req.arrayBuffer();
    if (buf.byteLength > limits.maxBytes) throw tooLarge();
    return new TextDecoder("utf-8").decode(buf);
  }
  let stream: ReadableStream<Uint8Array> = req.body;
  // Count the bytes as sent before they are decompressed.
  let sent = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      sent += chunk.byteLength;
      if (sent > limits.maxBytes) controller.error(tooLarge());
      else controller.enqueue(chunk);
    },
  });
  stream = stream.pipeThrough(counter);
  let decompressed = false;
  if (encoding === "gzip" || encoding === "x-gzip" || encoding === "deflate") {
    stream = stream.pipeThrough(new DecompressionStream(encoding === "deflate" ? "deflate" : "gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
    decompressed = true;
  } else if (encoding !== "" && encoding !== "identity") {
    throw new BadRequestError(`Unsupported Content-Encoding '${encoding}'; send gzip or plain bodies`);
  }
  let chunks: Uint8Array[];
  try {
    chunks = await collect(
      stream,
      decompressed ? limits.maxDecompressedBytes : limits.maxBytes,
      decompressed
        ? () => new PayloadTooLargeError(`The decompressed body is larger than the limit of ${mb(limits.maxDecompressedBytes)}`)
        : tooLarge,
    );
  } catch (e) {
    if (e instanceof PayloadTooLargeError) throw e;
    if (decompressed) throw new BadRequestError("The body is not valid gzip data", { cause: e });
    throw e;
  }
  const decoder = new TextDecoder("utf-8");
  let text = "";
  for (const c of chunks) text += decoder.decode(c, { stream: true });
  return text + decoder.decode();
}

/**
 * The body as decoded text, chunk by chunk as it arrives: nothing is held
 * beyond the chunk being handed on. The limits are checked as the bytes flow,
 * so a body past them throws (413) after its earlier chunks were yielded.
 */
export async function* readBodyChunks(req: Request, limits: BodyLimits): AsyncGenerator<string> {
  const tooLarge = () => new PayloadTooLargeError(`The request body is larger than the limit of ${mb(limits.maxBytes)}; split it into smaller requests`);
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) throw tooLarge();
  if (!req.body) return;
  const encoding = (req.headers.get("content-encoding") ?? "").trim().toLowerCase();
  let stream: ReadableStream<Uint8Array> = req.body;
  let decompressed = false;
  if (encoding === "gzip" || encoding === "x-gzip" || encoding === "deflate") {
    let sent = 0;
    stream = stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        if (sent > limits.maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }));
    stream = stream.pipeThrough(new DecompressionStream(encoding === "deflate" ? "deflate" : "gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
    decompressed = true;
  } else if (encoding !== "" && encoding !== "identity") {
    throw new BadRequestError(`Unsupported Content-Encoding '${encoding}'; send gzip or plain bodies`);
  }
  const limit = decompressed ? limits.maxDecompressedBytes : limits.maxBytes;
  const overLimit = decompressed
    ? () => new PayloadTooLargeError(`The decompressed body is larger than the limit of ${mb(limits.maxDecompressedBytes)}`)
    : tooLarge;
  const decoder = new TextDecoder("utf-8");
  const reader = stream.getReader();
  let total = 0;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (e) {
        if (e instanceof PayloadTooLargeError) throw e;
        if (decompressed) throw new BadRequestError("The body is not valid gzip data", { cause: e });
        throw e;
      }
      if (next.done) break;
      total += next.value.byteLength;
      if (total > limit) throw overLimit();
      const text = decoder.decode(next.value, { stream: true });
      if (text !== "") yield text;
    }
    const rest = decoder.decode();
    if (rest !== "") yield rest;
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
