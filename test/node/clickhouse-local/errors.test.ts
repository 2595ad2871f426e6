import { ClickHouseError, createClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basicAuth, client, freshDatabase, http, password, url, user , iterate } from "./helpers.js";

const DB = "chl_errors_test";
const ch = client({ database: DB });
const VERSION_SUFFIX = / \(version \d+\.\d+\.\d+\.\d+ \(official build\)\)\n$/;

beforeAll(async () => {
  await freshDatabase(DB);
  await ch.command({ query: "CREATE TABLE nums (n UInt32) ENGINE = MergeTree ORDER BY n" });
});
afterAll(async () => {
  await ch.close();
});

async function failure(p: Promise<unknown>): Promise<ClickHouseError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ClickHouseError);
  return e as ClickHouseError;
}

describe("engine errors over HTTP", () => {
  it("syntax error: 400, code 62, SYNTAX_ERROR", async () => {
    const res = await http({ query: "SELEC 1" });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("62");
    const body = await res.text();
    expect(body).toMatch(/^Code: 62\. DB::Exception: Syntax error: failed at position 7 \(1\): 1\. Expected one of: /);
    expect(body).toMatch(/\(SYNTAX_ERROR\) \(version \d+\.\d+\.\d+\.\d+ \(official build\)\)\n$/);
  });

  it("client-web parses a syntax error into ClickHouseError", async () => {
    const e = await failure(ch.query({ query: "SELEC 1" }));
    expect(e.code).toBe("62");
    expect(e.type).toBe("SYNTAX_ERROR");
  });

  it("unknown table: 404, code 60, UNKNOWN_TABLE", async () => {
    const res = await http({ query: "SELECT * FROM no_such_table", database: DB });
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/^Code: 60\. DB::Exception: .*no_such_table.*\(UNKNOWN_TABLE\)/s);
    const e = await failure(ch.query({ query: "SELECT * FROM no_such_table" }));
    expect([e.code, e.type]).toEqual(["60", "UNKNOWN_TABLE"]);
  });

  it("unknown database: 404, code 81", async () => {
    const res = await http({ query: "SELECT 1", database: "no_such_db_chl" });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("81");
    expect(await res.text()).toMatch(/\(UNKNOWN_DATABASE\)/);
  });

  it("unknown function: 404, code 46", async () => {
    const e = await failure(ch.query({ query: "SELECT no_such_function(1)" }));
    expect([e.code, e.type]).toEqual(["46", "UNKNOWN_FUNCTION"]);
  });

  it("unknown setting in the URL: 404, code 115", async () => {
    const res = await http({ query: "SELECT 1", no_such_setting_chl: "1" });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("115");
    expect(await res.text()).toMatch(/no_such_setting_chl.*\(UNKNOWN_SETTING\)/);
  });

  it("unknown output format: 404, code 73", async () => {
    const res = await http({ query: "SELECT 1 FORMAT NoSuchFormat" });
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/^Code: 73\. DB::Exception: Unknown format NoSuchFormat.*\(UNKNOWN_FORMAT\)/);
  });

  it("unknown input format on INSERT: 404, code 73", async () => {
    const res = await http({ query: "INSERT INTO nums FORMAT Bogus", database: DB }, { method: "POST", body: "1\n" });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("73");
  });

  it("malformed INSERT data: 400, code 27, nothing written", async () => {
    const res = await http({ query: "INSERT INTO nums FORMAT JSONEachRow", database: DB }, { method: "POST", body: '{"n":1}\n{"n":"x"}\n' });
    expect(res.status).toBe(400);
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("27");
    expect(await res.text()).toMatch(/\(CANNOT_PARSE_INPUT_ASSERTION_FAILED\)/);
    const rs = await ch.query({ query: "SELECT count() AS c FROM nums", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ c: 0 }]);
  });

  it("type mismatch in CSV input: 400", async () => {
    const res = await http({ query: "INSERT INTO nums FORMAT CSV", database: DB }, { method: "POST", body: "not-a-number\n" });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(VERSION_SUFFIX);
  });

  it("an empty query: 400, code 62", async () => {
    const res = await http({}, { method: "POST", body: "" });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^Code: 62\. DB::Exception: Empty query\. \(SYNTAX_ERROR\)/);
  });

  it("a runtime error (throwIf): 500 with the engine's code", async () => {
    const e = await failure(ch.query({ query: "SELECT throwIf(1, 'boom')", format: "JSONEachRow" }));
    expect([e.code, e.type]).toEqual(["395", "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO"]);
    const res = await http({ query: "SELECT throwIf(1, 'boom')" });
    expect(res.status).toBe(500);
  });

  it("a duplicate query_id of a running query is refused", async () => {
    const slow = http({ query: "SELECT sleep(1)", query_id: "chl-dup-id" });
    await new Promise((r) => setTimeout(r, 200));
    const dup = await http({ query: "SELECT 1", query_id: "chl-dup-id" });
    expect(dup.headers.get("x-clickhouse-exception-code")).toBe("216");
    expect(await dup.text()).toMatch(/QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING/);
    expect((await slow).status).toBe(200);
  });

  it("an unknown path is 404 with help text", async () => {
    const res = await fetch(new URL("/nope", url()));
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/^There is no handle \/nope/);
  });

  it("an error after streaming started ends the body with ClickHouse's exception block", async () => {
    const rs = await ch.query({
      query: "SELECT throwIf(number = 300000, 'late failure') AS x FROM numbers(400000)",
      format: "JSONCompactEachRow",
      clickhouse_settings: { max_block_size: "1000" },
    });
    let rows = 0;
    const err = await (async () => {
      for await (const batch of iterate(rs.stream())) rows += batch.length;
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(rows).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe("395");
  });
});

describe("GET is read-only", () => {
  it("GET may read", async () => {
    const res = await http({ query: "SELECT 1" }, { method: "GET" });
    expect(await res.text()).toBe("1\n");
  });

  it("GET may not write: code 164 READONLY", async () => {
    const res = await http({ query: "CREATE TABLE get_t (x UInt8) ENGINE = Memory", database: DB }, { method: "GET" });
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("164");
    expect(await res.text()).toMatch(/\(READONLY\)/);
  });

  it("GET may change settings (readonly=2)", async () => {
    const res = await http({ query: "SELECT getSetting('max_threads')", max_threads: "1" }, { method: "GET" });
    expect(await res.text()).toBe("1\n");
  });
});

describe("authentication", () => {
  it("basic auth with the right password works", async () => {
    const res = await http({ query: "SELECT currentUser() = currentUser()" });
    expect(res.status).toBe(200);
  });

  it("X-ClickHouse-User / X-ClickHouse-Key headers work", async () => {
    const res = await http(
      { query: "SELECT 1" },
      { auth: false, headers: { "X-ClickHouse-User": user(), "X-ClickHouse-Key": password() } },
    );
    expect(await res.text()).toBe("1\n");
  });

  it("user/password URL parameters work", async () => {
    const res = await http({ query: "SELECT 1", user: user(), password: password() }, { auth: false });
    expect(await res.text()).toBe("1\n");
  });

  it("a wrong password is 403 with code 516 AUTHENTICATION_FAILED", async () => {
    const res = await http({ query: "SELECT 1" }, { headers: { authorization: basicAuth(user(), "wrong") } });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("516");
    expect(await res.text()).toMatch(
      new RegExp(`^Code: 516\\. DB::Exception: ${user()}: Authentication failed: password is incorrect, or there is no user with such name\\. \\(AUTHENTICATION_FAILED\\)`),
    );
  });

  it("an unknown user is refused the same way", async () => {
    const res = await http({ query: "SELECT 1" }, { headers: { authorization: basicAuth("nobody", password()) } });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("516");
  });

  it("no credentials at all is refused when a password is configured", async () => {
    const res = await http({ query: "SELECT 1" }, { auth: false });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/^Code: 516\. DB::Exception: default: Authentication failed/);
  });

  it("client-web reports a wrong password as ClickHouseError 516", async () => {
    const bad = createClient({ url: url(), username: user(), password: "nope" });
    const e = await failure(bad.query({ query: "SELECT 1" }));
    expect([e.code, e.type]).toEqual(["516", "AUTHENTICATION_FAILED"]);
    await bad.close();
  });
});
