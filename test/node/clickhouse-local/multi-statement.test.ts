import { ClickHouseError } from "@clickhouse/client-web";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { client, freshDatabase, http } from "./helpers.js";

const DB = "chl_multi_statement_test";
const ch = client({ database: DB });
const MULTI =
  /^Code: 62\. DB::Exception: Syntax error \(Multi-statements are not allowed\): failed at position (\d+) \(end of query\)(?: \(line \d+, col \d+\))?: (.*)\. \. \(SYNTAX_ERROR\) \(version [\d.]+ \(official build\)\)\n$/s;

beforeEach(async () => {
  await freshDatabase(DB);
  await ch.command({ query: "CREATE TABLE t (s String) ENGINE = MergeTree ORDER BY s" });
  await ch.command({ query: "CREATE TABLE victim (a UInt8) ENGINE = Memory" });
});
afterAll(async () => {
  await ch.close();
});

async function victimExists(): Promise<boolean> {
  const rs = await ch.query({ query: `SELECT count() AS n FROM system.tables WHERE database = '${DB}' AND name = 'victim'`, format: "JSONEachRow" });
  return ((await rs.json<{ n: number }>())[0]?.n ?? 0) === 1;
}

async function rowsOfT(): Promise<string[]> {
  const rs = await ch.query({ query: "SELECT s FROM t ORDER BY s", format: "JSONEachRow" });
  return (await rs.json<{ s: string }>()).map((r) => r.s);
}

/** Sends `query` (in the URL, or as the body) and expects ClickHouse's multi-statement refusal. */
async function refused(search: Record<string, string>, body?: string): Promise<{ position: number; rest: string }> {
  const res = await http({ database: DB, ...search }, body === undefined ? { method: "POST" } : { method: "POST", body });
  const text = await res.text();
  expect(res.status).toBe(400);
  expect(res.headers.get("x-clickhouse-exception-code")).toBe("62");
  const m = MULTI.exec(text);
  expect(m, text).not.toBeNull();
  return { position: Number(m![1]), rest: m![2]! };
}

describe("a request holding a second statement runs nothing", () => {
  it("SELECT 1; DROP TABLE: 400, code 62 at the semicolon, the table is still there", async () => {
    expect(await refused({ query: "SELECT 1; DROP TABLE victim" })).toEqual({ position: 9, rest: "; DROP TABLE victim" });
    expect(await victimExists()).toBe(true);
  });

  it("the same statement as the request body", async () => {
    expect(await refused({}, "SELECT 1; DROP TABLE victim")).toEqual({ position: 9, rest: "; DROP TABLE victim" });
    expect(await victimExists()).toBe(true);
  });

  it("EXPLAIN AST SELECT 1; DROP TABLE", async () => {
    await refused({ query: "EXPLAIN AST SELECT 1; DROP TABLE victim" });
    expect(await victimExists()).toBe(true);
  });

  it("INSERT … VALUES (…); DROP TABLE in the URL: nothing inserted, nothing dropped", async () => {
    expect(await refused({ query: "INSERT INTO t VALUES ('a'); DROP TABLE victim" })).toEqual({ position: 27, rest: "; DROP TABLE victim" });
    expect(await victimExists()).toBe(true);
    expect(await rowsOfT()).toEqual([]);
  });

  it("INSERT … VALUES as the body", async () => {
    await refused({}, "INSERT INTO t VALUES ('a'); DROP TABLE victim");
    expect(await victimExists()).toBe(true);
    expect(await rowsOfT()).toEqual([]);
  });

  it("Values data in the body after `INSERT … VALUES` in the URL (chDB's raw insert path would run the DROP)", async () => {
    await refused({ query: "INSERT INTO t VALUES" }, "('a'),\n('b');\nDROP TABLE victim");
    expect(await victimExists()).toBe(true);
    expect(await rowsOfT()).toEqual([]);
  });

  it("INSERT … FORMAT Values has the same guard", async () => {
    await refused({ query: "INSERT INTO t FORMAT Values" }, "('a'); DROP TABLE victim");
    expect(await victimExists()).toBe(true);
  });

  it("a semicolon right after FORMAT in a raw insert's query: the engine refuses it as data, nothing runs", async () => {
    const res = await http({ database: DB, query: "INSERT INTO t FORMAT JSONEachRow; DROP TABLE victim" }, { method: "POST", body: '{"s":"a"}\n' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Code: 62\. DB::Exception: You have excessive ';' symbol before data for INSERT\./);
    expect(await victimExists()).toBe(true);
    expect(await rowsOfT()).toEqual([]);
  });

  it("INSERT … SELECT …; DROP TABLE", async () => {
    await refused({ query: "INSERT INTO t SELECT 'a'; DROP TABLE victim" });
    await refused({}, "INSERT INTO t SELECT 'a'; DROP TABLE victim");
    expect(await victimExists()).toBe(true);
    expect(await rowsOfT()).toEqual([]);
  });

  it("a second statement hidden after a comment and a newline is still found", async () => {
    await refused({ query: "SELECT 1 -- ;\n; DROP TABLE victim" });
    expect(await victimExists()).toBe(true);
  });

  it("client-web gets ClickHouseError 62", async () => {
    const e = await ch.command({ query: "SELECT 1; DROP TABLE victim" }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ClickHouseError);
    expect([(e as ClickHouseError).code, (e as ClickHouseError).type]).toEqual(["62", "SYNTAX_ERROR"]);
    expect(await victimExists()).toBe(true);
  });
});

describe("semicolons that are not a second statement keep working", () => {
  it("a trailing semicolon (and a comment after it)", async () => {
    const res = await http({ query: "SELECT 1 AS x; -- done\n", default_format: "JSONEachRow" });
    expect([res.status, await res.text()]).toEqual([200, '{"x":1}\n']);
  });

  it("semicolons inside strings and quoted names", async () => {
    const res = await http({ query: "SELECT ';' AS `a;b`", default_format: "JSONEachRow" });
    expect([res.status, await res.text()]).toEqual([200, '{"a;b":";"}\n']);
  });

  it("INSERT … VALUES ending with a semicolon", async () => {
    const res = await http({ database: DB, query: "INSERT INTO t VALUES ('a;b'), ('c');" }, { method: "POST" });
    expect(res.status).toBe(200);
    expect(await rowsOfT()).toEqual(["a;b", "c"]);
  });

  it("JSONEachRow data with semicolons, in the body after a URL query", async () => {
    await ch.insert({ table: "t", values: [{ s: "x; DROP TABLE victim" }, { s: ";" }], format: "JSONEachRow" });
    expect(await rowsOfT()).toEqual([";", "x; DROP TABLE victim"]);
    expect(await victimExists()).toBe(true);
  });

  it("CSV data with semicolons", async () => {
    const res = await http({ database: DB, query: "INSERT INTO t FORMAT CSV" }, { method: "POST", body: "a;b\n;\n\"c;d\"\n" });
    expect(res.status).toBe(200);
    expect(await rowsOfT()).toEqual([";", "a;b", "c;d"]);
  });

  it("inline FORMAT data with semicolons, the whole INSERT in the body", async () => {
    const res = await http({ database: DB }, { method: "POST", body: 'INSERT INTO t FORMAT JSONEachRow {"s":";"}\n{"s":"; DROP TABLE victim"}\n' });
    expect(res.status).toBe(200);
    expect(await rowsOfT()).toEqual([";", "; DROP TABLE victim"]);
    expect(await victimExists()).toBe(true);
  });

  it("JSONEachRow data followed by a statement is a data error in the engine, never a statement", async () => {
    const res = await http({ database: DB, query: "INSERT INTO t FORMAT JSONEachRow" }, { method: "POST", body: '{"s":"a"}\n; DROP TABLE victim\n' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Code: 27\. DB::Exception: Cannot parse input: expected 'eof' before: 'DROP TABLE victim\\n'/);
    expect(await victimExists()).toBe(true);
  });
});
