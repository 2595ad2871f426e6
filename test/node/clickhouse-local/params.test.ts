import { TupleParam, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, freshDatabase, http } from "./helpers.js";

const DB = "chl_params_test";
let ch: ClickHouseClient;

beforeAll(async () => {
  await freshDatabase(DB);
  ch = client({ database: DB });
});
afterAll(async () => {
  await ch.close();
});

async function one<T>(query: string, query_params: Record<string, unknown>): Promise<T> {
  const rs = await ch.query({ query, query_params, format: "JSONEachRow" });
  const rows = await rs.json<T>();
  expect(rows.length).toBe(1);
  return rows[0]!;
}

describe("query parameters", () => {
  it.each([
    ["plain", "hello"],
    ["single quotes", "it's 'quoted'"],
    ["backslashes", "C:\\path\\to\\file \\n not a newline"],
    ["newline, tab and carriage return", "line1\nline2\tcol\rend"],
    ["unicode", "héllo wörld — 日本語 🚀"],
    ["empty", ""],
    ["SQL-looking", "'); DROP TABLE x; --"],
  ])("String with %s round-trips", async (_name, value) => {
    expect(await one<{ v: string }>("SELECT {v:String} AS v", { v: value })).toEqual({ v: value });
  });

  it("integers of every width", async () => {
    const r = await one<Record<string, unknown>>(
      "SELECT {a:UInt8} AS a, {b:Int32} AS b, {c:Int64} AS c, {d:UInt64} AS d",
      { a: 255, b: -2147483648, c: "-9223372036854775808", d: "18446744073709551615" },
    );
    // JSON numbers past 2^53 parse to the nearest double, as they do for any client reading them.
    expect(r).toEqual({ a: 255, b: -2147483648, c: Number("-9223372036854775808"), d: Number("18446744073709551615") });
  });

  it("UInt64 beyond 2^53 stays exact as text", async () => {
    const rs = await ch.query({ query: "SELECT toString({d:UInt64}) AS d", query_params: { d: "18446744073709551615" }, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ d: "18446744073709551615" }]);
  });

  it("floats, decimals and booleans", async () => {
    expect(
      await one("SELECT {f:Float64} AS f, toString({d:Decimal(18, 4)}) AS d, {b:Bool} AS b", { f: 3.25, d: "1234.5678", b: true }),
    ).toEqual({ f: 3.25, d: "1234.5678", b: true });
  });

  it("Date, DateTime and DateTime64", async () => {
    expect(
      await one("SELECT {d:Date} AS d, {t:DateTime('UTC')} AS t, {t64:DateTime64(3, 'UTC')} AS t64", {
        d: "2024-02-29",
        t: "2024-02-29 13:14:15",
        t64: "2024-02-29 13:14:15.678",
      }),
    ).toEqual({ d: "2024-02-29", t: "2024-02-29 13:14:15", t64: "2024-02-29 13:14:15.678" });
  });

  it("UUID, IPv4 and Nullable NULL", async () => {
    expect(
      await one("SELECT {u:UUID} AS u, {ip:IPv4} AS ip, {n:Nullable(String)} AS n", {
        u: "123e4567-e89b-12d3-a456-426614174000",
        ip: "10.1.2.3",
        n: null,
      }),
    ).toEqual({ u: "123e4567-e89b-12d3-a456-426614174000", ip: "10.1.2.3", n: null });
  });

  it("Array, Tuple and Map", async () => {
    expect(
      await one("SELECT {a:Array(String)} AS a, {t:Tuple(String, UInt8)} AS t, {m:Map(String, Int32)} AS m", {
        a: ["x", "y'z", "back\\slash"],
        t: new TupleParam(["k", 7]),
        m: { one: 1, two: -2 },
      }),
    ).toEqual({ a: ["x", "y'z", "back\\slash"], t: ["k", 7], m: { one: 1, two: -2 } });
  });

  it("Identifier parameters name a table", async () => {
    await ch.command({ query: "CREATE TABLE ident_t (x UInt8) ENGINE = Memory" });
    await ch.command({ query: "INSERT INTO ident_t VALUES (1), (2)" });
    expect(await one("SELECT count() AS c FROM {t:Identifier}", { t: "ident_t" })).toEqual({ c: 2 });
  });

  it("parameters work in a streamed read", async () => {
    const rs = await ch.query({
      query: "SELECT number FROM numbers({n:UInt32}) WHERE number % {m:UInt8} = 0",
      query_params: { n: 100, m: 10 },
      format: "JSONCompactEachRow",
    });
    expect(await rs.json()).toEqual([[0], [10], [20], [30], [40], [50], [60], [70], [80], [90]]);
  });

  it("parameters in command and exec", async () => {
    await ch.command({ query: "CREATE TABLE param_cmd (s String) ENGINE = MergeTree ORDER BY s" });
    await ch.command({ query: "INSERT INTO param_cmd SELECT {s:String}", query_params: { s: "from 'param'" } });
    const rs = await ch.query({ query: "SELECT s FROM param_cmd", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ s: "from 'param'" }]);
  });

  it("parameters sent as multipart/form-data", async () => {
    const multi = client({ use_multipart_params: true });
    const rs = await multi.query({ query: "SELECT {s:String} AS s, {n:UInt16} AS n", query_params: { s: "multi\npart", n: 7 }, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ s: "multi\npart", n: 7 }]);
    await multi.close();
  });

  it("a missing parameter is UNKNOWN_QUERY_PARAMETER", async () => {
    const err = await ch.query({ query: "SELECT {x:UInt8}", format: "JSONEachRow" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "456", type: "UNKNOWN_QUERY_PARAMETER" });
  });

  it("an unparsable parameter is BAD_QUERY_PARAMETER (457, status 500 as ClickHouse maps it)", async () => {
    const res = await http({ query: "SELECT {x:UInt8}", param_x: "abc" });
    expect(res.status).toBe(500);
    expect(res.headers.get("x-clickhouse-exception-code")).toBe("457");
    expect(await res.text()).toMatch(/^Code: 457\. DB::Exception: Value abc cannot be parsed as UInt8 for query parameter 'x'.*\(BAD_QUERY_PARAMETER\) \(version [\d.]+ \(official build\)\)\n$/s);
  });
});
