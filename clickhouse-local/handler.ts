/**
 * One HTTP request, end to end: route, authenticate, read the body, run the
 * statement on a leased engine connection, and answer the way ClickHouse's
 * HTTP interface does.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { authenticate } from "./auth.js";
import { parseMultipart, readBody } from "./body.js";
import type { Connection, Engine, ResultStream, StreamChunk } from "./engine.js";
import { ClickHouseException, Codes, toClickHouseException } from "./errors.js";
import { ChunkJoiner, contentTypeFor, isStreamable } from "./formats.js";
import type { ConnectionPool, Lease } from "./pool.js";
import { parseRequest, type RequestSpec } from "./request.js";
import { ClientGoneError, emptySummary, ResponseWriter, summaryHeader, type Summary } from "./response.js";
import { explicitFormat, quoteIdentifier, quoteString, statementKind } from "./sql.js";

export interface ServerContext {
  engine: Engine;
  pool: ConnectionPool;
  user: string;
  password: string;
  compat: string | undefined;
  maxBodyBytes: number;
  log: (line: string) => void;
  /** query_id values of running queries (ClickHouse refuses duplicates). */
  running: Set<string>;
}

/** Results up to this size are gathered before the headers go out (accurate summary, clean error status). */
const PREBUFFER_BYTES = 1 << 20;

const NOT_FOUND_TEXT = (path: string) =>
  `There is no handle ${path}\n\nUse / or /ping for health checks.\n\nSend queries from your program with POST method or GET /?query=...\n`;

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=UTF-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

function baseHeaders(ctx: ServerContext, queryId: string, format: string, tag: string): Record<string, string> {
  return {
    "Content-Type": contentTypeFor(format),
    "X-ClickHouse-Server-Display-Name": ctx.engine.info.hostname,
    "X-ClickHouse-Query-Id": queryId,
    "X-ClickHouse-Format": format,
    "X-ClickHouse-Timezone": ctx.engine.info.timezone,
    "X-ClickHouse-Exception-Tag": tag,
    "Access-Control-Expose-Headers":
      "X-ClickHouse-Query-Id,X-ClickHouse-Summary,X-ClickHouse-Server-Display-Name,X-ClickHouse-Format,X-ClickHouse-Timezone,X-ClickHouse-Exception-Code,X-ClickHouse-Exception-Tag",
  };
}

function sendError(ctx: ServerContext, res: ServerResponse, e: ClickHouseException, queryId?: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = e.body(ctx.engine.info.version);
  const headers: Record<string, string> = {
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Length": String(Buffer.byteLength(body)),
    "X-ClickHouse-Server-Display-Name": ctx.engine.info.hostname,
    "X-ClickHouse-Exception-Code": String(e.code),
  };
  if (queryId) headers["X-ClickHouse-Query-Id"] = queryId;
  if (e.code === Codes.REQUIRED_PASSWORD) headers["WWW-Authenticate"] = 'Basic realm="ClickHouse server HTTP API"';
  res.writeHead(e.httpStatus, headers);
  res.end(body);
}

interface Statement {
  sql: string;
  /** INSERT data following the query text (may be empty). */
  data: Buffer | undefined;
  kind: ReturnType<typeof statementKind>;
}

function statementOf(spec: RequestSpec, body: Buffer, req: IncomingMessage): Statement {
  let urlQuery = spec.urlQuery;
  if (String(req.headers["content-type"] ?? "").toLowerCase().startsWith("multipart/form-data")) {
    const parts = parseMultipart(body, String(req.headers["content-type"]));
    for (const [name, value] of parts) {
      if (name.startsWith("param_")) spec.params[name.slice("param_".length)] = value.toString("utf8");
    }
    const q = parts.get("query");
    if (q !== undefined) urlQuery = urlQuery === undefined ? q.toString("utf8") : `${urlQuery}\n${q.toString("utf8")}`;
    body = Buffer.alloc(0);
  }
  if (spec.method === "GET") body = Buffer.alloc(0);
  if (urlQuery !== undefined) {
    const kind = statementKind(urlQuery);
    if (kind === "insert") return { sql: urlQuery, data: body, kind };
    const sql = body.length > 0 ? `${urlQuery}\n${body.toString("utf8")}` : urlQuery;
    return { sql, data: undefined, kind: statementKind(sql) };
  }
  // The query is the body. INSERT data may follow it inline (possibly binary), so keep it as bytes.
  const head = body.subarray(0, 4096).toString("utf8");
  const kind = statementKind(head);
  if (kind === "insert") return { sql: "", data: body, kind };
  return { sql: body.toString("utf8"), data: undefined, kind };
}

function engineArgs(ctx: ServerContext, spec: RequestSpec): string[] {
  const args: string[] = [];
  if (ctx.compat) args.push(`--compatibility=${ctx.compat}`);
  // ClickHouse runs GET requests with readonly=2: reads and setting changes only.
  if (spec.method === "GET") args.push("--readonly=2");
  return args;
}

async function prepareConnection(conn: Connection, spec: RequestSpec): Promise<void> {
  const entries = Object.entries(spec.settings);
  if (entries.length > 0) {
    await conn.query(`SET ${entries.map(([k, v]) => `${k} = ${quoteString(v)}`).join(", ")}`, "TabSeparated");
  }
  if (spec.database !== undefined) await conn.query(`USE ${quoteIdentifier(spec.database)}`, "TabSeparated");
}

function elapsedSince(start: bigint): bigint {
  return process.hrtime.bigint() - start;
}

function compressionLevel(spec: RequestSpec): number | undefined {
  const v = spec.settings["http_zlib_compression_level"];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 9 ? n : undefined;
}

export async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;

  if (method === "OPTIONS") {
    res.writeHead(204, {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
      "Access-Control-Allow-Headers":
        "origin, x-requested-with, x-clickhouse-format, x-clickhouse-user, x-clickhouse-key, Authorization, Content-Type, Content-Encoding",
      "Access-Control-Max-Age": "86400",
    });
    res.end();
    return;
  }
  if (path === "/ping" || path === "/replicas_status") return plain(res, 200, "Ok.\n");
  if (path !== "/" && path !== "/query") {
    req.resume();
    return plain(res, 404, NOT_FOUND_TEXT(path));
  }
  if (method === "GET" && !url.searchParams.has("query")) return plain(res, 200, "Ok.\n");
  if (method !== "GET" && method !== "POST") {
    req.resume();
    return sendError(ctx, res, new ClickHouseException(Codes.UNSUPPORTED_METHOD, `Unsupported HTTP method ${method}`));
  }

  let spec: RequestSpec;
  try {
    spec = parseRequest(method, url, req.headers);
    authenticate(spec.credentials, ctx.user, ctx.password);
  } catch (e) {
    req.resume();
    return sendError(ctx, res, toClickHouseException(e));
  }
  const queryId = spec.queryId;
  if (ctx.running.has(queryId)) {
    req.resume();
    return sendError(
      ctx,
      res,
      new ClickHouseException(216, `Query with id = ${queryId} is already running`, "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING"),
      queryId,
    );
  }
  ctx.running.add(queryId);
  let lease: Lease | undefined;
  try {
    const body = await readBody(req, ctx.maxBodyBytes);
    const stmt = statementOf(spec, body, req);
    if (stmt.kind !== "insert" && stmt.sql.trim() === "") {
      throw new ClickHouseException(Codes.SYNTAX_ERROR, "Empty query");
    }
    lease = await ctx.pool.lease(engineArgs(ctx, spec));
    await prepareConnection(lease.conn, spec);
    await run(ctx, spec, stmt, lease.conn, res);
  } catch (e) {
    if (!(e instanceof ClientGoneError)) sendError(ctx, res, toClickHouseException(e), queryId);
  } finally {
    ctx.running.delete(queryId);
    await lease?.release();
  }
}

async function run(ctx: ServerContext, spec: RequestSpec, stmt: Statement, conn: Connection, res: ServerResponse): Promise<void> {
  const start = process.hrtime.bigint();
  const params = Object.keys(spec.params).length > 0 ? spec.params : undefined;
  const locked = <T>(fn: () => Promise<T>): Promise<T> => (params ? ctx.pool.withParamLock(fn) : fn());
  const tag = randomBytes(8).toString("hex");
  const summary = emptySummary();
  const out = new ResponseWriter(res, spec.responseEncoding, compressionLevel(spec));

  if (stmt.kind === "insert") {
    const data = stmt.data ?? Buffer.alloc(0);
    // Params in INSERT ... SELECT / VALUES are bound by the engine too.
    const r = await locked(() => (params ? insertWithParams(conn, stmt.sql, data, params) : conn.insert(stmt.sql, data)));
    summary.written_rows = r.rowsWritten;
    summary.written_bytes = r.bytesWritten;
    summary.elapsed_ns = elapsedSince(start);
    out.start(200, { ...baseHeaders(ctx, spec.queryId, spec.defaultFormat, tag), "X-ClickHouse-Summary": summaryHeader(summary) });
    await out.end();
    return;
  }

  const format = explicitFormat(stmt.sql) ?? spec.defaultFormat;
  if (stmt.kind === "read" && isStreamable(format)) {
    const streamed = await runStreamed(ctx, spec, stmt.sql, format, params, conn, out, tag, start, locked);
    if (streamed) return;
  }
  const r = await locked(() => conn.query(stmt.sql, spec.defaultFormat, params));
  summary.read_rows = r.rowsRead;
  summary.read_bytes = r.bytesRead;
  summary.result_bytes = r.bytes.length;
  summary.elapsed_ns = elapsedSince(start);
  out.start(200, {
    ...baseHeaders(ctx, spec.queryId, format, tag),
    "X-ClickHouse-Summary": summaryHeader(summary),
  });
  await out.end(r.bytes);
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
 * as a chDB stream, so the caller runs it one-shot instead.
 */
async function runStreamed(
  ctx: ServerContext,
  spec: RequestSpec,
  sql: string,
  format: string,
  params: Record<string, string> | undefined,
  conn: Connection,
  out: ResponseWriter,
  tag: string,
  start: bigint,
  locked: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<boolean> {
  let stream: ResultStream | undefined;
  const onClose = () => void stream?.cancel();
  const joiner = new ChunkJoiner(format);
  const pending: StreamChunk[] = [];
  let done = false;
  let bufferedBytes = 0;
  let rows = 0;
  let bytes = 0;
  try {
    // Parameters are bound while the cursor starts; hold the lock until the first block is out.
    const started = await locked(async () => {
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
    out.res.on("close", onClose);
    for (const c of pending) bufferedBytes += c.bytes.length;
    while (!done && bufferedBytes < PREBUFFER_BYTES) {
      const c = await s.next();
      if (!c) done = true;
      else {
        pending.push(c);
        bufferedBytes += c.bytes.length;
      }
    }
    const summary: Summary = emptySummary();
    const first = pending.map((c) => joiner.next(c.bytes));
    for (let i = 0; i < pending.length; i++) {
      rows += pending[i]!.rows;
      bytes += first[i]!.length;
    }
    summary.result_rows = rows;
    summary.result_bytes = bytes;
    summary.elapsed_ns = elapsedSince(start);
    out.start(200, { ...baseHeaders(ctx, spec.queryId, format, tag), "X-ClickHouse-Summary": summaryHeader(summary) });
    for (const b of first) await out.write(b);
    try {
      while (!done) {
        const c = await s.next();
        if (!c) break;
        await out.write(joiner.next(c.bytes));
      }
    } catch (e) {
      if (e instanceof ClientGoneError) throw e;
      ctx.log(`query ${spec.queryId} failed while streaming: ${String((e as Error).message ?? e)}`);
      await out.endWithException(toClickHouseException(e), ctx.engine.info.version, tag);
      return true;
    }
    await out.end();
    return true;
  } finally {
    out.res.off("close", onClose);
    await stream?.cancel();
  }
}
