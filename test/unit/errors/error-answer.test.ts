// The error → HTTP mapping as a conformance table: every kind of failure a
// caller can meet, made the way its boundary makes it (the template renderer,
// the SQL rewriter, a validator, the error family itself), in; the status,
// body, headers and whether it is logged, out. Then: causes are kept.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BadRequestError,
  ConfigError,
  ConflictError,
  describeError,
  ForbiddenError,
  InternalError,
  invalidRequest,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  QueryTimeoutError,
  RateLimitedError,
  TernError,
  UnauthorizedError,
  UpstreamUnavailableError,
} from "../../../shared/errors.js";
import { CONFIG_ERROR_MESSAGE, errorAnswer, INTERNAL_ERROR_MESSAGE, type ErrorAnswer } from "../../../shared/error-answer.js";
import { compileTemplate, render, type Params } from "../../../shared/template/index.js";
import { checkReadOnly, rewriteTables, toTernError, type TableResolver } from "../../../shared/sql/rewrite/index.js";
import { toPublic } from "../../../workers/endpoints/public-errors.js";
import type { DeploymentManifest } from "../../../shared/deploy/manifest.js";

/** What rendering `src` throws. */
function templateFailure(src: string, params: Params = {}): unknown {
  try {
    render(compileTemplate(src), params);
  } catch (e) {
    return e;
  }
  throw new Error(`expected ${src} to fail`);
}

/** The TernError a SQL-layer refusal of `sql` becomes at its boundary. */
function sqlFailure(sql: string, resolve: TableResolver = () => undefined): TernError {
  const result = rewriteTables(sql, resolve);
  if (result.ok) throw new Error(`expected ${sql} to be refused`);
  return toTernError(result.error);
}

function readOnlyFailure(sql: string): TernError {
  const result = checkReadOnly(sql);
  if (result.ok) throw new Error(`expected ${sql} to be refused`);
  return toTernError(result.error);
}

function rateLimited(retryAfterSeconds: number): RateLimitedError {
  const e = new RateLimitedError("Too many requests", retryAfterSeconds);
  // What ratelimit/limit.ts adds: the bucket's state, answered with the 429.
  Object.assign(e.headers, { "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1" });
  return e;
}

const clickhouse = (code: string, type: string) => ({ cause: new Error(`Code: ${code}. DB::Exception: x. (${type})`), clickhouse: { code, type } });
const none = {};

const TABLE: Array<[string, () => unknown, ErrorAnswer]> = [
  ["a bad request", () => new BadRequestError("bad"), { status: 400, body: { error: "bad" }, headers: none, log: false }],
  ["no token", () => new UnauthorizedError("no token"), { status: 401, body: { error: "no token" }, headers: none, log: false }],
  ["a missing scope", () => new ForbiddenError("denied"), { status: 403, body: { error: "denied" }, headers: none, log: false }],
  ["an unknown resource", () => new NotFoundError("gone"), { status: 404, body: { error: "gone" }, headers: none, log: false }],
  ["a wrong method", () => new MethodNotAllowedError("no"), { status: 405, body: { error: "no" }, headers: none, log: false }],
  ["a conflict", () => new ConflictError("taken"), { status: 409, body: { error: "taken" }, headers: none, log: false }],
  ["a body too large", () => new PayloadTooLargeError("big"), { status: 413, body: { error: "big" }, headers: none, log: false }],
  ["a query past its time", () => new QueryTimeoutError("slow"), { status: 408, body: { error: "slow" }, headers: none, log: false }],
  [
    "a rate limit under a second: Retry-After is at least 1",
    () => rateLimited(0.2),
    { status: 429, body: { error: "Too many requests" }, headers: { "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1", "Retry-After": "1" }, log: false },
  ],
  [
    "a rate limit of 2.5 s: Retry-After rounds up",
    () => rateLimited(2.5),
    { status: 429, body: { error: "Too many requests" }, headers: { "X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1", "Retry-After": "3" }, log: false },
  ],
  [
    "ClickHouse refused the caller's SQL: X-DB-Exception-Code",
    () => new BadRequestError("[Error] Unknown identifier", clickhouse("47", "UNKNOWN_IDENTIFIER")),
    { status: 400, body: { error: "[Error] Unknown identifier" }, headers: { "X-DB-Exception-Code": "47" }, log: false },
  ],
  [
    "ClickHouse stopped the query at max_execution_time",
    () => new QueryTimeoutError("[Error] Timeout exceeded", clickhouse("159", "TIMEOUT_EXCEEDED")),
    { status: 408, body: { error: "[Error] Timeout exceeded" }, headers: { "X-DB-Exception-Code": "159" }, log: false },
  ],
  [
    "the reader is at its ClickHouse concurrency cap: a 429 with both headers",
    () => new RateLimitedError("[Error] Too many simultaneous queries", 1, clickhouse("202", "TOO_MANY_SIMULTANEOUS_QUERIES")),
    { status: 429, body: { error: "[Error] Too many simultaneous queries" }, headers: { "Retry-After": "1", "X-DB-Exception-Code": "202" }, log: false },
  ],
  [
    "ClickHouse unreachable: 503 with its message, logged",
    () => new UpstreamUnavailableError("ClickHouse is unavailable: fetch failed", { cause: new TypeError("fetch failed") }),
    { status: 503, body: { error: "ClickHouse is unavailable: fetch failed" }, headers: none, log: true },
  ],
  [
    "a refused deploy: Tinybird's fields beside the error",
    () => new BadRequestError("a.pipe:1:1: bad", { details: { result: "failed", errors: [{ filename: "a.pipe", error: "a.pipe:1:1: bad" }] } }),
    { status: 400, body: { result: "failed", errors: [{ filename: "a.pipe", error: "a.pipe:1:1: bad" }], error: "a.pipe:1:1: bad" }, headers: none, log: false },
  ],
  [
    "details never replace the message",
    () => new ConflictError("the message", { details: { error: "not this" } }),
    { status: 409, body: { error: "the message" }, headers: none, log: false },
  ],
  ["a bug reported as such: generic message, logged", () => new InternalError("no signing secret for ws_1"), { status: 500, body: { error: INTERNAL_ERROR_MESSAGE }, headers: none, log: true }],
  ["a bad configuration: its own generic message, logged", () => new ConfigError("CLICKHOUSE_URL: invalid url"), { status: 500, body: { error: CONFIG_ERROR_MESSAGE }, headers: none, log: true }],
  ["a plain Error", () => new Error("db password is hunter2"), { status: 500, body: { error: INTERNAL_ERROR_MESSAGE }, headers: none, log: true }],
  ["a TypeError (a bug)", () => new TypeError("Cannot read properties of undefined"), { status: 500, body: { error: INTERNAL_ERROR_MESSAGE }, headers: none, log: true }],
  ["something thrown that is not an Error", () => "a string", { status: 500, body: { error: INTERNAL_ERROR_MESSAGE }, headers: none, log: true }],
  [
    "a template param of the wrong type (Tinybird's text)",
    () => templateFailure("% SELECT {{Int32(limit, 10)}}", { limit: "ten" }),
    { status: 400, body: { error: "Template Syntax Error: Error validating 'ten' to type Int32" }, headers: none, log: false },
  ],
  ["custom_error() keeps its status", () => templateFailure("% {{ custom_error('gone', 410) }}"), { status: 410, body: { error: "gone" }, headers: none, log: false }],
  [
    "custom_error() with a dict: the payload as JSON text",
    () => templateFailure("% {{ custom_error({'error': 'nope', 'code': 7}, 403) }}"),
    { status: 403, body: { error: '{"error":"nope","code":7}' }, headers: none, log: false },
  ],
  ["error() is a 400", () => templateFailure("% {{ error('no such tenant') }}"), { status: 400, body: { error: "no such tenant" }, headers: none, log: false }],
  [
    "an unknown table in the caller's SQL",
    () => sqlFailure("SELECT * FROM nope"),
    { status: 404, body: { error: "Resource 'nope' not found" }, headers: none, log: false },
  ],
  [
    "a table the resolver refuses",
    () => sqlFailure("SELECT * FROM other.t", () => ({ error: "Resource 'other.t' is not accessible" })),
    { status: 403, body: { error: "Resource 'other.t' is not accessible" }, headers: none, log: false },
  ],
  ["a write in a read", () => readOnlyFailure("INSERT INTO t VALUES (1)"), { status: 400, body: { error: expect.any(String) }, headers: none, log: false }],
  [
    "a validator's refusal: its first issue",
    () => invalidRequest(z.object({ name: z.string({ error: "The 'name' parameter is required" }) }).safeParse({}).error!),
    { status: 400, body: { error: "The 'name' parameter is required" }, headers: none, log: false },
  ],
];

describe("errorAnswer: error → status, body, headers, log", () => {
  it.each(TABLE)("%s", (_name, make, expected) => {
    expect(errorAnswer(make())).toEqual(expected);
  });
});

describe("causes are kept", () => {
  it("a template error made from another keeps it", () => {
    const e = templateFailure("% {{x}}{% set x = String(x, 'a') %}", { x: "v" }) as TernError;
    expect([e.status, e.name, (e.cause as Error).name]).toEqual([400, "SqlTemplateError", "UnboundLocalTemplateError"]);
  });

  it("a SQL-layer refusal keeps the value it was made from (code, position)", () => {
    const e = sqlFailure("SELECT * FROM nope");
    expect(e.cause).toMatchObject({ code: "not_found", message: "Resource 'nope' not found" });
  });

  it("a validator's refusal keeps the validator's error", () => {
    const parsed = z.string().min(3, "too short").safeParse("ab");
    expect(invalidRequest(parsed.error!).cause).toBe(parsed.error);
  });

  it("a reworded error keeps its kind, status, headers and ClickHouse code, and the original as cause", () => {
    const original = new RateLimitedError("Table tern_0a1b2c3d4e5f.events_3f2a busy", 2, clickhouse("202", "TOO_MANY_SIMULTANEOUS_QUERIES"));
    original.headers["X-RateLimit-Limit"] = "5";
    const told = original.reworded("Table events busy");
    expect(told).toBeInstanceOf(RateLimitedError);
    expect([told.message, told.cause, told.retryAfterSeconds, told.clickhouse, told.name]).toEqual([
      "Table events busy",
      original,
      2,
      { code: "202", type: "TOO_MANY_SIMULTANEOUS_QUERIES" },
      "RateLimitedError",
    ]);
    expect(errorAnswer(told)).toEqual({ ...errorAnswer(original), body: { error: "Table events busy" } });
    // The original is not touched: another request may hold the same error.
    told.headers["X-Other"] = "1";
    expect([original.message, original.headers]).toEqual(["Table tern_0a1b2c3d4e5f.events_3f2a busy", { "X-RateLimit-Limit": "5" }]);
  });

  it("toPublic answers in the caller's names and keeps the physical text as the cause", () => {
    const manifest = {
      database: "tern_0a1b2c3d4e5f",
      datasources: { events: { table: "events_3f2a9c", quarantineTable: "events_3f2a9c_quarantine" } },
      pipes: {},
    } as unknown as DeploymentManifest;
    const physical = new NotFoundError("[Error] Table tern_0a1b2c3d4e5f.events_3f2a9c does not exist", clickhouse("60", "UNKNOWN_TABLE"));
    const shown = toPublic(physical, { database: "tern_0a1b2c3d4e5f", manifest, admin: false });
    expect([shown.message, shown.cause, shown.status, errorAnswer(shown).headers]).toEqual([
      "[Error] Table events does not exist",
      physical,
      404,
      { "X-DB-Exception-Code": "60" },
    ]);
    // Nothing to hide: the same error.
    const plain = new BadRequestError("[Error] Syntax error");
    expect(toPublic(plain, { database: "tern_0a1b2c3d4e5f", manifest, admin: false })).toBe(plain);
  });

  it("the log line names every error of the chain, ClickHouse's code, and the innermost error's stack frames", () => {
    const inner = new TypeError("fetch failed");
    const e = new BadRequestError("[Error] Unknown identifier", { cause: new UpstreamUnavailableError("retry failed", { cause: inner }), clickhouse: { code: "47", type: "UNKNOWN_IDENTIFIER" } });
    const lines = describeError(e).split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "BadRequestError [47 UNKNOWN_IDENTIFIER]: [Error] Unknown identifier",
      "caused by: UpstreamUnavailableError: retry failed",
      "caused by: TypeError: fetch failed",
    ]);
    const frames = inner.stack!.split("\n").slice(1);
    expect(frames.length).toBeGreaterThan(0);
    expect(lines.slice(3)).toEqual(frames);
  });

  it("the log line shows a value cause as JSON and stops at a cycle's depth limit", () => {
    expect(describeError(sqlFailure("SELECT * FROM nope")).split("\n")[1]).toMatch(/^caused by: \{"code":"not_found",/);
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(describeError(a).split("\n").filter((l) => l.startsWith("caused by")).length).toBe(7);
  });
});
