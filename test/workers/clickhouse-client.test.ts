// @clickhouse/client-web, running inside workerd, against the local ClickHouse:
// the exact path every Worker query takes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClickHouseError } from "@clickhouse/client-web";
import { createTestDatabase, dropTestDatabase, testClickHouse } from "./helpers/clickhouse.js";

let db: string;
beforeAll(async () => {
  db = await createTestDatabase("wk_client");
  await testClickHouse(db).command({
    query: "CREATE TABLE events (id UInt32, name String, at DateTime) ENGINE = MergeTree ORDER BY id",
  });
});
afterAll(async () => dropTestDatabase(db));

describe("@clickhouse/client-web inside workerd", () => {
  it("pings", async () => {
    expect((await testClickHouse().ping()).success).toBe(true);
  });

  it("inserts JSONEachRow values and reads them back as JSON", async () => {
    const ch = testClickHouse(db);
    await ch.insert({
      table: "events",
      values: [
        { id: 1, name: "a", at: "2026-01-01 00:00:00" },
        { id: 2, name: "b'\\c", at: "2026-01-02 03:04:05" },
      ],
      format: "JSONEachRow",
    });
    const rs = await ch.query({ query: "SELECT id, name, at FROM events ORDER BY id", format: "JSON" });
    const body = await rs.json<{ id: number; name: string; at: string }>();
    expect(body.data).toEqual([
      { id: 1, name: "a", at: "2026-01-01 00:00:00" },
      { id: 2, name: "b'\\c", at: "2026-01-02 03:04:05" },
    ]);
    expect(body.rows).toBe(2);
  });

  it("streams a result row by row", async () => {
    const rs = await testClickHouse().query({ query: "SELECT number FROM numbers(10000)", format: "JSONEachRow" });
    let count = 0;
    let sum = 0;
    const reader = rs.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const row of value) {
        count++;
        sum += Number((row.json() as { number: string | number }).number);
      }
    }
    expect(count).toBe(10000);
    expect(sum).toBe(49995000);
  });

  it("binds typed query parameters, including hostile strings", async () => {
    const hostile = "x' OR 1=1 -- \\ \n\t ünï 🚀";
    const rs = await testClickHouse().query({
      query: "SELECT {s:String} AS s, {n:UInt64} AS n, {a:Array(Int32)} AS a",
      query_params: { s: hostile, n: 42, a: [1, -2, 3] },
      format: "JSONEachRow",
    });
    expect(await rs.json()).toEqual([{ s: hostile, n: 42, a: [1, -2, 3] }]);
  });

  it("passes ClickHouse settings", async () => {
    const rs = await testClickHouse().query({
      query: "SELECT getSetting('max_threads') AS t",
      clickhouse_settings: { max_threads: 3 },
      format: "JSONEachRow",
    });
    expect(await rs.json()).toEqual([{ t: 3 }]);
  });

  it("runs a command and an exec", async () => {
    const ch = testClickHouse(db);
    await ch.command({ query: "CREATE TABLE cmd (x UInt8) ENGINE = Memory" });
    const exec = await ch.exec({ query: "SELECT 1 AS one FORMAT TabSeparated" });
    const text = await new Response(exec.stream).text();
    expect(text).toBe("1\n");
  });

  it("uses the client's database for unqualified names", async () => {
    const rs = await testClickHouse(db).query({ query: "SELECT currentDatabase() AS d", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ d: db }]);
  });

  it("surfaces ClickHouse errors with code and type", async () => {
    const err = await testClickHouse(db)
      .query({ query: "SELECT * FROM no_such_table" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClickHouseError);
    expect((err as ClickHouseError).code).toBe("60");
    expect((err as ClickHouseError).type).toBe("UNKNOWN_TABLE");
  });

  it("runs concurrent queries and each gets its own answer", async () => {
    const ch = testClickHouse();
    const answers = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const rs = await ch.query({ query: "SELECT {i:UInt32} * 2 AS v", query_params: { i }, format: "JSONEachRow" });
        return ((await rs.json()) as Array<{ v: number }>)[0]!.v;
      }),
    );
    expect(answers).toEqual(Array.from({ length: 24 }, (_, i) => i * 2));
  });
});
