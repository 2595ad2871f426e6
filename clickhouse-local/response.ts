/**
 * Writing a response: status and ClickHouse headers, optional HTTP
 * compression, body chunks written with backpressure, and the in-stream
 * exception block ClickHouse appends when a query fails after the headers
 * went out.
 */
import type { ServerResponse } from "node:http";
import type { Writable } from "node:stream";
import { createBrotliCompress, createDeflate, createGzip, constants as zc } from "node:zlib";
import type { ClickHouseException } from "./errors.js";

export interface Summary {
  read_rows: number;
  read_bytes: number;
  written_rows: number;
  written_bytes: number;
  total_rows_to_read: number;
  result_rows: number;
  result_bytes: number;
  elapsed_ns: bigint;
}

export function emptySummary(): Summary {
  return {
    read_rows: 0,
    read_bytes: 0,
    written_rows: 0,
    written_bytes: 0,
    total_rows_to_read: 0,
    result_rows: 0,
    result_bytes: 0,
    elapsed_ns: 0n,
  };
}

/** The `X-ClickHouse-Summary` value: every field as a decimal string, like ClickHouse. */
export function summaryHeader(s: Summary): string {
  const o: Record<string, string> = {};
  for (const [k, v] of Object.entries(s)) o[k] = String(v);
  return JSON.stringify(o);
}

export class ClientGoneError extends Error {
  constructor() {
    super("client disconnected");
  }
}

export class ResponseWriter {
  #out: Writable;
  #compressor: Writable | undefined;
  #started = false;

  constructor(
    readonly res: ServerResponse,
    private readonly encoding: "gzip" | "deflate" | "br" | undefined,
    private readonly compressionLevel: number | undefined,
  ) {
    this.#out = res;
  }

  get started(): boolean {
    return this.#started || this.res.headersSent;
  }

  get gone(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Sends status and headers; afterwards the body goes through the chosen encoding. */
  start(status: number, headers: Record<string, string>): void {
    this.#started = true;
    const h: Record<string, string> = { ...headers };
    if (this.encoding) {
      h["Content-Encoding"] = this.encoding;
      h["Vary"] = "Accept-Encoding";
      const level = this.compressionLevel;
      const c =
        this.encoding === "gzip"
          ? createGzip(level === undefined ? {} : { level })
          : this.encoding === "deflate"
            ? createDeflate(level === undefined ? {} : { level })
            : createBrotliCompress(level === undefined ? {} : { params: { [zc.BROTLI_PARAM_QUALITY]: level } });
      c.pipe(this.res);
      this.#compressor = c;
      this.#out = c;
    }
    this.res.writeHead(status, h);
  }

  /**
   * Writes one chunk; waits while the client is slower than we are. The wait
   * ends early, with the signal's reason, when `signal` fires (KILL QUERY of a
   * query whose client stopped reading).
   */
  async write(chunk: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (this.gone) throw new ClientGoneError();
    if (chunk.length === 0) return;
    if (this.#out.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const out = this.#out;
      const cleanup = () => {
        out.off("drain", onDrain);
        this.res.off("close", onClose);
        signal?.removeEventListener("abort", onAbort);
      };
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onClose = () => {
        cleanup();
        reject(new ClientGoneError());
      };
      const onAbort = () => {
        cleanup();
        reject(signal!.reason as Error);
      };
      out.on("drain", onDrain);
      this.res.on("close", onClose);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Finishes the body and waits until it has been handed to the socket. */
  async end(chunk?: Uint8Array | string): Promise<void> {
    if (this.gone) return;
    await new Promise<void>((resolve) => {
      this.res.once("finish", resolve);
      this.res.once("close", resolve);
      if (chunk !== undefined) this.#out.end(chunk);
      else this.#out.end();
    });
  }

  /**
   * ClickHouse's in-body exception block, for a failure after the headers were
   * sent. Does not wait for the client to read it: a client that stopped
   * reading must not keep a failed (or killed) query alive.
   */
  endWithException(e: ClickHouseException, version: string, tag: string): void {
    const text = Buffer.from(e.body(version).replace(/\n$/, ""), "utf8");
    const block = Buffer.concat([
      Buffer.from(`\r\n__exception__\r\n${tag}\n`),
      text,
      Buffer.from(`\n${text.length + 1} ${tag}\r\n__exception__\r\n`),
    ]);
    if (this.gone) return;
    this.#out.end(block);
  }

  /** Drops the connection (client disconnected or server shutting down). */
  destroy(): void {
    this.#compressor?.destroy();
    this.res.destroy();
  }
}
