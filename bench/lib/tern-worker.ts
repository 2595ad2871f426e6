/**
 * Tern's own Worker in a workerd the bench starts itself, called on a socket
 * bound straight to the Worker (Miniflare's `unsafeDirectSockets`): no
 * wrangler dev proxy workerd and no Miniflare entry worker (the router that
 * wrangler dev's Worker workerd runs in front of every request, which
 * production Cloudflare does not run).
 *
 * What it keeps, so the figures stand for "the Worker's workerd": the bundle
 * `wrangler deploy --dry-run` builds from wrangler.toml (the code production
 * runs), the bindings `unstable_getMiniflareWorkerOptions` derives from that
 * same wrangler.toml (Durable Objects with their SQLite migrations, KV, R2,
 * queues), the vars `npm run dev` hands
 * its Worker (`<data-dir>/worker.env`), and a copy of its Durable Object, KV
 * and cache state, taken after the bench has deployed; ClickHouse is the same
 * server. Left out: `[assets]` (the console under /ui/, which no bench
 * calls): with it, Miniflare binds a direct socket to its assets router
 * instead of the Worker. Copy, not share: two workerd processes would each cache the same
 * SQLite-backed Durable Objects in memory and overwrite each other's writes.
 *
 * @example
 * const worker = await startTernWorker({ dataDir });
 * await fetch(`${worker.direct}/v0/health`);
 * await worker.dispose();
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { Miniflare, type WorkerOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { processTree } from "./measure.js";

const repoRoot = resolve(import.meta.dirname, "..", "..");

export interface TernWorker {
  /** Base URL of the socket bound to the Worker itself (no entry router). */
  direct: string;
  /** Base URL of Miniflare's entry socket of the same workerd (router worker in front). */
  entry: string;
  /** The workerd process(es) this Miniflare started (for `CpuMeter`). */
  pids: number[];
  /** The DevTools inspector's URL when `inspectorPort` was given (the Worker's target: `core:user:tern`). */
  inspector?: string;
  /** The bundle the Worker runs (for `cpu-profile.ts`). */
  bundlePath: string;
  dispose(): Promise<void>;
}

/** The Worker's bundle as `wrangler deploy` would upload it (runs wrangler.toml's [build] first). */
async function bundle(root: string, outDir: string): Promise<string> {
  const child = spawn(join(repoRoot, "node_modules", ".bin", "wrangler"), ["deploy", "--dry-run", "--outdir", outDir, "--config", join(root, "wrangler.toml")], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const code = await new Promise<number | null>((ok) => child.on("exit", ok));
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed (${code}):\n${log}`);
  return join(outDir, "index.js");
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/**
 * Starts Tern's Worker against the state of the `npm run dev` whose data dir
 * is `dataDir` (its `worker.env` and `wrangler/` persist dir). Call it after
 * the bench has deployed: later changes to that state are not seen.
 */
export async function startTernWorker(opts: {
  dataDir: string;
  inspectorPort?: number;
  /** Another checkout of Tern to build the Worker from (default: this one), e.g. to compare two versions on the same state. */
  root?: string;
}): Promise<TernWorker> {
  const root = opts.root ?? repoRoot;
  const scratch = await mkdtemp(join(tmpdir(), "tern-bench-worker-"));
  try {
    const scriptPath = await bundle(root, join(scratch, "bundle"));
    // wrangler dev --persist-to <dir> keeps Miniflare's state under <dir>/v3.
    await cp(join(opts.dataDir, "wrangler"), join(scratch, "state"), {
      recursive: true,
      // SQLite rebuilds a WAL index on open; a copied one could be stale.
      filter: (src) => !src.endsWith("-shm"),
    });
    const vars = parseEnv(await readFile(join(opts.dataDir, "worker.env"), "utf8"));
    const { workerOptions, externalWorkers } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
    // With [assets], Miniflare binds a direct socket to its assets router, which then calls the
    // Worker: without them the socket is bound to the Worker itself. Every asset is under /ui/,
    // which no bench calls; API paths skip the asset lookup anyway (run_worker_first).
    const { assets: _assets, ...worker } = workerOptions as WorkerOptions & { assets?: unknown };
    const before = new Set(processTree(process.pid));
    const mf = new Miniflare({
      workers: [
        {
          ...worker,
          name: "tern",
          modules: true,
          scriptPath,
          // Module names are paths relative to this root; the bundle lives outside the cwd.
          modulesRoot: dirname(scriptPath),
          bindings: { ...worker.bindings, ...vars },
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        } as WorkerOptions,
        ...(externalWorkers as WorkerOptions[]),
      ],
      host: "127.0.0.1",
      port: 0,
      defaultPersistRoot: join(scratch, "state", "v3"),
      // As `npm run dev` (CLOUDFLARE_CF_FETCH_ENABLED=false): the placeholder `cf` object, no download.
      cf: false,
      ...(opts.inspectorPort !== undefined ? { inspectorPort: opts.inspectorPort } : {}),
    });
    const entry = await mf.ready;
    const direct = await mf.unsafeGetDirectURL("tern");
    const pids = processTree(process.pid).filter((p) => !before.has(p) && cmdline(p).includes("workerd"));
    const inspector = opts.inspectorPort !== undefined ? (await mf.getInspectorURL()).href : undefined;
    return {
      direct: direct.origin,
      entry: entry.origin,
      pids,
      bundlePath: scriptPath,
      ...(inspector ? { inspector } : {}),
      dispose: async () => {
        await mf.dispose();
        await rm(scratch, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(scratch, { recursive: true, force: true });
    throw e;
  }
}
