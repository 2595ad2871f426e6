/**
 * The floor under `bench/endpoints`' "added latency": what wrangler dev's
 * workerd adds to one outbound HTTP call when the Worker does nothing else.
 * A minimal Worker (no Tern code: it forwards the request to an HTTP server
 * and returns the body) runs under `wrangler dev` exactly as `npm run dev`
 * runs Tern's (inspector proxy off, `[assets]` with the same
 * `run_worker_first` rule); the server is a Node process that answers a
 * ClickHouse-sized JSON body after `--delay` ms (ClickHouse's query time).
 * The same Worker also runs in a workerd the bench starts itself (Miniflare),
 * called on a socket bound straight to it (`unsafeDirectSockets`): no wrangler
 * dev proxy and no Miniflare entry router in front, as on Cloudflare
 * (`../lib/forwarding-worker.ts`). Modes, in shuffled blocks of 25 calls at
 * concurrency 1, CPU per call of each process from /proc per block:
 *
 * - server direct: Node → the server (what "ClickHouse direct" is to the endpoint bench);
 * - Worker proxy, own socket: Node → the Worker (its own workerd and socket) → the server → back;
 * - Worker route, own socket: that Worker answering without any I/O;
 * - Worker proxy, workerd direct: Node → wrangler dev's Worker workerd (Miniflare's entry socket) → the server → back;
 * - Worker route, workerd direct: the Worker answers without any I/O;
 * - Worker timer, workerd direct: the Worker waits `--delay` ms on a timer, no I/O;
 * - Worker proxy, through wrangler dev: the same through wrangler dev's proxy workerd.
 *
 * If the proxy's added p50 is above an endpoint goal, no Worker code can meet
 * that goal on this machine.
 *
 * Run: npx tsx bench/endpoints/floor.ts [--calls 1000] [--delay 8] [--client fetch|http]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createServer } from "node:net";
import { CpuMeter, loadLine, processTree } from "../lib/measure.js";
import { forwardingScript, startForwardingWorker, type ForwardingWorker } from "../lib/forwarding-worker.js";
import { httpClient, type ClientKind } from "../lib/http-client.js";

const { values } = parseArgs({
  options: {
    calls: { type: "string", default: "1000" },
    delay: { type: "string", default: "8" },
    /** The client every mode is timed with (bench/lib/http-client.ts). */
    client: { type: "string", default: "fetch" },
  },
});
if (values.client !== "fetch" && values.client !== "http") throw new Error(`--client: fetch or http, not ${values.client}`);
const call = httpClient(values.client as ClientKind, 1);
const CALLS = Number(values.calls);
const DELAY = Number(values.delay);
const BLOCK = 25;
const repoRoot = resolve(import.meta.dirname, "..", "..");

/** The server: a ~550-byte JSON answer (the endpoint bench's) after `delay` ms. */
const SERVER = `
const http = require("node:http");
const body = JSON.stringify({ meta: [{ name: "pathname", type: "String" }], data: Array.from({ length: 10 }, (_, i) => ({ pathname: "/page/" + i, views: 100 + i })), rows: 10 });
const s = http.createServer((q, r) => { q.resume(); q.on("end", () => setTimeout(() => r.writeHead(200, { "content-type": "application/json" }).end(body), ${DELAY})); });
s.listen(0, "127.0.0.1", () => console.log("port " + s.address().port));
`;

/** The Worker: no Tern code, only the runtime's own request, fetch and response (`/forward/` → the server). */
const WORKER = forwardingScript(DELAY);

function lineFrom(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error(`${what} did not start:\n${out}`)), 120_000);
    const on = (d: Buffer) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m);
      }
    };
    child.stdout?.on("data", on);
    child.stderr?.on("data", on);
  });
}

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

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

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
  return readFileSync(`/proc/${pid}/net/tcp`, "utf8")
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === "0A" && inodes.has(f[9]!))
    .map((f) => parseInt(f[1]!.split(":")[1]!, 16));
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "tern-bench-floor-"));
  const children: ChildProcess[] = [];
  let own: ForwardingWorker | undefined;
  try {
    const server = spawn(process.execPath, ["-e", SERVER], { stdio: ["ignore", "pipe", "pipe"], detached: true });
    children.push(server);
    const upstream = `http://127.0.0.1:${(await lineFrom(server, /port (\d+)/, "server"))[1]}/`;

    await mkdir(join(dir, "assets", "ui"), { recursive: true });
    await writeFile(join(dir, "assets", "ui", "index.html"), "<!doctype html>");
    await writeFile(join(dir, "worker.js"), WORKER);
    // As wrangler.toml: the same compatibility date and the same assets rule.
    await writeFile(
      join(dir, "wrangler.toml"),
      `name = "floor"\nmain = "worker.js"\ncompatibility_date = "2026-04-20"\n[vars]\nUPSTREAM = "${upstream}"\n[assets]\ndirectory = "assets"\nrun_worker_first = ["/*", "!/ui", "!/ui/*"]\n`,
    );
    const port = await freePort();
    const wrangler = spawn(
      join(repoRoot, "node_modules", ".bin", "wrangler"),
      ["dev", "--config", join(dir, "wrangler.toml"), "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", "0", "--show-interactive-dev-session=false", "--log-level", "warn"],
      {
        cwd: dir,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        // As cli/dev.ts: no inspector proxy (it traces every fetch), no metrics, no cf fetch.
        env: { ...process.env, VSCODE_INSPECTOR_OPTIONS: "tern-bench:inspector-proxy-off", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      },
    );
    children.push(wrangler);
    let log = "";
    wrangler.stdout?.on("data", (d) => (log += d));
    wrangler.stderr?.on("data", (d) => (log += d));
    // At log level warn wrangler prints no "Ready" line: wait for the Worker to answer.
    const viaWrangler = `http://127.0.0.1:${port}`;
    for (let started = Date.now(); ; ) {
      try {
        if ((await (await fetch(`${viaWrangler}/route`)).text()) === "ok") break;
      } catch {
        // not up yet
      }
      if (Date.now() - started > 120_000 || wrangler.exitCode !== null) throw new Error(`wrangler dev did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const tree = processTree(wrangler.pid!);
    const worker = tree.filter((p) => cmdline(p).includes("workerd serve") && cmdline(p).includes("entry=127.0.0.1:0 "));
    const proxy = tree.filter((p) => cmdline(p).includes("workerd serve") && !worker.includes(p));
    let direct: string | undefined;
    for (const port of worker.flatMap(listeningPorts)) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/route`, { signal: AbortSignal.timeout(2000) });
        if ((await res.text()) === "ok") direct = `http://127.0.0.1:${port}`;
      } catch {
        // not it
      }
    }
    if (!direct) throw new Error("no listening port of the Worker's workerd answers");

    // The same Worker on its own workerd and socket, as production runs it (no entry router, no proxy).
    own = await startForwardingWorker({ upstream, compatibilityDate: "2026-04-20", delayMs: DELAY });
    const post = { method: "POST", body: "SELECT 1" };
    const modes: Record<string, () => Promise<Response>> = {
      "server direct": () => call(upstream, post),
      "Worker proxy, own socket": () => call(`${own!.direct}/forward/`, post),
      "Worker route, own socket": () => call(`${own!.direct}/route`),
      "Worker proxy, workerd direct": () => call(`${direct}/forward/`, post),
      "Worker route, workerd direct": () => call(`${direct}/route`),
      "Worker timer, workerd direct": () => call(`${direct}/timer`),
      "Worker proxy, through wrangler": () => call(`${viaWrangler}/forward/`, post),
    };
    const cpu = new CpuMeter({ "workerd (own socket)": own.pids, "workerd (Worker)": worker, "workerd (proxy)": proxy, server: [server.pid!] });
    for (const call of Object.values(modes)) for (let i = 0; i < 30; i++) await (await call()).arrayBuffer(); // warm-up
    console.log(`start: ${loadLine()}`);
    const latencies: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
    for (let block = 0; block < CALLS / BLOCK; block++) {
      for (const [name, call] of Object.entries(modes).sort(() => Math.random() - 0.5)) {
        cpu.begin(name);
        for (let i = 0; i < BLOCK; i++) {
          const t0 = performance.now();
          const res = await call();
          await res.arrayBuffer();
          latencies[name]!.push(performance.now() - t0);
          if (!res.ok) throw new Error(`${name}: ${res.status}`);
        }
        cpu.end(name);
      }
    }
    const p50 = (name: string) => {
      const xs = [...latencies[name]!].sort((a, b) => a - b);
      return xs[Math.floor(xs.length / 2)]!;
    };
    console.log(`\nmachine: ${cpus().length}x ${cpus()[0]?.model ?? "?"}, node ${process.version}; ${CALLS} calls per mode, upstream answers after ${DELAY} ms`);
    console.log("mode                              p50 ms   CPU per call (ms, /proc)");
    for (const name of Object.keys(modes)) {
      const t = cpu.totals(name);
      const per = t ? Object.entries(t.cpu).map(([g, v]) => `${g} ${((v * 1000) / latencies[name]!.length).toFixed(2)}`).join(", ") : "";
      console.log(`${name.padEnd(32)} ${p50(name).toFixed(2).padStart(7)}   ${per}`);
    }
    const base = p50("server direct");
    console.log(
      `\nadded p50 by a Worker that only forwards the call: ${(p50("Worker proxy, own socket") - base).toFixed(2)} ms on its own socket, ` +
        `${(p50("Worker proxy, workerd direct") - base).toFixed(2)} ms on wrangler dev's Worker workerd (entry socket), ` +
        `${(p50("Worker proxy, through wrangler") - base).toFixed(2)} ms through wrangler dev`,
    );
    // What "excluding the hop" in bench/clickhouse-interface still holds: the Worker's one outbound call.
    console.log(
      `of which the outbound call (proxy - route - server direct): ${(p50("Worker proxy, own socket") - p50("Worker route, own socket") - base).toFixed(2)} ms on its own socket, ` +
        `${(p50("Worker proxy, workerd direct") - p50("Worker route, workerd direct") - base).toFixed(2)} ms on wrangler dev's Worker workerd`,
    );
    console.log(`end: ${loadLine()}`);
  } finally {
    await own?.dispose().catch((e) => console.error(e));
    for (const child of children) {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        // gone
      }
    }
    await new Promise((r) => setTimeout(r, 1500));
    for (const child of children) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
