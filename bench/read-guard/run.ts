/**
 * What the read guard (ClickHouse's own parse of every read, cached per
 * isolate) adds to a call, next to the same call without it, measured in one
 * run against the local ClickHouse (a real server process):
 *
 * - endpoint: the compiled SQL of a 3-node pipe; with the guard = guardRead
 *   then the query; without = the query alone.
 * - /v0/sql: a user statement; with the guard = canonical re-printing by
 *   ClickHouse, the table rewrite, guardRead, then the query; without = the
 *   rewritten query alone.
 *
 * "cached": the same SQL every call (a dashboard's repeated call: verdict and
 * canonical form come from the isolate's cache). "uncached": a new literal every
 * call, so every check asks ClickHouse (EXPLAIN AST + formatQuerySingleLine in
 * parallel; plus the canonical form for /v0/sql). The baseline for each uses
 * the same literals. Modes run interleaved in a fresh random order each
 * iteration; the guard's own time is also timed alone.
 *
 * Run: npx tsx bench/read-guard/run.ts [--iterations 400]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@clickhouse/client-web";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { canonicalSql, guardRead } from "../../workers/clickhouse/read-guard.js";
import { rewriteTables } from "../../shared/sql/rewrite/index.js";

const { values } = parseArgs({ options: { iterations: { type: "string", default: "400" } } });
const ITERATIONS = Number(values.iterations);
const DB = "tern_benchguard";

const dataDir = await mkdtemp(join(tmpdir(), "tern-bench-guard-"));
const server = await spawnLocalClickHouse({ port: 0, dataDir, user: "bench", password: "bench-password" });
const ch = createClient({ url: server.url, username: "bench", password: "bench-password" });
const load0 = loadavg();

try {
  await ch.command({ query: `CREATE DATABASE ${DB}` });
  await ch.command({ query: `CREATE TABLE ${DB}.events_1 (timestamp DateTime, tenant LowCardinality(String), pathname String, value Int64) ENGINE = MergeTree ORDER BY (tenant, timestamp)` });
  await ch.command({
    query: `INSERT INTO ${DB}.events_1 SELECT toDateTime('2026-01-01 00:00:00') + number, concat('t', toString(number % 10)), concat('/p', toString(number % 50)), number FROM numbers(1000000)`,
  });

  const endpointSql = (tenant: string) => `WITH
filtered AS (
SELECT pathname, value FROM ${DB}.events_1 AS events
WHERE tenant = '${tenant}' AND timestamp >= toDateTime('2026-01-01 00:00:00')
),
aggregated AS (
SELECT pathname, count() AS views, sum(value) AS total FROM filtered GROUP BY pathname
)
SELECT * FROM aggregated ORDER BY views DESC, pathname LIMIT 10`;
  const userSql = (tenant: string) => `SELECT pathname, count() AS views FROM events WHERE tenant = '${tenant}' GROUP BY pathname ORDER BY views DESC LIMIT 10`;
  const rewrite = (sql: string) => {
    const r = rewriteTables(sql, (name, db) => (db === undefined && name === "events" ? { database: DB, table: "events_1" } : undefined));
    if (!r.ok) throw new Error(r.error.message);
    return r.sql;
  };
  const run = async (sql: string) => {
    const rs = await ch.exec({ query: `${sql}\nFORMAT JSON`, clickhouse_settings: { readonly: "1" } });
    await new Response(rs.stream as ReadableStream<Uint8Array>).arrayBuffer();
  };

  let n = 0;
  const fresh = () => `t${n++ % 10}' AND ${n} > 0 AND 't' = 't`; // a new literal: new SQL text, same rows
  const modes: Record<string, () => Promise<void>> = {
    "endpoint, no guard": () => run(endpointSql("t1")),
    "endpoint, guard cached": async () => {
      await guardRead(ch, endpointSql("t1"), DB);
      await run(endpointSql("t1"));
    },
    "endpoint, no guard (new literal)": () => run(endpointSql(fresh())),
    "endpoint, guard uncached": async () => {
      const sql = endpointSql(fresh());
      await guardRead(ch, sql, DB);
      await run(sql);
    },
    "/v0/sql, no guard": () => run(rewrite(userSql("t1"))),
    "/v0/sql, guard cached": async () => {
      const sql = rewrite(await canonicalSql(ch, userSql("t1")));
      await guardRead(ch, sql, DB);
      await run(sql);
    },
    "/v0/sql, no guard (new literal)": () => run(rewrite(userSql(fresh()))),
    "/v0/sql, guard uncached": async () => {
      const sql = rewrite(await canonicalSql(ch, userSql(fresh())));
      await guardRead(ch, sql, DB);
      await run(sql);
    },
    "guard alone, cached": async () => {
      await guardRead(ch, endpointSql("t1"), DB);
    },
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
  for (const fn of Object.values(modes)) await fn(); // warm up, fill the caches
  for (let i = 0; i < ITERATIONS; i++) {
    const order = Object.keys(modes).sort(() => Math.random() - 0.5);
    for (const name of order) {
      const t0 = performance.now();
      await modes[name]!();
      times[name]!.push(performance.now() - t0);
    }
  }
  const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  const p50 = (name: string) => pct(times[name]!, 50);
  const load1 = loadavg();
  console.log(`read guard, ${ITERATIONS} iterations per mode, interleaved; ${cpus().length} cores; load ${load0[0]!.toFixed(2)} -> ${load1[0]!.toFixed(2)}`);
  console.log("mode                                   p50 ms   p95 ms");
  for (const name of Object.keys(modes)) console.log(`${name.padEnd(38)} ${p50(name).toFixed(3).padStart(7)}  ${pct(times[name]!, 95).toFixed(3).padStart(7)}`);
  const added = (withGuard: string, without: string) => {
    const d = p50(withGuard) - p50(without);
    return `${d >= 0 ? "+" : ""}${d.toFixed(3)} ms (${(p50(withGuard) / p50(without)).toFixed(2)}x of the call without it)`;
  };
  console.log("\nwhat the guard adds at p50:");
  console.log(`  endpoint, cached:   ${added("endpoint, guard cached", "endpoint, no guard")}`);
  console.log(`  endpoint, uncached: ${added("endpoint, guard uncached", "endpoint, no guard (new literal)")}`);
  console.log(`  /v0/sql, cached:    ${added("/v0/sql, guard cached", "/v0/sql, no guard")}`);
  console.log(`  /v0/sql, uncached:  ${added("/v0/sql, guard uncached", "/v0/sql, no guard (new literal)")}`);
  console.log(`  the cached check alone: p50 ${(p50("guard alone, cached") * 1000).toFixed(1)} µs (target <= 300 µs)`);
} finally {
  await ch.close();
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
