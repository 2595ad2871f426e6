/**
 * Local ClickHouse server vs chDB in-process, in one run:
 *   - insert 1M rows of JSONEachRow (10 batches of 100k rows) each way
 *   - run one aggregate query N times each way
 * Prints insert rows/s, query p50/p99 for both, and the ratios.
 *
 *   npx tsx bench/clickhouse-local/run.ts [--rows 1000000] [--queries 50]
 */
import { createClient } from "@clickhouse/client-web";
import { Session } from "chdb";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";

const { values } = parseArgs({
  options: { rows: { type: "string", default: "1000000" }, queries: { type: "string", default: "50" } },
});
const ROWS = Number(values.rows);
const QUERIES = Number(values.queries);
const BATCH = 100_000;
const DDL = "CREATE TABLE bench (id UInt64, user_id UInt32, event LowCardinality(String), value Float64, ts DateTime) ENGINE = MergeTree ORDER BY (user_id, id)";
const AGG = "SELECT event, count() AS c, uniqExact(user_id) AS u, round(avg(value), 6) AS a, max(ts) AS m FROM bench GROUP BY event ORDER BY event";
const EVENTS = ["view", "click", "purchase", "signup", "logout"];

function batchBody(start: number, n: number): Uint8Array<ArrayBuffer> {
  const lines: string[] = [];
  for (let i = start; i < start + n; i++) {
    lines.push(
      JSON.stringify({ id: i, user_id: i % 50_000, event: EVENTS[i % 5], value: (i % 1000) / 10, ts: 1_700_000_000 + (i % 86_400) }),
    );
  }
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error("benchmark exceeded 5 minutes; aborting");
    process.exit(1);
  }, 300_000);
  deadline.unref();

  const batches: Uint8Array<ArrayBuffer>[] = [];
  for (let s = 0; s < ROWS; s += BATCH) batches.push(batchBody(s, Math.min(BATCH, ROWS - s)));
  const totalBytes = batches.reduce((a, b) => a + b.length, 0);
  console.log(`payload: ${ROWS} rows, ${(totalBytes / 1e6).toFixed(1)} MB JSONEachRow in ${batches.length} batches; ${QUERIES} queries each way`);

  const serverDir = await mkdtemp(join(tmpdir(), "tern-bench-server-"));
  const directDir = await mkdtemp(join(tmpdir(), "tern-bench-direct-"));
  const server = await spawnLocalClickHouse({ port: 0, dataDir: serverDir });
  try {
    // --- through the local server (HTTP, @clickhouse/client-web) ---
    const ch = createClient({ url: server.url, request_timeout: 120_000 });
    await ch.command({ query: DDL });
    const serverInsertMs = await timeIt(async () => {
      for (const b of batches) {
        const res = await fetch(`${server.url}/?query=${encodeURIComponent("INSERT INTO bench FORMAT JSONEachRow")}`, { method: "POST", body: b });
        if (res.status !== 200) throw new Error(await res.text());
      }
    });
    // Settle background merges so the query timings compare like with like.
    await ch.command({ query: "OPTIMIZE TABLE bench FINAL" });
    const serverQ: number[] = [];
    let serverResult = "";
    for (let i = 0; i < QUERIES; i++) {
      serverQ.push(
        await timeIt(async () => {
          const rs = await ch.query({ query: AGG, format: "JSONEachRow" });
          serverResult = JSON.stringify(await rs.json());
        }),
      );
    }
    await ch.close();

    // --- chDB in this process ---
    const db = new Session(directDir);
    await db.queryAsync(DDL);
    const directInsertMs = await timeIt(async () => {
      for (const b of batches) await db.insert({ table: "bench", values: b, format: "JSONEachRow" });
    });
    await db.queryAsync("OPTIMIZE TABLE bench FINAL");
    const directQ: number[] = [];
    let directResult = "";
    for (let i = 0; i < QUERIES; i++) {
      directQ.push(
        await timeIt(async () => {
          const r = await db.queryAsync(AGG, { format: "JSONEachRow" });
          directResult = JSON.stringify(r.text().trim().split("\n").map((l) => JSON.parse(l) as unknown));
        }),
      );
    }
    db.close();
    if (serverResult !== directResult) throw new Error(`results differ:\n${serverResult}\n${directResult}`);

    serverQ.sort((a, b) => a - b);
    directQ.sort((a, b) => a - b);
    const sIns = ROWS / (serverInsertMs / 1000);
    const dIns = ROWS / (directInsertMs / 1000);
    const row = (name: string, ins: number, q: number[]) =>
      `${name.padEnd(22)} ${Math.round(ins).toLocaleString("en-US").padStart(12)} rows/s   p50 ${pct(q, 50).toFixed(1).padStart(7)} ms   p99 ${pct(q, 99).toFixed(1).padStart(7)} ms`;
    console.log(row("local server (HTTP)", sIns, serverQ));
    console.log(row("chDB in-process", dIns, directQ));
    console.log(
      `ratio server/direct:   insert throughput ${(sIns / dIns).toFixed(2)}x   query p50 ${(pct(serverQ, 50) / pct(directQ, 50)).toFixed(2)}x   p99 ${(pct(serverQ, 99) / pct(directQ, 99)).toFixed(2)}x`,
    );
  } finally {
    await server.stop();
    await rm(serverDir, { recursive: true, force: true });
    await rm(directDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
