/**
 * bench/ingest: NDJSON through the Events API of `npm run dev` (wrangler dev +
 * local ClickHouse) against the same bytes inserted straight into the same
 * ClickHouse. The four modes — direct INSERT, Events API `wait=true` and queued
 * through `npm run dev` (wrangler's proxy in front), and `wait=true` on the
 * socket of a workerd running only the Worker (bench/lib/tern-worker.ts: what
 * Cloudflare runs, so its CPU is the Worker's own), and a forwarding Worker
 * with no Tern code that sends the body on to ClickHouse as the direct
 * INSERT's data (the floor of a Worker that passes bytes through) — run in shuffled blocks, one block of each per round, over
 * several rounds (bench/lib/measure.ts), so a change of outside load hits every
 * mode alike. Per block: the sustained rate (until the block's rows landed and
 * ClickHouse's merges settled), CPU ms per MB by process from /proc
 * (ClickHouse and its merges, workerd, wrangler, this client) and the load.
 * Prints per mode the median and spread, the ratios to direct paired within
 * each round, the bottleneck process, and the edge's validation CPU per MB
 * (the Worker's own code, timed in-process).
 *
 *   npx tsx bench/ingest/run.ts [--rounds 6] [--seconds 8] [--concurrency 4] [--rows-per-request 5000]
 */
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@clickhouse/client-web";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { deployFiles } from "../../test/e2e/helpers/deploy-files.js";
import { startDevPlatform } from "../../test/e2e/helpers/dev-platform.js";
import { startTernWorker, type TernWorker } from "../lib/tern-worker.js";
import { startForwardingWorker, type ForwardingWorker } from "../lib/forwarding-worker.js";
import { descendantsOf, freePort } from "../../test/e2e/helpers/processes.js";
import { parseDatafile } from "../../shared/datafiles/index.js";
import { compileRowValidator, validateNdjson } from "../../shared/ingest/index.js";
import { DATASOURCE, makeBody } from "./body.js";
import { cpuSeconds, formatSpread, interleave, load1, loadLine, machineLine, pairedRatios, spread } from "../lib/measure.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "6" },
    seconds: { type: "string", default: "8" },
    concurrency: { type: "string", default: "4" },
    "rows-per-request": { type: "string", default: "5000" },
  },
});
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const ROWS = Number(args["rows-per-request"]);

/** CPU seconds of the threads of `pid` whose name matches `name` (e.g. ClickHouse's merge threads). */
function threadCpuSeconds(pid: number, name: RegExp): number {
  let total = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (!name.test(readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim())) continue;
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        total += (Number(f[11]) + Number(f[12])) / 100;
      } catch {
        // The thread exited.
      }
    }
  } catch {
    // The process exited.
  }
  return total;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

type Mode = "direct" | "wait=true" | "queued" | "wait=true, own socket" | "forwarding Worker";
const MODES: readonly Mode[] = ["direct", "wait=true", "queued", "wait=true, own socket", "forwarding Worker"];

interface Block {
  round: number;
  mode: Mode;
  /** Sustained MB/s: sent bytes over the time until they landed and merges settled. */
  mbps: number;
  /** CPU ms per MB sent, by process group. */
  cpuPerMb: Record<string, number>;
  load: number;
}

async function main(): Promise<void> {
  const chDir = await mkdtemp(join(tmpdir(), "tern-bench-ingest-"));
  const credentials = { user: "bench", password: "bench-password" };
  const ch = await spawnLocalClickHouse({ port: await freePort(), dataDir: chDir, ...credentials });
  const platform = await startDevPlatform([...(process.env.BENCH_DEV_ARGS ? process.env.BENCH_DEV_ARGS.split(" ") : []), "--clickhouse-url", ch.url, "--clickhouse-user", credentials.user, "--clickhouse-password", credentials.password]);
  let own: TernWorker | undefined;
  let forwarder: ForwardingWorker | undefined;
  try {
    await deployFiles(platform, { "bench_events.datasource": DATASOURCE });
    // The same Worker on a workerd of its own, called on its own socket: no wrangler dev proxy,
    // no Miniflare entry router (neither runs on Cloudflare), so its CPU is the Worker's alone.
    own = await startTernWorker({ dataDir: platform.dataDir });
    // The floor of any Worker that passes the bytes through: no Tern code, the body read and
    // sent on to ClickHouse as the direct INSERT's data (bench/lib/forwarding-worker.ts).
    forwarder = await startForwardingWorker({ upstream: `${ch.url}/`, compatibilityDate: "2026-04-20", compatibilityFlags: ["nodejs_compat", "no_nodejs_global_timers"] });
    const client = createClient({ url: ch.url, username: credentials.user, password: credentials.password });
    const [t] = await (await client.query({ query: "SELECT database, name FROM system.tables WHERE name LIKE 'bench_events__%' AND name NOT LIKE '%quarantine%'", format: "JSONEachRow" })).json<{ database: string; name: string }>();
    const tern = `${t!.database}.${t!.name}`;
    const baselineTable = `${t!.database}.direct_baseline`;
    await client.command({ query: `CREATE TABLE ${baselineTable} AS ${tern}` });
    const forwardTable = `${t!.database}.forward_baseline`;
    await client.command({ query: `CREATE TABLE ${forwardTable} AS ${tern}` });
    const bodies = Array.from({ length: 8 }, (_, i) => makeBody(i, ROWS));
    const mb = Buffer.byteLength(bodies[0]!) / 1048576;
    console.log(machineLine());
    console.log(`body ${ROWS} events = ${mb.toFixed(2)} MB; ${CONCURRENCY} concurrent senders; ${ROUNDS} rounds of ${MODES.join(" / ")} in shuffled order, ${SECONDS} s of sending per block`);

    // Edge validation CPU: the Worker's own code on the same bodies.
    const parsed = parseDatafile({ path: "bench_events.datasource", text: DATASOURCE });
    if (!parsed.ok || parsed.file.kind !== "datasource") throw new Error("datasource did not parse");
    const validator = compileRowValidator(parsed.file.columns);
    const validationMs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const cpuStart = process.cpuUsage();
      for (const b of bodies) validateNdjson(b, validator, { importId: "bench", now: Date.now() });
      const cpu = process.cpuUsage(cpuStart);
      validationMs.push((cpu.user + cpu.system) / 1000 / (mb * bodies.length));
    }

    // Background merges of the parts a block wrote belong to that block: each
    // block ends only when ClickHouse has no merge left.
    const settle = async (): Promise<void> => {
      const until = Date.now() + 120_000;
      let quiet = 0;
      while (quiet < 3 && Date.now() < until) {
        const [m] = await (await client.query({ query: "SELECT count() AS c FROM system.merges", format: "JSONEachRow" })).json<{ c: string }>();
        quiet = Number(m!.c) === 0 ? quiet + 1 : 0;
        if (quiet < 3) await new Promise((r) => setTimeout(r, 500));
      }
    };

    const platformPids = descendantsOf(platform.child.pid!);
    const groups = (): Record<string, number[]> => ({
      ClickHouse: [ch.pid],
      workerd: platformPids.filter((pid) => /workerd/.test(commandOf(pid))),
      "Worker's own workerd": own!.pids,
      "forwarding workerd": forwarder!.pids,
      wrangler: platformPids.filter((pid) => /wrangler-dist\/cli\.js/.test(commandOf(pid))),
      client: [process.pid],
    });
    const sampleCpu = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const [name, pids] of Object.entries(groups())) out[name] = pids.reduce((a, pid) => a + cpuSeconds(pid), 0);
      out["(ClickHouse merges)"] = threadCpuSeconds(ch.pid, /^MergeMutate/);
      return out;
    };
    const count = async (table: string) => Number((await (await client.query({ query: `SELECT count() AS c FROM ${table}`, format: "JSONEachRow" })).json<{ c: string }>())[0]!.c);

    const events = (wait: boolean, base = platform.baseUrl) => async (body: string) => {
      // A 503 means "not accepted, send again" (as Tinybird's SDKs do): the local
      // queue refuses sends when its in-memory backlog grows past what it can hold.
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${base}/v0/events?name=bench_events${wait ? "&wait=true" : ""}`, { method: "POST", headers: { authorization: `Bearer ${platform.adminToken}` }, body });
        const text = await res.text();
        if (res.status === (wait ? 200 : 202)) return;
        if (res.status !== 503 || attempt >= 20) throw new Error(`events: ${res.status} ${text}`);
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    };
    const senders: Record<Mode, (body: string) => Promise<void>> = {
      direct: async (body) => {
        // Datasource tables deduplicate identical blocks (non_replicated_deduplication_window):
        // without a token of its own, a repeated body would be parsed, then dropped unwritten.
        await client.command({
          query: `INSERT INTO ${baselineTable} FORMAT JSONEachRow\n${body}`,
          clickhouse_settings: { date_time_input_format: "best_effort", insert_deduplication_token: randomUUID() },
        });
      },
      "wait=true": events(true),
      queued: events(false),
      "wait=true, own socket": events(true, own.direct),
      "forwarding Worker": async (body) => {
        const query = new URLSearchParams({ query: `INSERT INTO ${forwardTable} FORMAT JSONEachRow`, date_time_input_format: "best_effort", insert_deduplication_token: randomUUID() });
        const res = await fetch(`${forwarder!.direct}/forward/?${query}`, { method: "POST", headers: { "x-clickhouse-user": credentials.user, "x-clickhouse-key": credentials.password }, body });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`forwarding Worker: ${res.status} ${text}`);
      },
    };

    const blocks: Block[] = [];
    let next = 0;
    for (const { round, mode } of interleave(MODES, ROUNDS, { shuffle: true, seed: 19 })) {
      const table = mode === "direct" ? baselineTable : mode === "forwarding Worker" ? forwardTable : tern;
      const before = await count(table);
      const cpu0 = sampleCpu();
      const started = Date.now();
      const deadline = started + SECONDS * 1000;
      let rows = 0;
      let bytes = 0;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < deadline) {
          const body = bodies[next++ % bodies.length]!;
          await senders[mode](body);
          rows += ROWS;
          bytes += Buffer.byteLength(body);
        }
      }));
      // Until every row of the block is in its table (the queued path lands later), then merges.
      while ((await count(table)) - before < rows && Date.now() - started < (SECONDS + 120) * 1000) await new Promise((r) => setTimeout(r, 250));
      const landed = (await count(table)) - before;
      if (landed !== rows) throw new Error(`${mode}, round ${round + 1}: ${rows} rows sent but ${landed} in the table`);
      await settle();
      const seconds = (Date.now() - started) / 1000 - 1; // minus settle()'s last idle polls
      const cpu1 = sampleCpu();
      const sentMb = bytes / 1048576;
      const cpuPerMb = Object.fromEntries(Object.keys(cpu1).map((k) => [k, ((cpu1[k]! - cpu0[k]!) * 1000) / sentMb]));
      const block: Block = { round, mode, mbps: sentMb / seconds, cpuPerMb, load: load1() };
      blocks.push(block);
      console.log(`round ${round + 1} ${mode.padEnd(21)} ${block.mbps.toFixed(2).padStart(6)} MB/s sustained (${rows} rows landed)  CPU ms/MB: ${Object.entries(cpuPerMb).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")}  load ${block.load.toFixed(2)}`);
    }

    const of = (mode: Mode) => Array.from({ length: ROUNDS }, (_, r) => blocks.find((b) => b.round === r && b.mode === mode)!);
    console.log(`\nevery row sent landed exactly once (counted per block); ${loadLine()}`);
    console.log("\nsustained MB/s (until landed and merged):");
    for (const mode of MODES) console.log(`  ${mode.padEnd(21)} ${formatSpread(spread(of(mode).map((b) => b.mbps)))}`);
    console.log("ratio to direct, paired by round:");
    for (const mode of MODES.slice(1)) console.log(`  ${mode.padEnd(21)} ${formatSpread(spread(pairedRatios(of(mode).map((b) => b.mbps), of("direct").map((b) => b.mbps))))}`);
    console.log("CPU ms per MB sent, by process (from /proc), median over rounds:");
    for (const mode of MODES) {
      const keys = Object.keys(of(mode)[0]!.cpuPerMb);
      const med = Object.fromEntries(keys.map((k) => [k, spread(of(mode).map((b) => b.cpuPerMb[k]!)).median]));
      const bottleneck = keys.filter((k) => !k.startsWith("(")).reduce((a, k) => (med[k]! > med[a]! ? k : a));
      console.log(`  ${mode.padEnd(21)} ${keys.map((k) => `${k} ${med[k]!.toFixed(1)}`).join(", ")}  -> bottleneck ${bottleneck}`);
    }
    console.log(`  workerd, wait=true: ${formatSpread(spread(of("wait=true").map((b) => b.cpuPerMb.workerd!)), 1, " ms/MB")}`);
    console.log(`  the Worker's own workerd, wait=true on its socket: ${formatSpread(spread(of("wait=true, own socket").map((b) => b.cpuPerMb["Worker's own workerd"]!)), 1, " ms/MB")}`);
    console.log(`  the forwarding Worker's workerd (floor: bytes in, bytes on): ${formatSpread(spread(of("forwarding Worker").map((b) => b.cpuPerMb["forwarding workerd"]!)), 1, " ms/MB")}`);
    console.log(`  workerd, queued:    ${formatSpread(spread(of("queued").map((b) => b.cpuPerMb.workerd!)), 1, " ms/MB")}`);
    console.log(`edge validation CPU (Worker code timed in Node): ${formatSpread(spread(validationMs), 1, " ms/MB")}`);
    console.log(`load per block: ${formatSpread(spread(blocks.map((b) => b.load)))}`);
  } finally {
    await own?.dispose();
    await forwarder?.dispose();
    await platform.stop();
    await ch.stop();
    await rm(chDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
