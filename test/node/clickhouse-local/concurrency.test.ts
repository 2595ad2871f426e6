import type { ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, freshDatabase } from "./helpers.js";

const DB = "chl_concurrency_test";
let ch: ClickHouseClient;

beforeAll(async () => {
  await freshDatabase(DB);
  ch = client({ database: DB, max_open_connections: 50 });
  await ch.command({ query: "CREATE TABLE kv (k UInt32, v String) ENGINE = MergeTree ORDER BY k" });
  await ch.command({ query: "INSERT INTO kv SELECT number, concat('v', toString(number)) FROM numbers(1000)" });
});
afterAll(async () => {
  await ch.close();
});

describe("concurrent requests", () => {
  it("50 parallel queries, half of them parameterized, all answer correctly", async () => {
    const jobs = Array.from({ length: 50 }, async (_, i) => {
      if (i % 2 === 0) {
        const rs = await ch.query({
          query: "SELECT k, v, {tag:String} AS tag FROM kv WHERE k = {k:UInt32}",
          query_params: { k: i * 7, tag: `t'${i}\\` },
          format: "JSONEachRow",
        });
        return { i, rows: await rs.json() };
      }
      const rs = await ch.query({ query: `SELECT count() AS c, sum(k) AS s FROM kv WHERE k < ${i * 10}`, format: "JSONEachRow" });
      return { i, rows: await rs.json() };
    });
    const results = await Promise.all(jobs);
    for (const { i, rows } of results) {
      if (i % 2 === 0) expect(rows).toEqual([{ k: i * 7, v: `v${i * 7}`, tag: `t'${i}\\` }]);
      else {
        const n = i * 10;
        expect(rows).toEqual([{ c: n, s: (n * (n - 1)) / 2 }]);
      }
    }
  });

  it("200 parameterized queries in parallel never see each other's values", async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const rs = await ch.query({
          query: "SELECT {a:UInt32} AS a, {b:String} AS b",
          query_params: { a: i, b: `b${i}` },
          format: "JSONEachRow",
        });
        return (await rs.json<{ a: number; b: string }>())[0];
      }),
    );
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => ({ a: i, b: `b${i}` })));
  });

  it("parallel inserts all land", async () => {
    await ch.command({ query: "CREATE TABLE par_ins (w UInt32, n UInt32) ENGINE = MergeTree ORDER BY (w, n)" });
    await Promise.all(
      Array.from({ length: 20 }, (_, w) =>
        ch.insert({ table: "par_ins", format: "JSONEachRow", values: Array.from({ length: 100 }, (_, n) => ({ w, n })) }),
      ),
    );
    const rs = await ch.query({ query: "SELECT count() AS c, uniqExact(w) AS u FROM par_ins", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ c: 2000, u: 20 }]);
  });

  it("a slow query does not block a fast one", async () => {
    let slowDone = false;
    const slow = ch.query({ query: "SELECT sleep(1) AS s", format: "JSONEachRow" }).then(async (r) => {
      await r.json();
      slowDone = true;
    });
    const rs = await ch.query({ query: "SELECT 1 AS x", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ x: 1 }]);
    expect(slowDone).toBe(false);
    await slow;
  });
});
