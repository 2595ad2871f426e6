/**
 * Endpoint latency and throughput through the whole platform (`npm run dev`:
 * wrangler dev + local ClickHouse): a 3-node templated pipe over 1M rows,
 * called with a static token and with a JWT carrying `limits.rps` (so every
 * call also goes through the RateLimiter DO), next to the same SQL sent
 * straight to ClickHouse in the same run; and the same pipe with `CACHE`
 * (docs/caching.md) answered from the location's cache (a hit) and as a miss
 * (a new `start` each call), next to a static answer of the same Worker
 * (`GET /tokens`). Rounds are interleaved, iteration counts fixed, the whole
 * run bounded in time.
 *
 * Modes on the Worker's own socket (no wrangler dev proxy, no Miniflare entry router:
 * `../lib/tern-worker.ts`) and a forwarding Worker with no Tern code beside it
 * (`../lib/forwarding-worker.ts`) say what production's request path keeps.
 *
 * Run: npx tsx bench/endpoints/run.ts [--requests 300] [--concurrency 4] [--rounds 3] [--modes "own socket,forwarding"] [--client fetch|http] [--profile N]
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createHmac } from "node:crypto";
import { SignJWT } from "jose";
import { CpuMeter, loadLine, processTree } from "../lib/measure.js";
import { startTernWorker, type TernWorker } from "../lib/tern-worker.js";
import { startForwardingWorker, type ForwardingWorker } from "../lib/forwarding-worker.js";
import { httpClient, type ClientKind } from "../lib/http-client.js";
import { connectProfiler, summarize } from "../lib/cpu-profile.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    concurrency: { type: "string", default: "4" },
    rounds: { type: "string", default: "3" },
    "max-seconds": { type: "string", default: "240" },
    /** Comma-separated substrings: only the modes whose name holds one (ClickHouse direct always runs). */
    modes: { type: "string", default: "" },
    /** The client every mode is timed with: Node's fetch (undici) or node:http with keep-alive (bench/lib/http-client.ts). */
    client: { type: "string", default: "fetch" },
    /** Instead of timing: a CPU profile of N endpoint calls (and N route calls) of Tern's Worker on its own socket. */
    profile: { type: "string", default: "0" },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const deadline = Date.now() + Number(values["max-seconds"]) * 1000;
const repoRoot = resolve(import.meta.dirname, "..", "..");
const ONLY = values.modes ? values.modes.split(",").map((m) => m.trim()).filter(Boolean) : [];
if (values.client !== "fetch" && values.client !== "http") throw new Error(`--client: fetch or http, not ${values.client}`);
const call = httpClient(values.client as ClientKind, CONCURRENCY);
/** Whether a mode runs (ClickHouse direct always does). */
const wanted = (name: string) => name === "ClickHouse direct" || ONLY.length === 0 || ONLY.some((o) => name.includes(o));

/** Listening TCP ports of a process (its socket inodes matched in /proc/<pid>/net/tcp). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === "0A" && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(":")[1]!, 16));
  }
  return ports;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/**
 * The processes of \`npm run dev\` (from /proc): the local ClickHouse, wrangler's
 * Node process, the proxy's workerd (on the public port) and the Worker's own
 * workerd (wrangler starts it on \`entry=127.0.0.1:0\`).
 */
function devProcesses(root: number, port: number): { clickhouse: number[]; wrangler: number[]; proxy: number[]; worker: number[] } {
  const tree = processTree(root);
  const of = (test: (cmd: string) => boolean) => tree.filter((p) => test(cmdline(p)));
  const ch = of((c) => c.includes("clickhouse-local/main.ts"));
  return {
    clickhouse: ch.flatMap((p) => processTree(p)),
    wrangler: of((c) => c.includes("wrangler-dist/cli.js")),
    proxy: of((c) => c.includes("workerd serve") && c.includes(`entry=127.0.0.1:${port} `)),
    worker: of((c) => c.includes("workerd serve") && c.includes("entry=127.0.0.1:0 ")),
  };
}

/**
 * The Worker's workerd called directly, without wrangler dev's proxy: the
 * entry socket of the workerd that runs the Worker (Miniflare's entry worker
 * in that same process routes the request to it), found among that process's
 * listening ports as the one answering \`/v0/health\`.
 */
async function workerdDirect(workerPids: number[]): Promise<string> {
  for (const pid of workerPids) {
    for (const port of listeningPorts(pid)) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v0/health`, { signal: AbortSignal.timeout(2000) });
        const body = await res.text();
        if (res.status === 200 && body.includes("clickhouse")) return `http://127.0.0.1:${port}`;
      } catch {
        // not it
      }
    }
  }
  throw new Error(`no listening port of the Worker's workerd (${workerPids.join(", ")}) answers /v0/health`);
}

/** \`auth;dur=0.12, ch;dur=3.4\` → { auth: 0.12, ch: 3.4 }. */
function serverTiming(res: Response): Record<string, number> | undefined {
  const header = res.headers.get("server-timing");
  if (!header) return undefined;
  return Object.fromEntries(
    header.split(",").flatMap((e) => {
      const m = /^\s*([\w-]+);dur=([\d.]+)/.exec(e);
      return m ? [[m[1]!, Number(m[2])]] : [];
    }),
  );
}
/** Server-Timing phases seen per mode, and CPU per mode by process group. */
const phasesSeen: Record<string, Record<string, number[]>> = {};
let cpuMeter: CpuMeter | undefined;
const callsOf: Record<string, number> = {};
function recordCall(name: string, res: Response): void {
  callsOf[name] = (callsOf[name] ?? 0) + 1;
  const st = serverTiming(res);
  if (!st) return;
  const mode = (phasesSeen[name] ??= {});
  for (const [k, v] of Object.entries(st)) (mode[k] ??= []).push(v);
}

const EVENTS = `SCHEMA >
    \`timestamp\` DateTime,
    \`tenant\` LowCardinality(String),
    \`pathname\` String,
    \`value\` Int64

ENGINE "MergeTree"
ENGINE_SORTING_KEY "tenant, timestamp"
`;

const TOP_PAGES = `NODE filtered
SQL >
    %
    SELECT pathname, value FROM events
    WHERE tenant = {{ String(tenant, 't1') }}
      AND timestamp >= {{ DateTime(start, '2026-01-01 00:00:00') }}

NODE aggregated
SQL >
    SELECT pathname, count() AS views, sum(value) AS total FROM filtered GROUP BY pathname

NODE endpoint
SQL >
    %
    SELECT * FROM aggregated ORDER BY views DESC, pathname LIMIT {{ Int32(limit, 10) }}

TYPE endpoint
`;

/** The same pipe with its answers kept in the location's cache. */
const TOP_PAGES_CACHED = `${TOP_PAGES}CACHE 3600
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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  p50: number;
  p99: number;
  qps: number;
  errors: number;
}

/** `count` calls of one mode, `CONCURRENCY` at a time: their latencies, errors and wall seconds. */
async function measureBlock(call: () => Promise<Response>, name: string, count: number): Promise<{ latencies: number[]; errors: number; seconds: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count && Date.now() < deadline) {
        next++;
        const t0 = performance.now();
        const res = await call();
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        recordCall(name, res);
        if (!res.ok) errors++;
      }
    }),
  );
  return { latencies, errors, seconds: (performance.now() - started) / 1000 };
}

/**
 * Concurrency > 1: shuffled blocks of `CONCURRENCY` x 5 calls per mode (a fresh
 * random order for each block), so a change of outside load hits every mode
 * alike instead of whichever ran during it; QPS from each mode's own wall time.
 */
async function measureBlocks(modes: Record<string, () => Promise<Response>>): Promise<Record<string, Result>> {
  const block = CONCURRENCY * 5;
  const acc: Record<string, { latencies: number[]; errors: number; seconds: number }> = Object.fromEntries(
    Object.keys(modes).map((k) => [k, { latencies: [], errors: 0, seconds: 0 }]),
  );
  for (let done = 0; done < REQUESTS && Date.now() < deadline; done += block) {
    for (const [name, call] of Object.entries(modes).sort(() => Math.random() - 0.5)) {
      cpuMeter?.begin(name);
      const r = await measureBlock(call, name, Math.min(block, REQUESTS - done));
      cpuMeter?.end(name);
      const a = acc[name]!;
      a.latencies.push(...r.latencies);
      a.errors += r.errors;
      a.seconds += r.seconds;
    }
  }
  return Object.fromEntries(
    Object.entries(acc).map(([name, a]) => [name, { p50: percentile([...a.latencies].sort((x, y) => x - y), 50), p99: percentile([...a.latencies].sort((x, y) => x - y), 99), qps: a.latencies.length / a.seconds, errors: a.errors }]),
  );
}

/**
 * Concurrency 1, modes interleaved call by call in a fresh random order each
 * time (a fixed order charges each mode for whatever the previous one left
 * running, e.g. ClickHouse finishing up after the direct query); QPS is 1 / mean latency.
 */
async function measureInterleaved(modes: Record<string, () => Promise<Response>>): Promise<Record<string, Result>> {
  const latencies: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
  const errors: Record<string, number> = Object.fromEntries(Object.keys(modes).map((k) => [k, 0]));
  for (let i = 0; i < REQUESTS && Date.now() < deadline; i++) {
    const order = Object.entries(modes)
      .map((entry) => ({ entry, key: Math.random() }))
      .sort((a, b) => a.key - b.key)
      .map((x) => x.entry);
    for (const [name, call] of order) {
      cpuMeter?.begin(name);
      const t0 = performance.now();
      const res = await call();
      await res.arrayBuffer();
      latencies[name]!.push(performance.now() - t0);
      cpuMeter?.end(name);
      recordCall(name, res);
      if (!res.ok) errors[name]!++;
    }
  }
  const out: Record<string, Result> = {};
  for (const [name, xs] of Object.entries(latencies)) {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    xs.sort((a, b) => a - b);
    out[name] = { p50: percentile(xs, 50), p99: percentile(xs, 99), qps: 1000 / mean, errors: errors[name]! };
  }
  return out;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "tern-bench-endpoints-"));
  const port = await freePort();
  const chPort = await freePort();
  const dev = spawn(join(repoRoot, "node_modules", ".bin", "tsx"), ["cli/dev.ts", "--port", String(port), "--clickhouse-port", String(chPort), "--data-dir", dataDir], {
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
    if (dev.pid) {
      try {
        process.kill(-dev.pid, "SIGTERM");
      } catch {
        /* gone */
      }
      await new Promise((r) => setTimeout(r, 3000));
      try {
        process.kill(-dev.pid, "SIGKILL");
      } catch {
        /* gone */
      }
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
    const workspaceId = output.match(/Workspace: +\S+ \(([^)]+)\)/)![1]!;
    const state = JSON.parse(await readFile(join(dataDir, "state.json"), "utf8")) as { clickhouse: { user: string; password: string } };
    const base = `http://127.0.0.1:${port}`;
    const chUrl = `http://127.0.0.1:${chPort}/`;
    const chAuth = { "X-ClickHouse-User": state.clickhouse.user, "X-ClickHouse-Key": state.clickhouse.password };
    const ch = async (sql: string, settings = "") => {
      const res = await fetch(`${chUrl}?${settings}`, { method: "POST", headers: chAuth, body: sql });
      if (!res.ok) throw new Error(`ClickHouse: ${await res.text()}`);
      return res;
    };

    const form = new FormData();
    form.append("data_project://", new File([EVENTS], "events.datasource"));
    form.append("data_project://", new File([TOP_PAGES], "top_pages.pipe"));
    form.append("data_project://", new File([TOP_PAGES_CACHED], "top_pages_cached.pipe"));
    const deployed = await fetch(`${base}/v1/deploy?auto_promote=true`, { method: "POST", headers: { authorization: `Bearer ${admin}` }, body: form });
    if (deployed.status !== 200) throw new Error(`deploy: ${await deployed.text()}`);
    const database = `tern_${workspaceId.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}`;
    const table = (
      await (await ch(`SELECT name FROM system.tables WHERE database = '${database}' AND name LIKE 'events%' AND name NOT LIKE '%quarantine%' FORMAT TSV`)).text()
    ).trim();
    const physical = `${database}.${table}`;
    await ch(
      `INSERT INTO ${physical} SELECT toDateTime('2026-01-01 00:00:00') + number, concat('t', toString(number % 20)), concat('/page/', toString(number % 500)), number % 1000 FROM numbers(1000000)`,
    );

    const jwt = await new SignJWT({
      workspace_id: workspaceId,
      name: "bench_user",
      exp: Math.floor(Date.now() / 1000) + 3600,
      scopes: [{ type: "PIPES:READ", resource: "top_pages" }],
      limits: { rps: 100_000 },
    })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(admin));

    const params = "tenant=t7&start=2026-01-01%2000:00:00&limit=10";
    const directSql = `WITH
filtered AS (SELECT pathname, value FROM ${physical} AS events WHERE tenant = 't7' AND timestamp >= '2026-01-01 00:00:00'),
aggregated AS (SELECT pathname, count() AS views, sum(value) AS total FROM filtered GROUP BY pathname)
SELECT * FROM aggregated ORDER BY views DESC, pathname LIMIT 10
FORMAT JSON`;
    const settings = "readonly=1&max_execution_time=10&output_format_json_quote_64bit_integers=0";

    // Same answer on both paths before timing anything.
    const viaEndpoint = ((await (await fetch(`${base}/v0/pipes/top_pages.json?${params}`, { headers: { authorization: `Bearer ${admin}` } })).json()) as { data: unknown }).data;
    const viaDirect = ((await (await ch(directSql, settings)).json()) as { data: unknown }).data;
    if (JSON.stringify(viaEndpoint) !== JSON.stringify(viaDirect)) throw new Error("endpoint and direct answers differ");
    const cachedUrl = `${base}/v0/pipes/top_pages_cached.json?${params}`;
    const first = await fetch(cachedUrl, { headers: { authorization: `Bearer ${admin}` } });
    if (JSON.stringify(((await first.json()) as { data: unknown }).data) !== JSON.stringify(viaDirect)) throw new Error("cached endpoint and direct answers differ");
    // A miss is a call whose key was never seen: a new start (one more second, so the same work) each time.
    // Its baseline is the uncached pipe with new params each call too: new SQL text is also a new read-guard check.
    let missSeq = 0;
    const freshParams = (pipe: string) => {
      const start = new Date(Date.UTC(2026, 0, 1) + ++missSeq * 1000).toISOString().slice(0, 19).replace("T", " ");
      return `${base}/v0/pipes/${pipe}.json?tenant=t7&start=${encodeURIComponent(start)}&limit=10`;
    };
    const missUrl = () => freshParams("top_pages_cached");
    for (let i = 0; ; i++) {
      // The entry is stored after the first answer went out.
      const res = await fetch(cachedUrl, { headers: { authorization: `Bearer ${admin}` } });
      await res.arrayBuffer();
      if (res.headers.get("x-tern-cache") === "HIT") break;
      if (i > 50) throw new Error(`the cached endpoint never answered a hit (x-tern-cache: ${res.headers.get("x-tern-cache")})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cacheLabel = async (res: Response, want: string) => {
      const got = res.headers.get("x-tern-cache");
      if (got !== want) throw new Error(`expected x-tern-cache ${want}, got ${got}`);
      return res;
    };

    // The same SQL as the workspace's reader user, with the settings the Worker sends its reads
    // (execute.ts): what ClickHouse does for that user (profile, grants) beside what the admin costs.
    const readerPassword = createHmac("sha256", `tern-workspace-reader\u0000${state.clickhouse.password}`).update(workspaceId).digest("hex");
    const readerAuth = { "X-ClickHouse-User": `${database}_reader`, "X-ClickHouse-Key": readerPassword };
    const readerSettings = `database=tern_sandbox&readonly=1&max_execution_time=10&max_result_bytes=${100 * 1024 * 1024}&result_overflow_mode=throw&output_format_json_quote_64bit_integers=0`;
    const viaReader = await fetch(`${chUrl}?${readerSettings}`, { method: "POST", headers: readerAuth, body: directSql });
    if (!viaReader.ok) throw new Error(`reader: ${await viaReader.text()}`);
    if (JSON.stringify(((await viaReader.json()) as { data: unknown }).data) !== JSON.stringify(viaDirect)) throw new Error("reader and direct answers differ");
    const procs = devProcesses(dev.pid!, port);
    const workerd = await workerdDirect(procs.worker);
    // Tern's Worker on a socket of its own (no wrangler dev proxy, no Miniflare entry router), on a copy
    // of the state deployed above, and a Worker with no Tern code forwarding the direct query to
    // ClickHouse, on its own socket too: the floor any Worker reaching ClickHouse pays.
    const PROFILE = Number(values.profile);
    if (PROFILE > 0) {
      own = await startTernWorker({ dataDir, inspectorPort: await freePort() });
      const profiler = await connectProfiler(own.inspector!, "core:user:tern");
      const targets: Record<string, () => Promise<Response>> = {
        endpoint: () => call(`${own!.direct}/v0/pipes/top_pages.json?${params}`, { headers: { authorization: `Bearer ${admin}` } }),
        route: () => call(`${own!.direct}/v0/pipes/top_pages.json`, { method: "OPTIONS", headers: { origin: "http://bench.test", "access-control-request-method": "GET" } }),
      };
      for (const [name, run] of Object.entries(targets)) {
        for (let i = 0; i < 200; i++) await (await run()).arrayBuffer(); // warm-up: JIT, caches
        await profiler.start();
        for (let i = 0; i < PROFILE; i++) {
          const res = await run();
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`${name}: ${res.status}`);
        }
        console.log(`\n== ${name} (Tern's Worker, own socket) ==\n${summarize(await profiler.stop(), own.bundlePath, PROFILE).join("\n")}`);
      }
      profiler.close();
      return;
    }
    if (wanted("endpoint, Worker's own socket") || wanted("Worker route, Worker's own socket")) own = await startTernWorker({ dataDir });
    if (wanted("forwarding Worker, own socket")) forwarder = await startForwardingWorker({ upstream: chUrl, compatibilityDate: "2026-04-20", compatibilityFlags: ["nodejs_compat", "no_nodejs_global_timers"] });
    cpuMeter = new CpuMeter({
      clickhouse: procs.clickhouse,
      "workerd (Worker)": procs.worker,
      "workerd (proxy)": procs.proxy,
      "wrangler (node)": procs.wrangler,
      ...(own ? { "workerd (own socket)": own.pids } : {}),
      ...(forwarder ? { "workerd (forwarding)": forwarder.pids } : {}),
    });
    console.log(`Worker's workerd direct: ${workerd} (pid ${procs.worker.join(",")}); proxy workerd pid ${procs.proxy.join(",")}; ClickHouse pids ${procs.clickhouse.join(",")}`);
    if (own) console.log(`Tern's Worker on its own socket: ${own.direct} (workerd pid ${own.pids.join(",")})`);
    if (forwarder) console.log(`forwarding Worker on its own socket: ${forwarder.direct} (workerd pid ${forwarder.pids.join(",")})`);
    const ownUrl = own?.direct ?? "http://own-socket.invalid";
    const fwdUrl = forwarder?.direct ?? "http://forwarder.invalid";

    const allModes: Record<string, () => Promise<Response>> = {
      "ClickHouse direct": () => call(`${chUrl}?${settings}`, { method: "POST", headers: chAuth, body: directSql }),
      "ClickHouse direct, reader user": () => call(`${chUrl}?${readerSettings}`, { method: "POST", headers: readerAuth, body: directSql }),
      // The Worker's workerd without wrangler dev's proxy in front (workerdDirect above).
      "endpoint, workerd direct": () => call(`${workerd}/v0/pipes/top_pages.json?${params}`, { headers: { authorization: `Bearer ${admin}` } }),
      "Worker route, workerd direct": () =>
        call(`${workerd}/v0/pipes/top_pages.json`, { method: "OPTIONS", headers: { origin: "http://bench.test", "access-control-request-method": "GET" } }),
      // Tern's Worker on a socket bound to it (bench/lib/tern-worker.ts): what production's request path keeps.
      "endpoint, Worker's own socket": () => call(`${ownUrl}/v0/pipes/top_pages.json?${params}`, { headers: { authorization: `Bearer ${admin}` } }),
      "Worker route, Worker's own socket": () =>
        call(`${ownUrl}/v0/pipes/top_pages.json`, { method: "OPTIONS", headers: { origin: "http://bench.test", "access-control-request-method": "GET" } }),
      // No Tern code: a Worker forwarding the direct query to ClickHouse (bench/lib/forwarding-worker.ts).
      "forwarding Worker, own socket": () => call(`${fwdUrl}/forward/?${settings}`, { method: "POST", headers: chAuth, body: directSql }),
      "endpoint, static token": () => call(`${base}/v0/pipes/top_pages.json?${params}`, { headers: { authorization: `Bearer ${admin}` } }),
      "endpoint, JWT limits.rps": () => call(`${base}/v0/pipes/top_pages.json?${params}`, { headers: { authorization: `Bearer ${jwt}` } }),
      "cached endpoint, hit": async () => cacheLabel(await call(cachedUrl, { headers: { authorization: `Bearer ${admin}` } }), "HIT"),
      "cached endpoint, miss": async () => cacheLabel(await call(missUrl(), { headers: { authorization: `Bearer ${admin}` } }), "MISS"),
      "endpoint, new params": () => call(freshParams("top_pages"), { headers: { authorization: `Bearer ${admin}` } }),
      // A static answer of the same Worker (through the platform middleware, no auth, no I/O), uncompressed as a hit is.
      "static answer (/tokens)": () => call(`${base}/tokens`, { headers: { "accept-encoding": "identity" } }),
      // wrangler dev's own floor: a Worker route that neither authenticates nor calls ClickHouse
      // (the CORS preflight: no body, so nothing to compress either).
      "Worker route, no ClickHouse": () =>
        call(`${base}/v0/pipes/top_pages.json`, { method: "OPTIONS", headers: { origin: "http://bench.test", "access-control-request-method": "GET" } }),
    };
    const modes = Object.fromEntries(Object.entries(allModes).filter(([name]) => wanted(name)));
    for (const run of Object.values(modes)) for (let i = 0; i < 20; i++) await (await run()).arrayBuffer(); // warm-up
    console.log(`start: ${loadLine()}`);

    const results: Record<string, Result[]> = {};
    for (let round = 0; round < ROUNDS && Date.now() < deadline; round++) {
      if (CONCURRENCY === 1) {
        // One call at a time, modes interleaved call by call: every mode sees the
        // same background (merges, batched service-table writes, other load).
        for (const [name, r] of Object.entries(await measureInterleaved(modes))) (results[name] ??= []).push(r);
      } else {
        for (const [name, r] of Object.entries(await measureBlocks(modes))) (results[name] ??= []).push(r);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const direct = results["ClickHouse direct"]!;
    console.log(`\nmachine: ${cpus().length}x ${cpus()[0]?.model ?? "?"}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}, node ${process.version}`);
    console.log(`1,000,000 rows, 3-node pipe, ${REQUESTS} requests x ${ROUNDS} rounds, concurrency ${CONCURRENCY} (medians of rounds)\n`);
    console.log("mode                        p50 ms   p99 ms      QPS   errors   p50 vs direct");
    for (const [name, rs] of Object.entries(results)) {
      const p50 = median(rs.map((r) => r.p50));
      const p99 = median(rs.map((r) => r.p99));
      const qps = median(rs.map((r) => r.qps));
      const errors = rs.reduce((a, r) => a + r.errors, 0);
      const ratio = p50 / median(direct.map((r) => r.p50));
      console.log(`${name.padEnd(26)} ${p50.toFixed(1).padStart(7)} ${p99.toFixed(1).padStart(8)} ${qps.toFixed(0).padStart(8)} ${String(errors).padStart(8)}   ${ratio.toFixed(2)}x`);
    }
    const p50Of = (name: string) => (results[name] ? median(results[name].map((r) => r.p50)) : NaN);
    const directP50 = p50Of("ClickHouse direct");
    console.log(
      `\nadded p50 vs ClickHouse direct (per round: ${direct.length} rounds): ` +
        Object.keys(results)
          .filter((n) => n !== "ClickHouse direct")
          .map((n) => `${n} ${(p50Of(n) - directP50).toFixed(2)} ms (${results[n]!.map((r, i) => (r.p50 - direct[i]!.p50).toFixed(2)).join(" / ")})`)
          .join("; "),
    );
    const perRound = (a: string, b: string) => results[a]!.map((r, i) => (r.p50 - results[b]![i]!.p50).toFixed(2)).join(" / ");
    if (results["endpoint, Worker's own socket"]) {
      const ownAdded = p50Of("endpoint, Worker's own socket") - directP50;
      console.log(
        `\nendpoint on the Worker's own socket: added p50 ${ownAdded.toFixed(2)} ms (per round ${perRound("endpoint, Worker's own socket", "ClickHouse direct")}; ` +
          `goal <= ${CONCURRENCY === 1 ? "1.5" : "4"} ms at concurrency ${CONCURRENCY})`,
      );
    }
    if (results["forwarding Worker, own socket"]) {
      console.log(`floor: a Worker with no Tern code forwarding the same query, own socket: added p50 ${(p50Of("forwarding Worker, own socket") - directP50).toFixed(2)} ms (per round ${perRound("forwarding Worker, own socket", "ClickHouse direct")})`);
      if (results["endpoint, Worker's own socket"])
        console.log(
          `Tern's share (endpoint - forwarding Worker, both on their own socket): ${(p50Of("endpoint, Worker's own socket") - p50Of("forwarding Worker, own socket")).toFixed(2)} ms (per round ${perRound("endpoint, Worker's own socket", "forwarding Worker, own socket")})`,
        );
    }
    // workerd's clocks tick in whole milliseconds and only on I/O: one call's phase reads 0, 1, 2…;
    // the mean over many calls, whose starts fall anywhere within a millisecond, is the phase's length.
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    console.log("\nServer-Timing, mean per phase over every call (ms; workerd's clock ticks in whole ms, only on I/O: CPU-only phases read 0):");
    for (const [name, phases] of Object.entries(phasesSeen)) {
      if (!name.startsWith("endpoint") && !name.startsWith("cached")) continue;
      const io = ["auth", "live", "ratelimit", "guard", "ch", "body"];
      const med = Object.fromEntries(Object.entries(phases).map(([k, xs]) => [k, mean(xs)]));
      const own = (med["total"] ?? 0) - io.reduce((a, k) => a + (med[k] ?? 0), 0);
      console.log(
        `  ${name.padEnd(28)} ${Object.entries(med)
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(", ")}; Tern's phases besides ClickHouse (total - ch - body) ${((med["total"] ?? 0) - (med["ch"] ?? 0) - (med["body"] ?? 0)).toFixed(2)}, untimed I/O ${own.toFixed(2)}`,
      );
      // Means carry the tail; a whole-ms phase as long as ch compares with direct's p50 by its median.
      if (phases["ch"]) console.log(`  ${"".padEnd(28)} median ch ${median(phases["ch"]).toFixed(1)}, median total ${median(phases["total"] ?? []).toFixed(1)} (direct p50 ${p50Of("ClickHouse direct").toFixed(1)})`);
    }
    console.log("\nCPU per call by process (ms; /proc, 10 ms ticks summed over every call of the mode):");
    for (const name of Object.keys(results)) {
      const t = cpuMeter.totals(name);
      if (!t || !callsOf[name]) continue;
      console.log(
        `  ${name.padEnd(28)} ${Object.entries(t.cpu)
          .map(([g, v]) => `${g} ${((v * 1000) / callsOf[name]!).toFixed(2)}`)
          .join(", ")}`,
      );
    }
    if (!results["endpoint, static token"] || !results["endpoint, JWT limits.rps"] || !results["cached endpoint, hit"] || !results["static answer (/tokens)"]) {
      console.log(`\nend: ${loadLine()}`);
      return;
    }
    console.log(
      `\nadded latency at p50 (endpoint - direct): static token ${(p50Of("endpoint, static token") - directP50).toFixed(1)} ms, ` +
        `JWT ${(p50Of("endpoint, JWT limits.rps") - directP50).toFixed(1)} ms (target < 3 ms); ` +
        `wrangler dev's inbound floor (Worker route, no ClickHouse) ${p50Of("Worker route, no ClickHouse").toFixed(1)} ms`,
    );
    const hit = p50Of("cached endpoint, hit");
    console.log(
      `cache: hit p50 ${hit.toFixed(2)} ms = static answer ${p50Of("static answer (/tokens)").toFixed(2)} ms ` +
        `+ ${(hit - p50Of("static answer (/tokens)")).toFixed(2)} ms (goal <= 0.3 ms); ` +
        `miss ${p50Of("cached endpoint, miss").toFixed(2)} ms (the uncached pipe with new params each call ${p50Of("endpoint, new params").toFixed(2)} ms); ` +
        `hit saves ${(p50Of("cached endpoint, miss") - hit).toFixed(2)} ms`,
    );
    const paired = (a: string, b: string) => {
      const xs = results[a]!.map((r, i) => r.p50 - results[b]![i]!.p50).map((d) => d.toFixed(2));
      return xs.join(" / ");
    };
    console.log(`per round, hit - static p50: ${paired("cached endpoint, hit", "static answer (/tokens)")} ms; load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  } finally {
    await stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
