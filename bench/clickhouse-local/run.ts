/**
 * Local ClickHouse server (HTTP, a child process) vs chDB in this process,
 * interleaved so outside load hits both alike. Every round runs, for each mode:
 *   - inserts: `--batches` JSONEachRow batches of 100k rows, batch by batch,
 *     alternating which mode goes first;
 *   - an aggregate (`GROUP BY` with count, uniqExact, avg, max) `--queries`
 *     times, alternating query by query; the two result sets must match;
 *   - `SELECT 1` `--pings` times, in alternating blocks of 10 (the server
 *     over one keep-alive HTTP connection).
 * Prints per-round ratios server/direct (paired), their median and spread,
 * the load average per round, and the CPU used per second by this process
 * (the client, and the engine in direct mode) and the server process, read
 * from /proc, naming the bottleneck.
 *
 *   npx tsx bench/clickhouse-local/run.ts [--rounds 5] [--batches 4] [--queries 20] [--pings 200]
 */
import { createClient } from "@clickhouse/client-web";
import { Session } from "chdb";
import { mkdtemp, rm } from "node:fs/promises";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { CpuMeter, formatSpread, interleave, loadLine, machineLine, pairedRatios, percentile, spread } from "../lib/measure.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    batches: { type: "string", default: "4" },
    queries: { type: "string", default: "20" },
    pings: { type: "string", default: "200" },
  },
});
const ROUNDS = Number(values.rounds);
const BATCHES = Number(values.batches);
const QUERIES = Number(values.queries);
const PINGS = Number(values.pings);
const BATCH_ROWS = 100_000;
const AGG_ROWS = 1_000_000;
const DDL = (t: string) =>
  `CREATE TABLE ${t} (id UInt64, user_id UInt32, event LowCardinality(String), value Float64, ts DateTime) ENGINE = MergeTree ORDER BY (user_id, id)`;
const AGG = "SELECT event, count() AS c, uniqExact(user_id) AS u, round(avg(value), 6) AS a, max(ts) AS m FROM bench GROUP BY event ORDER BY event";
const EVENTS = ["view", "click", "purchase", "signup", "logout"];
const MODES = ["server", "direct"] as const;
type Mode = (typeof MODES)[number];

function batchBody(start: number, n: number): Buffer {
  const lines: string[] = [];
  for (let i = start; i < start + n; i++) {
    lines.push(JSON.stringify({ id: i, user_id: i % 50_000, event: EVENTS[i % 5], value: (i % 1000) / 10, ts: 1_700_000_000 + (i % 86_400) }));
  }
  return Buffer.from(lines.join("\n") + "\n");
}

/** One request over the keep-alive agent; resolves with the status and body. */
function post(agent: Agent, base: string, query: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/?query=${encodeURIComponent(query)}`, { method: "POST", agent }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error("benchmark exceeded 10 minutes; aborting");
    process.exit(1);
  }, 600_000);
  deadline.unref();

  const batches: Buffer[] = [];
  for (let b = 0; b < BATCHES; b++) batches.push(batchBody(b * BATCH_ROWS, BATCH_ROWS));
  const batchMb = batches[0]!.length / 1e6;
  console.log(machineLine());
  console.log(
    `${ROUNDS} rounds; per round and mode: ${BATCHES} inserts of ${BATCH_ROWS} rows (${batchMb.toFixed(1)} MB JSONEachRow each), ` +
      `${QUERIES} aggregates over ${AGG_ROWS} rows, ${PINGS} x SELECT 1. Order alternates within every round.`,
  );

  const serverDir = await mkdtemp(join(tmpdir(), "tern-bench-server-"));
  const directDir = await mkdtemp(join(tmpdir(), "tern-bench-direct-"));
  const server = await spawnLocalClickHouse({ port: 0, dataDir: serverDir });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ch = createClient({ url: server.url, request_timeout: 120_000, keep_alive: { enabled: true } });
  const db = new Session(directDir);
  const cpu = new CpuMeter({ bench: [process.pid], server: [server.pid] });
  try {
    // Both sides: an insert target, and the aggregate's table loaded once and merged.
    for (const t of ["bench", "ins"]) {
      const r = await post(agent, server.url, DDL(t));
      if (r.status !== 200) throw new Error(r.text);
      await db.queryAsync(DDL(t));
    }
    for (let s = 0; s < AGG_ROWS; s += BATCH_ROWS) {
      const b = batchBody(s, BATCH_ROWS);
      const r = await post(agent, server.url, "INSERT INTO bench FORMAT JSONEachRow", b);
      if (r.status !== 200) throw new Error(r.text);
      await db.insert({ table: "bench", values: b, format: "JSONEachRow" });
    }
    await post(agent, server.url, "OPTIMIZE TABLE bench FINAL");
    await db.queryAsync("OPTIMIZE TABLE bench FINAL");

    const insertMs: Record<Mode, number[]> = { server: [], direct: [] };
    /** Throughput ratio server/direct of each batch, from the two inserts of it that ran back to back. */
    const batchRatios: number[] = [];
    const aggP50: Record<Mode, number[]> = { server: [], direct: [] };
    const pingP50: Record<Mode, number[]> = { server: [], direct: [] };
    const results: Record<Mode, string> = { server: "", direct: "" };
    const ops: Record<Mode, Record<"agg" | "ping", () => Promise<void>>> = {
      server: {
        agg: async () => {
          const rs = await ch.query({ query: AGG, format: "JSONEachRow" });
          results.server = JSON.stringify(await rs.json());
        },
        ping: async () => {
          const r = await post(agent, server.url, "SELECT 1");
          if (r.text !== "1\n") throw new Error(r.text);
        },
      },
      direct: {
        agg: async () => {
          const r = await db.queryAsync(AGG, { format: "JSONEachRow" });
          results.direct = JSON.stringify(
            r
              .text()
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l) as unknown),
          );
        },
        ping: async () => {
          const r = await db.queryAsync("SELECT 1");
          if (r.text() !== "1\n") throw new Error(r.text());
        },
      },
    };
    const insertOne = async (mode: Mode, b: Buffer) => {
      if (mode === "server") {
        const r = await post(agent, server.url, "INSERT INTO ins FORMAT JSONEachRow", b);
        if (r.status !== 200) throw new Error(r.text);
      } else await db.insert({ table: "ins", values: b, format: "JSONEachRow" });
    };

    const loads: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      loads.push(loadLine());
      // Inserts: batch by batch, the first mode alternating.
      const ms: Record<Mode, number> = { server: 0, direct: 0 };
      for (let i = 0; i < BATCHES; i++) {
        const one: Record<Mode, number> = { server: 0, direct: 0 };
        for (const mode of (i + round) % 2 === 0 ? MODES : [...MODES].reverse()) {
          cpu.begin(`insert ${mode}`);
          const t = performance.now();
          await insertOne(mode, batches[i]!);
          one[mode] = performance.now() - t;
          ms[mode] += one[mode];
          cpu.end(`insert ${mode}`);
        }
        batchRatios.push(one.direct / one.server);
      }
      for (const m of MODES) insertMs[m].push(ms[m]);
      // Aggregates, query by query.
      const agg: Record<Mode, number[]> = { server: [], direct: [] };
      for (const { mode } of interleave(MODES, QUERIES, { shuffle: true, seed: round + 1 })) {
        cpu.begin(`aggregate ${mode}`);
        const t = performance.now();
        await ops[mode].agg();
        agg[mode].push(performance.now() - t);
        cpu.end(`aggregate ${mode}`);
      }
      if (results.server !== results.direct) throw new Error(`results differ:\n${results.server}\n${results.direct}`);
      for (const m of MODES) aggP50[m].push(percentile(agg[m], 50));
      // SELECT 1, in blocks of 10.
      const ping: Record<Mode, number[]> = { server: [], direct: [] };
      for (const { mode } of interleave(MODES, Math.ceil(PINGS / 10), { shuffle: true, seed: 100 + round })) {
        cpu.begin(`SELECT 1 ${mode}`);
        for (let k = 0; k < 10; k++) {
          const t = performance.now();
          await ops[mode].ping();
          ping[mode].push(performance.now() - t);
        }
        cpu.end(`SELECT 1 ${mode}`);
      }
      for (const m of MODES) pingP50[m].push(percentile(ping[m], 50));
      const rate = (m: Mode) => (BATCHES * BATCH_ROWS) / (insertMs[m][round]! / 1000);
      console.log(
        `round ${round + 1}: insert ${Math.round(rate("server")).toLocaleString("en-US")} vs ${Math.round(rate("direct")).toLocaleString("en-US")} rows/s (${(rate("server") / rate("direct")).toFixed(3)}x), ` +
          `aggregate p50 ${aggP50.server[round]!.toFixed(1)} vs ${aggP50.direct[round]!.toFixed(1)} ms, ` +
          `SELECT 1 p50 ${pingP50.server[round]!.toFixed(3)} vs ${pingP50.direct[round]!.toFixed(3)} ms; ${loads[round]}`,
      );
    }
    loads.push(loadLine());

    const rows = BATCHES * BATCH_ROWS;
    const rates = (m: Mode) => insertMs[m].map((t) => rows / (t / 1000));
    console.log("\nserver = local server over HTTP (keep-alive), direct = chDB in this process; per-round figures:");
    console.log(`insert rows/s      server ${formatSpread(spread(rates("server")), 0)}`);
    console.log(`                   direct ${formatSpread(spread(rates("direct")), 0)}`);
    console.log(`aggregate p50 ms   server ${formatSpread(spread(aggP50.server), 1)}`);
    console.log(`                   direct ${formatSpread(spread(aggP50.direct), 1)}`);
    console.log(`SELECT 1 p50 ms    server ${formatSpread(spread(pingP50.server), 3)}`);
    console.log(`                   direct ${formatSpread(spread(pingP50.direct), 3)}`);
    console.log("ratios server/direct, paired by round:");
    console.log(`  insert throughput  ${formatSpread(spread(pairedRatios(rates("server"), rates("direct"))), 3, "x")}`);
    console.log(`    (by batch pair)  ${formatSpread(spread(batchRatios), 3, "x")}`);
    console.log(`  aggregate p50      ${formatSpread(spread(pairedRatios(aggP50.server, aggP50.direct)), 3, "x")}`);
    console.log(`  SELECT 1 p50       ${formatSpread(spread(pairedRatios(pingP50.server, pingP50.direct)), 3, "x")}`);
    console.log(`\nCPU per wall second during each phase (from /proc; bench = this process: client, and the engine in direct mode):`);
    console.log(cpu.report());
    // CPU time per operation hardly depends on how long the machine made us wait: the cost figure under load.
    const perOp = (label: string, n: number) => {
      const t = cpu.totals(label)!;
      const all = Object.values(t.cpu).reduce((a, b) => a + b, 0);
      return { ms: (all * 1000) / n, text: `${((all * 1000) / n).toFixed(2)} ms (${Object.entries(t.cpu).map(([g, v]) => `${g} ${((v * 1000) / n).toFixed(2)}`).join(" + ")})` };
    };
    console.log("\nCPU per operation, both processes together:");
    for (const [phase, n] of [["insert", ROUNDS * BATCHES], ["aggregate", ROUNDS * QUERIES], ["SELECT 1", ROUNDS * Math.ceil(PINGS / 10) * 10]] as const) {
      const s = perOp(`${phase} server`, n);
      const d = perOp(`${phase} direct`, n);
      console.log(`  ${phase.padEnd(9)} server ${s.text}; direct ${d.text}; server/direct ${(s.ms / d.ms).toFixed(3)}x`);
    }
    console.log(`\nload at each round's start and at the end: ${loads.map((l) => l.replace(/^load /, "").replace(/ \(\d+ cores\)$/, "")).join(" | ")}`);
  } finally {
    await ch.close();
    agent.destroy();
    db.close();
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
