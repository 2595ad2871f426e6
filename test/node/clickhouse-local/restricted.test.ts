import { ClickHouseError, createClient } from "@clickhouse/client-web";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateServer } from "./helpers.js";

// A workspace reader as Tern creates one: SELECT on its own database, a readonly
// profile with limits, a quota. The admin is the server's --user ("u"/"p").
let srv: Awaited<ReturnType<typeof privateServer>>;
const VERSION = / \(version [\d.]+ \(official build\)\)\n$/;

async function as(user: string, password: string, query: string, search: Record<string, string> = {}, method = "POST"): Promise<{ status: number; code: string | null; text: string }> {
  const u = new URL(srv.server.url);
  u.searchParams.set("query", query);
  for (const [k, v] of Object.entries(search)) u.searchParams.set(k, v);
  const res = await fetch(u, { method, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } });
  return { status: res.status, code: res.headers.get("x-clickhouse-exception-code"), text: (await res.text()).replace(VERSION, "") };
}
const admin = (query: string, search: Record<string, string> = {}) => as("u", "p", query, search);
const reader = (query: string, search: Record<string, string> = {}, method = "POST") => as("reader", "reader-pw", query, search, method);

async function setUp(statements: string[]): Promise<void> {
  for (const q of statements) {
    const r = await admin(q);
    if (r.status !== 200) throw new Error(`${q}: ${r.text}`);
  }
}

function deniedText(grant: string, user = "reader"): string {
  return `Code: 497. DB::Exception: ${user}: Not enough privileges. To execute this query, it's necessary to have the grant ${grant}. (ACCESS_DENIED)`;
}

beforeAll(async () => {
  srv = await privateServer();
  await setUp([
    "CREATE DATABASE ws_a",
    "CREATE DATABASE ws_b",
    "CREATE DATABASE `ws_a.evil`",
    "CREATE TABLE ws_a.events (id UInt32, name String) ENGINE = MergeTree ORDER BY id",
    "CREATE TABLE ws_b.secrets (id UInt32, secret String) ENGINE = MergeTree ORDER BY id",
    "CREATE TABLE `ws_a.evil`.t (secret String) ENGINE = Memory",
    "CREATE TABLE ws_b.j (k UInt32, v String) ENGINE = Join(ANY, LEFT, k)",
    "INSERT INTO ws_a.events VALUES (1, 'a'), (2, 'b')",
    "INSERT INTO ws_b.secrets VALUES (1, 'b-secret')",
    "INSERT INTO `ws_a.evil`.t VALUES ('evil-secret')",
    "CREATE SETTINGS PROFILE reader_profile SETTINGS readonly = 2, max_execution_time = 5 MIN 1 MAX 10, max_result_rows = 1000 CONST, max_threads = 1 CHANGEABLE_IN_READONLY, max_insert_block_size = 5000 CONST",
    "CREATE USER reader IDENTIFIED BY 'reader-pw' DEFAULT DATABASE ws_a SETTINGS PROFILE 'reader_profile'",
    "GRANT SELECT ON ws_a.* TO reader",
    "CREATE SETTINGS PROFILE strict_profile SETTINGS readonly = 1, max_execution_time = 1, max_threads = 1 CHANGEABLE_IN_READONLY",
    "CREATE USER strict IDENTIFIED BY 'strict-pw' DEFAULT DATABASE ws_a SETTINGS PROFILE 'strict_profile'",
    "GRANT SELECT ON ws_a.events TO strict",
  ]);
});
afterAll(async () => {
  await srv.cleanup();
});

describe("what a reader may read", () => {
  it("its own database, by qualified and unqualified names (DEFAULT DATABASE)", async () => {
    expect(await reader("SELECT id, name FROM events ORDER BY id", { default_format: "JSONEachRow" })).toEqual({
      status: 200,
      code: null,
      text: '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n',
    });
    expect((await reader("SELECT count() FROM ws_a.events")).text).toBe("2\n");
  });

  it("another database: 497 ACCESS_DENIED, 403, naming the grant", async () => {
    expect(await reader("SELECT * FROM ws_b.secrets")).toEqual({ status: 403, code: "497", text: deniedText("SELECT ON ws_b.secrets") });
  });

  it("another database through a subquery, a JOIN, UNION, IN and a CTE", async () => {
    for (const q of [
      "SELECT * FROM events WHERE id IN (SELECT id FROM ws_b.secrets)",
      "SELECT * FROM events JOIN ws_b.secrets USING id",
      "SELECT name FROM events UNION ALL SELECT secret FROM ws_b.secrets",
      "SELECT * FROM events WHERE id IN ws_b.secrets",
      "SELECT * FROM events WHERE notInIgnoreSet(id, ws_b.secrets)",
      "WITH s AS (SELECT * FROM ws_b.secrets) SELECT * FROM s",
      "SELECT * FROM view(SELECT * FROM ws_b.secrets)",
      "SELECT (SELECT secret FROM ws_b.secrets LIMIT 1)",
      "EXPLAIN SYNTAX SELECT * FROM ws_b.secrets",
      "DESCRIBE TABLE ws_b.secrets",
      "EXISTS TABLE ws_b.secrets",
      "SHOW CREATE TABLE ws_b.secrets",
    ]) {
      expect(await reader(q), q).toMatchObject({ status: 403, code: "497" });
    }
  });

  it("the database in the URL decides where unqualified names resolve", async () => {
    expect(await reader("SELECT * FROM secrets", { database: "ws_b" })).toEqual({ status: 403, code: "497", text: deniedText("SELECT ON ws_b.secrets") });
  });

  it("a name whose dots could be read two ways must be allowed both ways", async () => {
    // `ws_a.evil`.t prints as ws_a.evil.t: ws_a's table `evil.t`, or ws_a.evil's table t.
    expect(await reader("SELECT * FROM `ws_a.evil`.t")).toEqual({ status: 403, code: "497", text: deniedText("SELECT ON `ws_a.evil`.t") });
  });

  it("a table named by an Identifier query parameter", async () => {
    expect(await reader("SELECT * FROM {t:Identifier}", { param_t: "ws_b.secrets" })).toMatchObject({ status: 403, code: "497" });
    expect((await reader("SELECT count() FROM {t:Identifier}", { param_t: "events" })).text).toBe("2\n");
  });

  it("names that could forge lines of the EXPLAIN AST dump are refused before it is read", async () => {
    const uncheckable =
      "Code: 497. DB::Exception: reader: Not enough privileges. The statement could not be checked: names with control characters, backslashes or back-quotes are not allowed. (ACCESS_DENIED)";
    expect(await reader("SELECT file('/etc/passwd') AS `x) (children 2)\n     Literal 'q`")).toEqual({ status: 403, code: "497", text: uncheckable });
    expect(await reader("SELECT * FROM {t:Identifier}", { param_t: "events\\n" })).toEqual({ status: 403, code: "497", text: uncheckable });
    expect((await reader("SELECT count() FROM `events` AS `my events`")).text).toBe("2\n");
  });

  it("system tables (system.tables included) are refused; system.one and pure generators are not", async () => {
    expect(await reader("SELECT name FROM system.tables")).toEqual({ status: 403, code: "497", text: deniedText("SELECT ON system.tables") });
    expect(await reader("SELECT count() FROM system.processes")).toMatchObject({ status: 403, code: "497" });
    expect((await reader("SELECT dummy FROM system.one")).text).toBe("0\n");
    expect((await reader("SELECT sum(number) FROM numbers(10)")).text).toBe("45\n");
    expect((await reader("SELECT count() FROM values('x UInt8', 1, 2, 3)")).text).toBe("3\n");
  });

  it("file(): the table function and the scalar function", async () => {
    expect(await reader("SELECT * FROM file('/etc/passwd', 'LineAsString')")).toEqual({ status: 403, code: "497", text: deniedText("READ ON FILE") });
    expect(await reader("SELECT file('/etc/passwd')")).toEqual({ status: 403, code: "497", text: deniedText("READ ON FILE") });
    expect(await reader("SELECT file('/proc/self/environ') AS e FROM events")).toMatchObject({ status: 403, code: "497" });
  });

  it("url(), remote() and other table functions that reach outside", async () => {
    expect(await reader("SELECT * FROM url('http://127.0.0.1:9/x', 'CSV', 'a String')")).toEqual({ status: 403, code: "497", text: deniedText("READ ON URL") });
    expect(await reader("SELECT * FROM remote('127.0.0.1', ws_b.secrets)")).toEqual({ status: 403, code: "497", text: deniedText("READ ON REMOTE") });
    expect(await reader("SELECT * FROM merge('ws_b', '.*')")).toEqual({ status: 403, code: "497", text: deniedText("CREATE TEMPORARY TABLE ON *.*") });
  });

  it("INTO OUTFILE is refused and no file is written", async () => {
    const path = join(tmpdir(), `tern-chl-outfile-${process.pid}.txt`);
    await rm(path, { force: true });
    expect(await reader(`SELECT * FROM events INTO OUTFILE '${path}'`)).toEqual({ status: 403, code: "497", text: deniedText("WRITE ON FILE") });
    expect(await reader(`SELECT * FROM events INTO OUTFILE '${path}' FORMAT CSV`)).toMatchObject({ status: 403, code: "497" });
    expect(existsSync(path)).toBe(false);
  });

  it("dictionaries, joinGet and hasColumnInTable", async () => {
    expect(await reader("SELECT dictGet('ws_b.d', 'v', toUInt64(1))")).toEqual({ status: 403, code: "497", text: deniedText("dictGet ON ws_b.d") });
    expect(await reader("SELECT * FROM dictionary('ws_b.d')")).toMatchObject({ status: 403, code: "497" });
    expect(await reader("SELECT joinGet('ws_b.j', 'v', toUInt32(1))")).toEqual({ status: 403, code: "497", text: deniedText("SELECT ON ws_b.j") });
    expect(await reader("SELECT hasColumnInTable('ws_b', 'secrets', 'secret')")).toEqual({ status: 403, code: "497", text: deniedText("SHOW COLUMNS ON ws_b.secrets") });
  });

  it("writes and DDL: 164 READONLY", async () => {
    for (const q of ["INSERT INTO events VALUES (3, 'c')", "CREATE TABLE x (a UInt8) ENGINE = Memory", "DROP TABLE events", "ALTER TABLE events DELETE WHERE 1", "TRUNCATE TABLE events"]) {
      expect(await reader(q), q).toEqual({ status: 500, code: "164", text: "Code: 164. DB::Exception: reader: Cannot execute query in readonly mode. (READONLY)" });
    }
    expect((await admin("SELECT count() FROM ws_a.events")).text).toBe("2\n");
  });

  it("a user granted one table reads that table and nothing else of its database", async () => {
    expect((await as("strict", "strict-pw", "SELECT count() FROM events")).text).toBe("2\n");
    expect(await as("strict", "strict-pw", "SELECT * FROM `ws_a.evil`.t")).toMatchObject({ status: 403, code: "497" });
  });

  it("@clickhouse/client-web sees ClickHouseError 497 and reads its own rows", async () => {
    const c = createClient({ url: srv.server.url, username: "reader", password: "reader-pw" });
    try {
      const rs = await c.query({ query: "SELECT id FROM events ORDER BY id", format: "JSONEachRow" });
      expect(await rs.json()).toEqual([{ id: 1 }, { id: 2 }]);
      const e = await c.query({ query: "SELECT * FROM ws_b.secrets", format: "JSONEachRow" }).catch((err: unknown) => err);
      expect(e).toBeInstanceOf(ClickHouseError);
      expect([(e as ClickHouseError).code, (e as ClickHouseError).type]).toEqual(["497", "ACCESS_DENIED"]);
    } finally {
      await c.close();
    }
  });
});

describe("settings a reader cannot lift", () => {
  it("SETTINGS in the statement: refused by the readonly connection (164)", async () => {
    expect(await reader("SELECT 1 SETTINGS max_execution_time = 100")).toMatchObject({ status: 500, code: "164" });
    expect((await reader("SELECT 1 SETTINGS max_execution_time = 100")).text).toMatch(/^Code: 164\. DB::Exception: Cannot modify 'max_execution_time' setting in readonly mode/);
  });

  it("SET as a statement: 164", async () => {
    expect(await reader("SET max_execution_time = 100")).toMatchObject({ status: 500, code: "164" });
  });

  it("the profile's settings are on the connection", async () => {
    expect((await reader("SELECT getSetting('max_execution_time'), getSetting('max_result_rows'), getSetting('readonly')")).text).toBe("5\t1000\t1\n");
  });

  it("a URL setting within MIN/MAX applies", async () => {
    expect((await reader("SELECT getSetting('max_execution_time')", { max_execution_time: "8" })).text).toBe("8\n");
  });

  it("a URL setting above MAX: 452 SETTING_CONSTRAINT_VIOLATION", async () => {
    expect(await reader("SELECT 1", { max_execution_time: "11" })).toEqual({
      status: 500,
      code: "452",
      text: "Code: 452. DB::Exception: Setting max_execution_time shouldn't be greater than 10. (SETTING_CONSTRAINT_VIOLATION)",
    });
  });

  it("a URL setting below MIN: 452", async () => {
    expect(await reader("SELECT 1", { max_execution_time: "0" })).toEqual({
      status: 500,
      code: "452",
      text: "Code: 452. DB::Exception: Setting max_execution_time shouldn't be less than 1. (SETTING_CONSTRAINT_VIOLATION)",
    });
  });

  it("a CONST setting: 452 unless the value is unchanged", async () => {
    expect(await reader("SELECT 1", { max_result_rows: "5000" })).toEqual({
      status: 500,
      code: "452",
      text: "Code: 452. DB::Exception: Setting max_result_rows should not be changed. (SETTING_CONSTRAINT_VIOLATION)",
    });
    expect((await reader("SELECT 1", { max_result_rows: "1000" })).status).toBe(200);
  });

  it("an alias of a constrained setting is held to the same constraint", async () => {
    expect(await reader("SELECT 1", { max_insert_block_size_rows: "7" })).toEqual({
      status: 500,
      code: "452",
      text: "Code: 452. DB::Exception: Setting max_insert_block_size should not be changed. (SETTING_CONSTRAINT_VIOLATION)",
    });
  });

  it("readonly itself (profile readonly = 2): 164", async () => {
    expect(await reader("SELECT 1", { readonly: "0" })).toEqual({
      status: 500,
      code: "164",
      text: "Code: 164. DB::Exception: Cannot modify 'readonly' setting in readonly mode. (READONLY)",
    });
  });

  it("profile readonly = 1: any URL setting change is 164, except CHANGEABLE_IN_READONLY ones", async () => {
    expect(await as("strict", "strict-pw", "SELECT 1", { max_execution_time: "2" })).toEqual({
      status: 500,
      code: "164",
      text: "Code: 164. DB::Exception: Cannot modify 'max_execution_time' setting in readonly mode. (READONLY)",
    });
    expect((await as("strict", "strict-pw", "SELECT getSetting('max_threads')", { max_threads: "2" })).text).toBe("2\n");
  });

  it("settings that name server files are never changeable (Template/schema formats)", async () => {
    expect(await reader("SELECT 1", { format_template_resultset: "/etc/passwd" })).toEqual({
      status: 500,
      code: "452",
      text: "Code: 452. DB::Exception: Setting format_template_resultset should not be changed. (SETTING_CONSTRAINT_VIOLATION)",
    });
  });

  it("an unknown URL setting: 115 UNKNOWN_SETTING (404)", async () => {
    expect(await reader("SELECT 1", { no_such_setting_r: "1" })).toMatchObject({ status: 404, code: "115" });
  });

  it("the profile's max_execution_time holds: a runaway read ends with 159 TIMEOUT_EXCEEDED", async () => {
    const r = await as("strict", "strict-pw", "SELECT count() FROM numbers(1e12) WHERE sleepEachRow(0) = 0");
    expect([r.status, r.code]).toEqual([408, "159"]);
    expect(r.text).toMatch(/^Code: 159\. DB::Exception: Timeout exceeded: elapsed [\d.]+ ms, maximum: 1000 ms/);
  });
});
