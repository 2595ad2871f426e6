/**
 * One HTTP request, end to end: route, authenticate, read the body, refuse a
 * second statement, answer access-management statements and KILL QUERY
 * itself, hold a restricted user to its profile, quotas and grants, then run
 * the statement on a leased engine connection and answer the way
 * ClickHouse's HTTP interface does.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { runAccessCommand } from "./access-admin.js";
import { isAccessStatement, parseAccessStatement, requiredGrant } from "./access-sql.js";
import type { AccessStore } from "./access-store.js";
import { authenticate, type Principal } from "./auth.js";
import { readBody } from "./body.js";
import type { Engine } from "./engine.js";
import type { SettingCatalog } from "./engine-catalog.js";
import { ClickHouseException, Codes, toClickHouseException } from "./errors.js";
import { execute, writeAnswer, type ExecuteContext } from "./execute.js";
import type { EngineParser, Lru } from "./parser.js";
import type { ConnectionPool, Lease } from "./pool.js";
import type { QuotaTracker } from "./quota.js";
import type { FunctionCatalog, ReadShape } from "./read-access.js";
import { parseRequest, type RequestSpec } from "./request.js";
import { ClientGoneError } from "./response.js";
import { assertConcurrency, authorize, planUser, readonlyStatement, type UserPlan } from "./restricted.js";
import { untilAborted, type RunningQueries, type RunningQuery } from "./running.js";
import { assertSingleStatement } from "./single-statement.js";
import { firstKeyword, quoteIdentifier, quoteString } from "./sql.js";
import { statementOf, statementText, type Statement } from "./statement.js";

export interface ServerContext {
  engine: Engine;
  pool: ConnectionPool;
  user: string;
  password: string;
  compat: string | undefined;
  maxBodyBytes: number;
  log: (line: string) => void;
  /** Requests being served, by query id. */
  running: RunningQueries;
  access: AccessStore;
  parser: EngineParser;
  quotas: QuotaTracker;
  /** The engine's settings: defaults (with --compat applied) and aliases. */
  settings: SettingCatalog;
  functions: FunctionCatalog;
  shapes: Lru<ReadShape>;
}

const NOT_FOUND_TEXT = (path: string) =>
  `There is no handle ${path}\n\nUse / or /ping for health checks.\n\nSend queries from your program with POST method or GET /?query=...\n`;

/** Statements that can never be access management: no need to ask the engine. */
const PLAIN_STATEMENTS = new Set(["SELECT", "WITH", "INSERT", "EXPLAIN", "DESCRIBE", "DESC", "EXISTS", "VALUES", "FROM"]);

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=UTF-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
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

function engineArgs(ctx: ServerContext, spec: RequestSpec, principal: Principal): string[] {
  const args: string[] = [];
  if (ctx.compat) args.push(`--compatibility=${ctx.compat}`);
  // ClickHouse runs GET requests with readonly=2: reads and setting changes only.
  // (Restricted users' connections are made readonly by their SET instead.)
  if (spec.method === "GET" && principal.kind === "admin") args.push("--readonly=2");
  return args;
}

/** The statements that put a fresh connection into the state the request needs (settings, database). */
function preparation(spec: RequestSpec, plan: UserPlan | undefined): string[] {
  if (plan) {
    // Profile, then URL settings, then readonly = 1: nothing in the statement can change them.
    return [`SET ${plan.settings.assignments.join(", ")}`, `USE ${quoteIdentifier(plan.database)}`];
  }
  const out: string[] = [];
  const entries = Object.entries(spec.settings);
  if (entries.length > 0) out.push(`SET ${entries.map(([k, v]) => `${k} = ${quoteString(v)}`).join(", ")}`);
  if (spec.database !== undefined) out.push(`USE ${quoteIdentifier(spec.database)}`);
  return out;
}

/**
 * Statements after which the connection's session is as it was before: reads
 * and INSERTs (query parameters and in-statement SETTINGS apply to the one
 * query; checked in test/node/clickhouse-local/connection-reuse.test.ts).
 * SET, USE, CREATE TEMPORARY TABLE and every other statement close the connection.
 */
function leavesSessionAsIs(stmt: Statement): boolean {
  return stmt.kind === "read" || stmt.kind === "insert";
}

/** The canonical text of an access-management statement (including KILL), or undefined for any other statement. */
async function accessStatement(ctx: ServerContext, stmt: Statement, canonical: string | undefined): Promise<string | undefined> {
  if (stmt.kind === "insert" || PLAIN_STATEMENTS.has(firstKeyword(stmt.sql))) return undefined;
  const c = canonical ?? (await ctx.parser.canonical(stmt.sql));
  return isAccessStatement(c) ? c : undefined;
}

function executeContext(ctx: ServerContext): ExecuteContext {
  return { info: ctx.engine.info, withParamLock: (fn) => ctx.pool.withParamLock(fn), log: ctx.log };
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
  let principal: Principal;
  let plan: UserPlan | undefined;
  let running: RunningQuery;
  try {
    spec = parseRequest(method, url, req.headers);
    principal = authenticate(spec.credentials, { user: ctx.user, password: ctx.password }, ctx.access);
    if (principal.kind === "user") {
      const profile = principal.user.profile === undefined ? undefined : ctx.access.profile(principal.user.profile);
      plan = planUser(principal.user, profile, spec, ctx.settings);
      assertConcurrency(plan, ctx.running.countFor(principal.name));
    }
    running = ctx.running.start(spec.queryId, principal.name, plan !== undefined);
  } catch (e) {
    req.resume();
    return sendError(ctx, res, toClickHouseException(e), url.searchParams.get("query_id") ?? undefined);
  }
  const queryId = spec.queryId;
  // A client that goes away stops whatever the request is waiting for.
  const onClose = () => {
    if (!res.writableFinished) running.cancel(new ClientGoneError());
  };
  res.on("close", onClose);
  const start = process.hrtime.bigint();
  const quotas = plan ? ctx.access.quotasOf(plan.user.name) : [];
  let counted = false;
  let lease: Lease | undefined;
  try {
    const body = await untilAborted(readBody(req, ctx.maxBodyBytes), running.signal);
    const stmt = statementOf(spec, body, req);
    running.query = statementText(stmt);
    if (stmt.kind !== "insert" && stmt.sql.trim() === "") {
      throw new ClickHouseException(Codes.SYNTAX_ERROR, "Empty query");
    }
    if (plan && stmt.kind === "insert") throw readonlyStatement(plan);
    const canonical = await untilAborted(assertSingleStatement(ctx.parser, stmt), running.signal);
    const access = await untilAborted(accessStatement(ctx, stmt, canonical), running.signal);
    if (access !== undefined) {
      if (plan) {
        throw new ClickHouseException(
          Codes.ACCESS_DENIED,
          `${plan.user.name}: Not enough privileges. To execute this query, it's necessary to have the grant ${requiredGrant(access)}`,
        );
      }
      const answer = await runAccessCommand(
        { store: ctx.access, parser: ctx.parser, running: ctx.running, adminUser: ctx.user },
        parseAccessStatement(access),
        { database: spec.database ?? "default", defaultFormat: spec.defaultFormat, queryId },
      );
      running.check();
      await writeAnswer(executeContext(ctx), spec, res, answer?.format ?? spec.defaultFormat, answer?.bytes ?? new Uint8Array(0), start);
      return;
    }
    if (plan) {
      ctx.quotas.begin(plan.user.name, quotas);
      counted = true;
      await untilAborted(
        authorize({ parser: ctx.parser, shapes: ctx.shapes, functions: ctx.functions, withParamLock: (fn) => ctx.pool.withParamLock(fn) }, plan, stmt, spec),
        running.signal,
      );
    }
    const prepare = preparation(spec, plan);
    lease = await ctx.pool.lease(engineArgs(ctx, spec, principal), {
      admin: plan === undefined,
      signal: running.signal,
      // Whose connection it is and how it was prepared: only an identical request reuses it.
      state: JSON.stringify([plan ? `user:${plan.user.name}` : "admin", prepare]),
    });
    if (!lease.prepared) for (const sql of prepare) await lease.conn.query(sql, "TabSeparated");
    running.check();
    const clean = await execute(executeContext(ctx), spec, stmt, lease.conn, res, running);
    if (clean && leavesSessionAsIs(stmt) && !running.signal.aborted) lease.reusable = true;
  } catch (e) {
    if (!(e instanceof ClientGoneError)) sendError(ctx, res, toClickHouseException(e), queryId);
  } finally {
    res.off("close", onClose);
    // Waits for the engine to let go of the connection (a one-shot statement cannot be interrupted).
    await lease?.release();
    if (counted) ctx.quotas.end(quotas, process.hrtime.bigint() - start);
    ctx.running.finish(running);
  }
}
