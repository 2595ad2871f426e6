/**
 * The ClickHouse interface's cost: `npm run dev` (wrangler dev + the local
 * ClickHouse) on free ports and a temp data dir, 1M rows, and one query with a
 * query parameter sent three ways, interleaved call by call at concurrency 1:
 * through the interface (`POST /clickhouse/`, Basic auth, `{t:String}`), the
 * same SQL with physical names sent straight to ClickHouse (same settings,
 * same parameter), and the interface's `/ping` (wrangler dev's own hop: the
 * Worker answers without auth or ClickHouse). Answers are checked equal first.
 * The interface is also called on Tern's Worker's own socket (`../lib/tern-worker.ts`:
 * no wrangler dev proxy, no Miniflare entry router), next to a Worker with no
 * Tern code forwarding the direct query on its own socket (`../lib/forwarding-worker.ts`):
 * the floor any Worker reaching ClickHouse pays, in the same run.
 *
 * Run: npx tsx bench/clickhouse-interface/run.ts [--requests 300] [--rounds 3] [--max-seconds 240] [--client fetch|http]
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadLine } from "../lib/measure.js";
import { startTernWorker, type TernWorker } from "../lib/tern-worker.js";
import { startForwardingWorker, type ForwardingWorker } from "../lib/forwarding-worker.js";
import { httpClient, type ClientKind } from "../lib/http-client.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    rounds: { type: "string", default: "3" },
    "max-seconds": { type: "string", default: "240" },
    /** The client every mode is timed with (bench/lib/http-client.ts). */
    client: { type: "string", default: "fetch" },
  },
});
if (values.client !== "fetch" && values.client !== "http") throw new Error(`--client: fetch or http, not ${values.client}`);
const call = httpClient(values.client as ClientKind, 1);
const REQUESTS = Number(values.requests);
const ROUNDS = Number(values.rounds);
const deadline = Date.now() + Number(values["max-seconds"]) * 1000;
const repoRoot = resolve(import.meta.dirname, "..", "..");

const EVENTS = `SCHEMA >
    \`timestamp\` DateTime,
    \`tenant\` LowCardinality(String),
    \`pathname\` String,
    \`value\` Int64

ENGINE "MergeTree"
ENGINE_SORTING_KEY "tenant, timestamp"
`;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Result {
  p50: number;
  p99: number;
  errors: number;
}

/** Every mode once per iteration, in a fresh random order (a fixed order charges one mode for what the previous left running). */
async function interleaved(modes: Record<string, () => Promise<Response>>): Promise<Record<string, Result>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
  const errors: Record<string, number> = Object.fromEntries(Object.keys(modes).map((k) => [k, 0]));
  for (let i = 0; i < REQUESTS && Date.now() < deadline; i++) {
    const order = Object.entries(modes).sort(() => Math.random() - 0.5);
    for (const [name, call] of order) {
      const t0 = performance.now();
      const res = await call();
      await res.arrayBuffer();
      times[name]!.push(performance.now() - t0);
      if (!res.ok) errors[name]!++;
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, xs]) => {
      xs.sort((a, b) => a - b);
      return [name, { p50: percentile(xs, 50), p99: percentile(xs, 99), errors: errors[name]! }];
    }),
  );
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "tern-bench-chif-"));
  const port = await freePort();
  const chPort = await freePort();
  const s3Port = await freePort();
  const dev = spawn(join(repoRoot, "node_modules", ".bin", "tsx"), ["cli/dev.ts", "--port", String(port), "--clickhouse-port", String(chPort), "--s3-port", String(s3Port), "--data-dir", dataDir], {
    cwd: repoRoot,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  dev.stdout!.on("data", (d) => (output += d));
  dev.stderr!.on("data", (d) => (output += d));
  let own: TernWorker | undefined;
  let forwarder: ForwardingWorker | undefined;
  const stop = async () => {
    await own?.dispose().catch((e) => console.error(e));
    await forwarder?.dispose().catch((e) => console.error(e));
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      try {
        if (dev.pid) process.kill(-dev.pid, signal);
      } catch {
        // already gone
      }
      if (signal === "SIGTERM") await new Promise((r) => setTimeout(r, 3000));
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const started = Date.now();
    while (!/Admin token: (\S+)/.test(output)) {
      if (Date.now() - started > 180_000 || dev.exitCode !== null) throw new Error(`npm run dev did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const admin = output.match(/Admin token: (\S+)/)![1]!;
    const [, workspace, workspaceId] = output.match(/Workspace: +(\S+) \(([^)]+)\)/)!;
    const state = JSON.parse(await readFile(join(dataDir, "state.json"), "utf8")) as { clickhouse: { user: string; password: string } };
    const base = `http://127.0.0.1:${port}`;
    const chUrl = `http://127.0.0.1:${chPort}/`;
    const chAuth = { "X-ClickHouse-User": state.clickhouse.user, "X-ClickHouse-Key": state.clickhouse.password };
    const ch = async (sql: string, query = "") => {
      const res = await fetch(`${chUrl}?${query}`, { method: "POST", headers: chAuth, body: sql });
      if (!res.ok) throw new Error(`ClickHouse: ${await res.text()}`);
      return res;
    };

    const form = new FormData();
    form.append("data_project://", new File([EVENTS], "events.datasource"));
    const deployed = await fetch(`${base}/v1/deploy?auto_promote=true`, { method: "POST", headers: { authorization: `Bearer ${admin}` }, body: form });
    if (deployed.status !== 200) throw new Error(`deploy: ${await deployed.text()}`);
    const database = `tern_${workspaceId!.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}`;
    const table = (await (await ch(`SELECT name FROM system.tables WHERE database = '${database}' AND name LIKE 'events%' AND name NOT LIKE '%quarantine%' FORMAT TSV`)).text()).trim();
    const physical = `${database}.${table}`;
    await ch(`INSERT INTO ${physical} SELECT toDateTime('2026-01-01 00:00:00') + number, concat('t', toString(number % 20)), concat('/page/', toString(number % 500)), number % 1000 FROM numbers(1000000)`);

    const query = "SELECT pathname, count() AS views, sum(value) AS total FROM events WHERE tenant = {t:String} GROUP BY pathname ORDER BY views DESC, pathname LIMIT 10";
    const direct = query.replace("FROM events", `FROM ${physical} AS events`);
    // What the interface sends ClickHouse besides the SQL: the reader's limits, the driver's 64-bit quoting, the parameter.
    const settings = "readonly=1&max_execution_time=10&output_format_json_quote_64bit_integers=1&default_format=TabSeparated&param_t=t7";
    const basic = `Basic ${Buffer.from(`${workspace}:${admin}`).toString("base64")}`;
    // As a driver without compression asks (Node's fetch would otherwise offer gzip, which the dev server's runtime then applies).
    const plain = { "accept-encoding": "identity" };
    const viaInterface = () => call(`${base}/clickhouse/?param_t=t7`, { method: "POST", headers: { authorization: basic, ...plain }, body: query });
    const viaDirect = () => call(`${chUrl}?${settings}`, { method: "POST", headers: { ...chAuth, ...plain }, body: direct });
    // The Query API with the same SQL (the parameter as a literal): what the interface adds over Tern's other SQL surface.
    const literal = `${query.replace("{t:String}", "'t7'")} FORMAT TabSeparated`;
    // The interface with the literal too: what the parameter itself costs (in the engine and the guard's cache key).
    const viaInterfaceLiteral = () => call(`${base}/clickhouse/`, { method: "POST", headers: { authorization: basic, ...plain }, body: literal });
    const viaQueryApi = () => call(`${base}/v0/sql`, { method: "POST", headers: { authorization: `Bearer ${admin}`, "content-type": "text/plain", ...plain }, body: literal });
    // Tern's Worker on its own socket (a copy of the state deployed above) and the forwarding floor beside it.
    own = await startTernWorker({ dataDir });
    forwarder = await startForwardingWorker({ upstream: chUrl, compatibilityDate: "2026-04-20", compatibilityFlags: ["nodejs_compat", "no_nodejs_global_timers"] });
    const ownUrl = own.direct;
    const fwdUrl = forwarder.direct;
    const viaOwnSocket = () => call(`${ownUrl}/clickhouse/?param_t=t7`, { method: "POST", headers: { authorization: basic, ...plain }, body: query });

    const answers = await Promise.all([viaInterface(), viaDirect(), viaQueryApi(), viaOwnSocket()]);
    const [a = "", b, c, d] = await Promise.all(answers.map((r) => r.text()));
    if (a !== b || a !== c || a !== d || a.split("\n").length < 10) throw new Error(`the interface, the Query API and ClickHouse answer differently:\n${a}\n---\n${b}\n---\n${c}\n---\n${d}`);
    console.log(`interface answer: ${a.length} bytes, content-encoding ${answers[0]!.headers.get("content-encoding") ?? "none"}`);

    const modes: Record<string, () => Promise<Response>> = {
      "ClickHouse direct": viaDirect,
      "ClickHouse interface": viaInterface,
      "interface, literal": viaInterfaceLiteral,
      "Query API, literal": viaQueryApi,
      "interface /ping (hop)": () => call(`${base}/clickhouse/ping`, { headers: plain }),
      "interface, own socket": viaOwnSocket,
      "/ping, own socket": () => call(`${ownUrl}/clickhouse/ping`, { headers: plain }),
      "forwarding Worker, own socket": () => call(`${fwdUrl}/forward/?${settings}`, { method: "POST", headers: { ...chAuth, ...plain }, body: direct }),
    };
    for (const run of Object.values(modes)) for (let i = 0; i < 30; i++) await (await run()).arrayBuffer(); // warm-up
    console.log(`start: ${loadLine()}`);

    const rounds: Array<Record<string, Result>> = [];
    for (let r = 0; r < ROUNDS && Date.now() < deadline; r++) rounds.push(await interleaved(modes));
    const p50 = (name: string) => median(rounds.map((r) => r[name]!.p50));
    const p99 = (name: string) => median(rounds.map((r) => r[name]!.p99));
    console.log(`\nmachine: ${cpus().length}x ${cpus()[0]?.model ?? "?"}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, node ${process.version}`);
    console.log(`1,000,000 rows, GROUP BY over one tenant with {t:String}, ${REQUESTS} calls x ${rounds.length} rounds, interleaved, concurrency 1 (medians of rounds)\n`);
    console.log("mode                      p50 ms   p99 ms   errors   p50 vs direct");
    for (const name of Object.keys(modes)) {
      const errors = rounds.reduce((n, r) => n + r[name]!.errors, 0);
      console.log(`${name.padEnd(24)} ${p50(name).toFixed(2).padStart(7)} ${p99(name).toFixed(2).padStart(8)} ${String(errors).padStart(8)}   ${(p50(name) / p50("ClickHouse direct")).toFixed(2)}x`);
    }
    const added = p50("ClickHouse interface") - p50("ClickHouse direct");
    const hop = p50("interface /ping (hop)");
    console.log(`\nadded at p50 (interface - direct): ${added.toFixed(2)} ms; wrangler dev's hop (/ping) ${hop.toFixed(2)} ms; added excluding the hop: ${(added - hop).toFixed(2)} ms (goal <= 1 ms)`);
    console.log(
      `per round, interface - direct - hop: ${rounds.map((r) => (r["ClickHouse interface"]!.p50 - r["ClickHouse direct"]!.p50 - r["interface /ping (hop)"]!.p50).toFixed(2)).join(" / ")} ms; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    );
    const perRound = (a: string, b: string) => rounds.map((r) => (r[a]!.p50 - r[b]!.p50).toFixed(2)).join(" / ");
    console.log(
      `on the Worker's own socket (no dev server hop at all): interface - direct ${(p50("interface, own socket") - p50("ClickHouse direct")).toFixed(2)} ms (per round ${perRound("interface, own socket", "ClickHouse direct")}; goal <= 1 ms); ` +
        `floor, a Worker with no Tern code forwarding the same query - direct ${(p50("forwarding Worker, own socket") - p50("ClickHouse direct")).toFixed(2)} ms (${perRound("forwarding Worker, own socket", "ClickHouse direct")}); ` +
        `interface - floor ${(p50("interface, own socket") - p50("forwarding Worker, own socket")).toFixed(2)} ms (${perRound("interface, own socket", "forwarding Worker, own socket")})`,
    );
  } finally {
    await stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
