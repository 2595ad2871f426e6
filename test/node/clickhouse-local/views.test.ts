/**
 * Materialized views across requests. Every request runs on its own chDB
 * connection, so these pin down that view DDL acknowledged on one connection
 * is honoured by the very next insert on another one, whatever else runs —
 * and that rows which vanish after an insert do so because of TTL merges, not
 * because a view was skipped (the cause of the old ddl-accepted.test.ts flake).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, freshDatabase, http } from "./helpers.js";

const DB = "chl_views_test";
let ch: ClickHouseClient;

beforeAll(async () => {
  await freshDatabase(DB);
  ch = client({ database: DB, max_open_connections: 20 });
});
afterAll(async () => {
  await ch.close();
});

async function count(table: string): Promise<number> {
  const rs = await ch.query({ query: `SELECT count() AS n FROM ${DB}.${table}`, format: "JSONEachRow" });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}

/** An insert through the raw-insert path (query in the URL, rows in the body); returns written_rows. */
async function rawInsert(table: string, ndjson: string): Promise<number> {
  const res = await http({ query: `INSERT INTO ${DB}.${table} FORMAT JSONEachRow` }, { method: "POST", body: ndjson });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return Number(JSON.parse(res.headers.get("x-clickhouse-summary")!).written_rows);
}

/** DDL, parameterized reads and inserts on other connections until stopped. */
function background(): { stop: () => Promise<void> } {
  let stopped = false;
  const other = client({ max_open_connections: 10 });
  const workers = [0, 1, 2].map(async (w) => {
    for (let n = 0; !stopped; n++) {
      const name = `chl_views_bg_${w}_${n}`;
      if (w === 0) {
        await other.command({ query: `CREATE DATABASE ${name}` });
        await other.command({ query: `CREATE TABLE ${name}.t (x UInt32) ENGINE = MergeTree ORDER BY x` });
        await other.command({ query: `DROP DATABASE ${name}` });
      } else if (w === 1) {
        await other.command({ query: `CREATE TABLE ${DB}.${name} (x UInt32) ENGINE = MergeTree ORDER BY x` });
        await other.insert({ table: `${DB}.${name}`, format: "JSONEachRow", values: [{ x: n }] });
        await other.command({ query: `DROP TABLE ${DB}.${name}` });
      } else {
        const rs = await other.query({ query: "SELECT {n:UInt32} AS n", query_params: { n }, format: "JSONEachRow" });
        await rs.json();
      }
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      await other.close();
    },
  };
}

describe("materialized views across connections", () => {
  it("a view acknowledged on one request fires for the next insert, 50× under concurrent DDL", async () => {
    const bg = background();
    try {
      for (let i = 0; i < 50; i++) {
        await ch.command({ query: `CREATE TABLE src_${i} (k UInt32, v Float32) ENGINE = MergeTree ORDER BY k` });
        await ch.command({
          query: `CREATE TABLE agg_${i} (k UInt32, n AggregateFunction(count), s AggregateFunction(sum, Float32)) ENGINE = AggregatingMergeTree ORDER BY k`,
        });
        await ch.command({
          query: `CREATE MATERIALIZED VIEW mv_${i} TO agg_${i} AS SELECT k, countState() AS n, sumState(v) AS s FROM src_${i} GROUP BY k`,
        });
        // Three insert paths: raw (body data), INSERT … VALUES, INSERT … FORMAT with inline data.
        if (i % 3 === 0) {
          // 2 source rows + 1 aggregated row written by the view.
          expect(await rawInsert(`src_${i}`, '{"k":1,"v":1.5}\n{"k":1,"v":2.5}\n')).toBe(3);
        } else if (i % 3 === 1) {
          await ch.command({ query: `INSERT INTO src_${i} VALUES (1, 1.5), (1, 2.5)` });
        } else {
          await ch.command({ query: `INSERT INTO src_${i} FORMAT JSONEachRow\n{"k":1,"v":1.5}\n{"k":1,"v":2.5}` });
        }
        const rs = await ch.query({
          query: `SELECT k, toString(countMerge(n)) AS n, toString(sumMerge(s)) AS s FROM agg_${i} GROUP BY k`,
          format: "JSONEachRow",
        });
        expect({ i, rows: await rs.json() }).toEqual({ i, rows: [{ k: 1, n: "2", s: "4" }] });
      }
    } finally {
      await bg.stop();
    }
  });

  it("ALTER … MODIFY QUERY, RENAME and DROP of a view take effect for the very next insert", async () => {
    const bg = background();
    try {
      for (let i = 0; i < 10; i++) {
        await ch.command({ query: `CREATE TABLE s2_${i} (k UInt32) ENGINE = MergeTree ORDER BY k` });
        await ch.command({ query: `CREATE TABLE d2_${i} (k UInt32, tag String) ENGINE = MergeTree ORDER BY (tag, k)` });
        await ch.command({ query: `CREATE MATERIALIZED VIEW v2_${i} TO d2_${i} AS SELECT k, 'a' AS tag FROM s2_${i}` });
        expect(await rawInsert(`s2_${i}`, '{"k":1}\n')).toBe(2);
        await ch.command({ query: `ALTER TABLE v2_${i} MODIFY QUERY SELECT k, 'b' AS tag FROM s2_${i}` });
        expect(await rawInsert(`s2_${i}`, '{"k":2}\n')).toBe(2);
        await ch.command({ query: `RENAME TABLE v2_${i} TO v2r_${i}` });
        expect(await rawInsert(`s2_${i}`, '{"k":3}\n')).toBe(2);
        await ch.command({ query: `DROP VIEW v2r_${i}` });
        expect(await rawInsert(`s2_${i}`, '{"k":4}\n')).toBe(1);
        const rs = await ch.query({ query: `SELECT k, tag FROM d2_${i} ORDER BY k`, format: "JSONEachRow" });
        expect({ i, rows: await rs.json() }).toEqual({
          i,
          rows: [
            { k: 1, tag: "a" },
            { k: 2, tag: "b" },
            { k: 3, tag: "b" },
          ],
        });
      }
    } finally {
      await bg.stop();
    }
  });

  it("rows already past their TTL are removed by a background merge right after the insert; the view did fire", async () => {
    const ttl = "ENGINE = MergeTree PARTITION BY toYYYYMM(d) ORDER BY d TTL d + INTERVAL 30 DAY";
    await ch.command({ query: `CREATE TABLE ttl_src (d Date, x UInt32) ${ttl}` });
    await ch.command({ query: `CREATE TABLE ttl_dst (d Date, x UInt32) ${ttl}` });
    await ch.command({ query: "CREATE MATERIALIZED VIEW ttl_mv TO ttl_dst AS SELECT d, x FROM ttl_src" });
    const today = new Date().toISOString().slice(0, 10);
    // Both inserts cascade through the view: 1 source row + 1 view row each.
    expect(await rawInsert("ttl_src", '{"d":"2020-01-01","x":1}\n')).toBe(2);
    expect(await rawInsert("ttl_src", `{"d":"${today}","x":2}\n`)).toBe(2);
    // The expired row is gone within moments (chDB runs background merges, TTL merges included) …
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await count("ttl_dst")) > 1) await new Promise((r) => setTimeout(r, 20));
    // … the current one stays.
    const rs = await ch.query({ query: "SELECT toString(d) AS d, x FROM ttl_dst", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ d: today, x: 2 }]);
  });
});
