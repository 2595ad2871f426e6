/**
 * bench/ingest: NDJSON through the Events API of `npm run dev` (wrangler dev +
 * local ClickHouse) against the same bytes inserted straight into the same
 * ClickHouse, in one run. Prints events/s and MB/s as sent and sustained (until
 * the phase's rows landed and ClickHouse's merges settled), the ratios of the
 * sustained rates, a landed-rows check per phase, CPU ms per MB by process from
 * /proc (ClickHouse and its merges, workerd, wrangler, this client) and the
 * edge's validation CPU per MB (the Worker's own code, timed in-process).
 *
 *   npx tsx bench/ingest/run.ts [--seconds 30] [--concurrency 4] [--rows-per-request 5000]
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
import { descendantsOf, freePort } from "../../test/e2e/helpers/processes.js";
import { parseDatafile } from "../../shared/datafiles/index.js";
import { compileRowValidator, validateNdjson } from "../../shared/ingest/index.js";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    concurrency: { type: "string", default: "4" },
    "rows-per-request": { type: "string", default: "5000" },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const ROWS = Number(args["rows-per-request"]);

const DATASOURCE = `SCHEMA >
    \`timestamp\` DateTime64(3) \`json:$.timestamp\`,
    \`session_id\` String \`json:$.session_id\`,
    \`user_id\` UInt64 \`json:$.user_id\`,
    \`action\` LowCardinality(String) \`json:$.action\`,
    \`pathname\` String \`json:$.pathname\`,
    \`country\` LowCardinality(String) \`json:$.country\`,
    \`device\` LowCardinality(String) \`json:$.device\`,
    \`duration_ms\` UInt32 \`json:$.duration_ms\`,
    \`revenue\` Nullable(Float64) \`json:$.revenue\`,
    \`tags\` Array(String) \`json:$.tags\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(timestamp)"
ENGINE_SORTING_KEY "action, timestamp"
`;

function makeBody(seed: number): string {
  const actions = ["view", "click", "buy", "scroll"];
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const n = seed * ROWS + i;
    lines.push(JSON.stringify({
      timestamp: `2026-05-${String((n % 28) + 1).padStart(2, "0")} 12:${String(n % 60).padStart(2, "0")}:00.${String(n % 1000).padStart(3, "0")}`,
      session_id: `s-${n % 9973}`,
      user_id: n % 100_003,
      action: actions[n % 4],
      pathname: `/products/${n % 517}`,
      country: ["ES", "FR", "DE", "US", "BR"][n % 5],
      device: n % 3 === 0 ? "mobile" : "desktop",
      duration_ms: n % 5000,
      revenue: n % 4 === 2 ? (n % 100) + 0.99 : null,
      tags: n % 2 ? ["a", "b"] : [],
    }));
  }
  return lines.join("\n");
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

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

/** Who burns the CPU during a phase: the ClickHouse server, workerd (user Worker + wrangler's proxy), wrangler's Node process. */
class CpuMeter {
  private start = new Map<string, number>();
  constructor(private readonly groups: () => Record<string, number[]>, private readonly threads: Record<string, () => number> = {}) {}
  private sample(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, pids] of Object.entries(this.groups())) out.set(name, pids.reduce((a, pid) => a + cpuSeconds(pid), 0));
    for (const [name, read] of Object.entries(this.threads)) out.set(name, read());
    return out;
  }
  begin(): void {
    this.start = this.sample();
  }
  /** ms of CPU per MB moved, per group. */
  perMb(mb: number): string {
    const now = this.sample();
    return [...now].map(([name, s]) => `${name} ${(((s - (this.start.get(name) ?? 0)) * 1000) / mb).toFixed(1)}`).join(", ");
  }
}

async function timed(label: string, send: (body: string) => Promise<void>, bodies: string[]): Promise<{ rows: number; bytes: number; seconds: number }> {
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  let rows = 0;
  let bytes = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const body = bodies[next++ % bodies.length]!;
        await send(body);
        rows += ROWS;
        bytes += Buffer.byteLength(body);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  console.log(`${label.padEnd(34)} ${(rows / seconds).toFixed(0).padStart(9)} events/s  ${(bytes / 1048576 / seconds).toFixed(2).padStart(7)} MB/s  (${rows} events in ${seconds.toFixed(1)} s)`);
  return { rows, bytes, seconds };
}

async function main(): Promise<void> {
  const chDir = await mkdtemp(join(tmpdir(), "tern-bench-ingest-"));
  const credentials = { user: "bench", password: "bench-password" };
  const ch = await spawnLocalClickHouse({ port: await freePort(), dataDir: chDir, ...credentials });
  const platform = await startDevPlatform([...(process.env.BENCH_DEV_ARGS ? process.env.BENCH_DEV_ARGS.split(" ") : []), "--clickhouse-url", ch.url, "--clickhouse-user", credentials.user, "--clickhouse-password", credentials.password]);
  try {
    await deployFiles(platform, { "bench_events.datasource": DATASOURCE });
    const client = createClient({ url: ch.url, username: credentials.user, password: credentials.password });
    const [t] = await (await client.query({ query: "SELECT database, name FROM system.tables WHERE name LIKE 'bench_events__%' AND name NOT LIKE '%quarantine%'", format: "JSONEachRow" })).json<{ database: string; name: string }>();
    const tern = `${t!.database}.${t!.name}`;
    await client.command({ query: `CREATE TABLE ${t!.database}.direct_baseline AS ${tern}` });
    const bodies = Array.from({ length: 8 }, (_, i) => makeBody(i));
    const mb = Buffer.byteLength(bodies[0]!) / 1048576;
    console.log(`machine: ${(await import("node:os")).cpus().length} cores, node ${process.version}; body ${ROWS} events = ${mb.toFixed(2)} MB; ${CONCURRENCY} concurrent senders; ${SECONDS} s per phase`);

    // Edge validation CPU: the Worker's own code on the same bodies.
    const parsed = parseDatafile({ path: "bench_events.datasource", text: DATASOURCE });
    if (!parsed.ok || parsed.file.kind !== "datasource") throw new Error("datasource did not parse");
    const validator = compileRowValidator(parsed.file.columns);
    const cpuStart = process.cpuUsage();
    for (const b of bodies) validateNdjson(b, validator, { importId: "bench", now: Date.now() });
    const cpu = process.cpuUsage(cpuStart);
    const cpuMsPerMb = (cpu.user + cpu.system) / 1000 / (mb * bodies.length);

    // Background merges of the parts a phase wrote belong to that phase: each
    // phase ends only when ClickHouse has no merge left, so neither a faster
    // phase's deferred merges nor its CPU are charged to the next one.
    const settle = async (): Promise<number> => {
      const started = Date.now();
      const until = started + 120_000;
      let quiet = 0;
      while (quiet < 3 && Date.now() < until) {
        const [m] = await (await client.query({ query: "SELECT count() AS c FROM system.merges", format: "JSONEachRow" })).json<{ c: string }>();
        quiet = Number(m!.c) === 0 ? quiet + 1 : 0;
        if (quiet < 3) await new Promise((r) => setTimeout(r, 500));
      }
      // The last two quiet polls (1 s) are idle time, not merge time.
      return Math.max(0, (Date.now() - started) / 1000 - 1);
    };

    const platformPids = descendantsOf(platform.child.pid!);
    const meter = new CpuMeter(() => ({
      "ClickHouse server": [ch.pid],
      workerd: platformPids.filter((pid) => /workerd/.test(commandOf(pid))),
      "wrangler (Node)": platformPids.filter((pid) => /wrangler-dist\/cli\.js/.test(commandOf(pid))),
      "this client": [process.pid],
    }), { "(of which ClickHouse merges)": () => threadCpuSeconds(ch.pid, /^MergeMutate/) });
    const cpuLines: string[] = [];
    const sustained: string[] = [];
    const rate = (rows: number, bytes: number, seconds: number) =>
      `${(rows / seconds).toFixed(0).padStart(9)} events/s  ${(bytes / 1048576 / seconds).toFixed(2).padStart(7)} MB/s`;
    /** Runs a phase; `landed` waits until its rows are in ClickHouse (queued path). Returns the sustained events/s. */
    const metered = async (label: string, send: (body: string) => Promise<void>, landed?: (sent: number) => Promise<void>) => {
      meter.begin();
      const started = Date.now();
      const r = await timed(label, send, bodies);
      if (landed) await landed(r.rows);
      const merging = await settle();
      const seconds = (Date.now() - started) / 1000 - 1; // minus settle()'s idle polls
      cpuLines.push(`  ${label.padEnd(34)} ${meter.perMb(r.bytes / 1048576)}`);
      sustained.push(`${label.padEnd(34)} ${rate(r.rows, r.bytes, seconds)}  (${r.seconds.toFixed(1)} s sending, ${(seconds - r.seconds).toFixed(1)} s more until landed and merged; merges ${merging.toFixed(1)} s)`);
      return { rate: r.rows / seconds, rows: r.rows };
    };
    const count = async (table: string) => Number((await (await client.query({ query: `SELECT count() AS c FROM ${table}`, format: "JSONEachRow" })).json<{ c: string }>())[0]!.c);
    const checkLanded = (label: string, landed: number, sent: number) => {
      if (landed !== sent) throw new Error(`${label}: ${sent} rows sent but ${landed} in the table`);
    };

    const direct = await metered("direct INSERT (client-web)", async (body) => {
      // Datasource tables deduplicate identical blocks (non_replicated_deduplication_window):
      // without a token of its own, a repeated body would be parsed, then dropped unwritten.
      await client.command({
        query: `INSERT INTO ${t!.database}.direct_baseline FORMAT JSONEachRow\n${body}`,
        clickhouse_settings: { date_time_input_format: "best_effort", insert_deduplication_token: randomUUID() },
      });
    });
    checkLanded("direct", await count(`${t!.database}.direct_baseline`), direct.rows);
    const waitTrue = await metered("Events API, wait=true", async (body) => {
      const res = await fetch(`${platform.baseUrl}/v0/events?name=bench_events&wait=true`, { method: "POST", headers: { authorization: `Bearer ${platform.adminToken}` }, body });
      if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    });
    const countRows = () => count(tern);
    const before = await countRows();
    checkLanded("wait=true", before, waitTrue.rows);
    const queuedStart = Date.now();
    let refused = 0;
    const refusals = new Map<string, number>();
    const queued = await metered("Events API, queued", async (body) => {
      // A 503 means "not accepted, send again" (as Tinybird's SDKs do): the local
      // queue refuses sends when its in-memory backlog grows past what it can hold.
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${platform.baseUrl}/v0/events?name=bench_events`, { method: "POST", headers: { authorization: `Bearer ${platform.adminToken}` }, body });
        const text = await res.text();
        if (res.status === 202) return;
        if (res.status !== 503 || attempt >= 20) throw new Error(`events: ${res.status} ${text}`);
        refused++;
        refusals.set(text, (refusals.get(text) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }, async (sent) => {
      while ((await countRows()) - before < sent && Date.now() - queuedStart < (SECONDS + 120) * 1000) await new Promise((r) => setTimeout(r, 250));
    });
    checkLanded("queued", (await countRows()) - before, queued.rows);

    console.log("\nsustained (until the rows are in ClickHouse and its merges are done):");
    for (const line of sustained) console.log(line);
    console.log("");
    console.log(`every row sent landed exactly once (counted per phase)`);
    if (refused > 0) console.log(`queued: ${refused} send(s) answered 503 and were sent again: ${JSON.stringify(Object.fromEntries(refusals))}`);
    console.log(`ratio to direct, wait=true:        ${(waitTrue.rate / direct.rate).toFixed(2)}`);
    console.log(`ratio to direct, queued (landed):  ${(queued.rate / direct.rate).toFixed(2)}`);
    console.log(`edge validation CPU:               ${cpuMsPerMb.toFixed(1)} ms per MB (Worker code timed in Node)`);
    console.log(`\nCPU ms per MB sent, by process (from /proc):`);
    for (const line of cpuLines) console.log(line);
  } finally {
    await platform.stop();
    await ch.stop();
    await rm(chDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
