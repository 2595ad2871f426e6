/**
 * Runs one statement on a leased engine connection and writes the answer:
 * INSERTs through the raw insert path, SELECT-like statements streamed when
 * their format allows it, everything else one-shot.
 *
 * Cancellation (KILL QUERY, or the client going away) arrives as the running
 * query's signal: a stream is cancelled at once (chDB stops between blocks);
 * a one-shot statement or an INSERT cannot be interrupted in chDB, so the
 * client gets its answer (394 QUERY_WAS_CANCELLED) at once and the connection
 * is released when the engine lets go of it.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Connection, ResultStream, StreamChunk } from "./engine.js";
import { Codes, toClickHouseException } from "./errors.js";
import { ChunkJoiner, contentTypeFor, isStreamable } from "./formats.js";
import type { RequestSpec } from "./request.js";
import { ClientGoneError, emptySummary, ResponseWriter, summaryHeader, type Summary } from "./response.js";
import { untilAborted, type RunningQuery } from "./running.js";
import { explicitFormat } from "./sql.js";
import type { Statement } from "./statement.js";

/** Results up to this size are gathered before the headers go out (accurate summary, clean error status). */
const PREBUFFER_BYTES = 1 << 20;

export interface ExecuteContext {
  info: { hostname: string; timezone: string; version: string };
  withParamLock<T>(fn: () => Promise<T>): Promise<T>;
  log(line: string): void;
}

export function baseHeaders(info: ExecuteContext["info"], queryId: string, format: string, tag: string): Record<string, string> {
  return {
    "Content-Type": contentTypeFor(format),
    "X-ClickHouse-Server-Display-Name": info.hostname,
    "X-ClickHouse-Query-Id": queryId,
    "X-ClickHouse-Format": format,
    "X-ClickHouse-Timezone": info.timezone,
    "X-ClickHouse-Exception-Tag": tag,
    "Access-Control-Expose-Headers":
      "X-ClickHouse-Query-Id,X-ClickHouse-Summary,X-ClickHouse-Server-Display-Name,X-ClickHouse-Format,X-ClickHouse-Timezone,X-ClickHouse-Exception-Code,X-ClickHouse-Exception-Tag",
  };
}

function elapsedSince(start: bigint): bigint {
  return process.hrtime.bigint() - start;
}

export function compressionLevel(spec: RequestSpec): number | undefined {
  const v = spec.settings["http_zlib_compression_level"];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 9 ? n : undefined;
}

/** Writes a complete answer (rows already in their format, or an empty body). */
export async function writeAnswer(
  ctx: ExecuteContext,
  spec: RequestSpec,
  res: ServerResponse,
  format: string,
  bytes: Uint8Array,
  start: bigint,
): Promise<void> {
  const summary = emptySummary();
  summary.result_bytes = bytes.length;
  summary.elapsed_ns = elapsedSince(start);
  const out = new ResponseWriter(res, spec.responseEncoding, compressionLevel(spec));
  out.start(200, { ...baseHeaders(ctx.info, spec.queryId, format, randomBytes(8).toString("hex")), "X-ClickHouse-Summary": summaryHeader(summary) });
  await out.end(bytes);
}

export async function execute(
  ctx: ExecuteContext,
  spec: RequestSpec,
  stmt: Statement,
  conn: Connection,
  res: ServerResponse,
  running: RunningQuery,
): Promise<boolean> {
  const start = process.hrtime.bigint();
  const params = Object.keys(spec.params).length > 0 ? spec.params : undefined;
  const locked = <T>(fn: () => Promise<T>): Promise<T> => (params ? ctx.withParamLock(fn) : fn());
  const tag = randomBytes(8).toString("hex");
  const summary = emptySummary();
  const out = new ResponseWriter(res, spec.responseEncoding, compressionLevel(spec));

  if (stmt.kind === "insert") {
    const data = stmt.data ?? Buffer.alloc(0);
    // Params in INSERT ... SELECT / VALUES are bound by the engine too.
    const r = await untilAborted(
      locked(() => (params ? insertWithParams(conn, stmt.sql, data, params) : conn.insert(stmt.sql, data))),
      running.signal,
    );
    summary.written_rows = r.rowsWritten;
    summary.written_bytes = r.bytesWritten;
    summary.elapsed_ns = elapsedSince(start);
    out.start(200, { ...baseHeaders(ctx.info, spec.queryId, spec.defaultFormat, tag), "X-ClickHouse-Summary": summaryHeader(summary) });
    await out.end();
    return true;
  }

  const format = explicitFormat(stmt.sql) ?? spec.defaultFormat;
  if (stmt.kind === "read" && isStreamable(format)) {
    const streamed = await runStreamed(ctx, spec, stmt.sql, format, params, conn, out, tag, start, locked, running);
    if (streamed) return streamed === "ok";
  }
  const r = await untilAborted(
    locked(() => conn.query(stmt.sql, spec.defaultFormat, params)),
    running.signal,
  );
  summary.read_rows = r.rowsRead;
  summary.read_bytes = r.bytesRead;
  summary.result_bytes = r.bytes.length;
  summary.elapsed_ns = elapsedSince(start);
  out.start(200, {
    ...baseHeaders(ctx.info, spec.queryId, format, tag),
    "X-ClickHouse-Summary": summaryHeader(summary),
  });
  await out.end(r.bytes);
  return true;
}

/** INSERT with query parameters: chDB binds parameters only on the query path, so the data must be inline. */
async function insertWithParams(conn: Connection, sql: string, data: Buffer, params: Record<string, string>) {
  const full = data.length > 0 ? `${sql}\n${data.toString("utf8")}` : sql;
  const before = Date.now();
  const r = await conn.query(full, "TabSeparated", params);
  return { rowsWritten: 0, bytesWritten: 0, elapsedSec: r.elapsedSec || (Date.now() - before) / 1000 };
}

/**
 * Streams a SELECT. Returns false (nothing sent) when the statement cannot run
 * as a chDB stream, so the caller runs it one-shot instead; "failed" when the
 * answer ended with the in-stream exception block.
 */
async function runStreamed(
  ctx: ExecuteContext,
  spec: RequestSpec,
  sql: string,
  format: string,
  params: Record<string, string> | undefined,
  conn: Connection,
  out: ResponseWriter,
  tag: string,
  start: bigint,
  locked: <T>(fn: () => Promise<T>) => Promise<T>,
  running: RunningQuery,
): Promise<false | "ok" | "failed"> {
  let stream: ResultStream | undefined;
  const onAbort = () => void stream?.cancel();
  const joiner = new ChunkJoiner(format);
  const pending: StreamChunk[] = [];
  let done = false;
  let bufferedBytes = 0;
  let rows = 0;
  let bytes = 0;
  running.signal.addEventListener("abort", onAbort);
  try {
    // Parameters are bound while the cursor starts; hold the lock until the first block is out.
    const started = await locked(async () => {
      running.check();
      try {
        stream = conn.stream(sql, spec.defaultFormat, params);
      } catch (e) {
        const ce = toClickHouseException(e);
        if (ce.code === Codes.BAD_ARGUMENTS && /Streaming query is not supported/.test(ce.message)) return false;
        throw ce;
      }
      const first = await stream.next();
      if (first) pending.push(first);
      else done = true;
      return true;
    });
    if (!started || !stream) return false;
    const s = stream;
    for (const c of pending) bufferedBytes += c.bytes.length;
    while (!done && bufferedBytes < PREBUFFER_BYTES) {
      const c = await s.next();
      if (!c) done = true;
      else {
        pending.push(c);
        bufferedBytes += c.bytes.length;
      }
    }
    // A cancelled cursor just ends: the answer must not pass for complete.
    running.check();
    const summary: Summary = emptySummary();
    const first = pending.map((c) => joiner.next(c.bytes));
    for (let i = 0; i < pending.length; i++) {
      rows += pending[i]!.rows;
      bytes += first[i]!.length;
    }
    summary.result_rows = rows;
    summary.result_bytes = bytes;
    summary.elapsed_ns = elapsedSince(start);
    const headers = { ...baseHeaders(ctx.info, spec.queryId, format, tag), "X-ClickHouse-Summary": summaryHeader(summary) };
    if (done && spec.responseEncoding === undefined) {
      // The whole result is here: one write with its length, no chunked framing.
      out.start(200, { ...headers, "Content-Length": String(bytes) });
      await out.end(first.length === 1 ? first[0]! : Buffer.concat(first));
      return "ok";
    }
    out.start(200, headers);
    try {
      for (const b of first) await out.write(b, running.signal);
      while (!done) {
        const c = await s.next();
        if (!c) break;
        await out.write(joiner.next(c.bytes), running.signal);
      }
      running.check();
    } catch (e) {
      if (e instanceof ClientGoneError) throw e;
      ctx.log(`query ${spec.queryId} failed while streaming: ${String((e as Error).message ?? e)}`);
      out.endWithException(toClickHouseException(e), ctx.info.version, tag);
      return "failed";
    }
    await out.end();
    return "ok";
  } finally {
    running.signal.removeEventListener("abort", onAbort);
    await stream?.cancel();
  }
}
