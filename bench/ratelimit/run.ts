/**
 * JWT rate-limit checks per second in one isolate: `rateLimiter(store).take`
 * on a JWT's `limits.rps` bucket (what every endpoint call with such a JWT
 * does), with the RateLimiter Durable Object asked once per check ("DO per
 * check", `durableBuckets`) next to leased tokens spent locally ("lease",
 * `leasedBuckets`, the Worker's default). The Worker (worker.ts, the real
 * RateLimiter class and store code) is bundled with esbuild and run by
 * Miniflare in workerd, the runtime the Worker runs on; one call of the bench
 * route runs `n` checks inside the isolate, so the HTTP request around it is
 * amortised.
 *
 * Modes (interleaved in a fresh random order every round, fixed counts):
 * - limit never reached (rps 1,000,000): every check admitted; one caller at
 *   a time, and 50 concurrent callers;
 * - limit saturated (rps 1,000): the first 1,000 admitted, the rest refused
 *   (429 in an endpoint), which the lease answers without asking the DO again
 *   until it said a token may be back.
 * Each round uses a fresh bucket key, so a lease's warm-up (leases grow from
 * one token, doubling) is inside the figure.
 *
 * Run: npx tsx bench/ratelimit/run.ts [--rounds 7] [--do-checks 20000] [--lease-checks 400000]
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    "do-checks": { type: "string", default: "20000" },
    "lease-checks": { type: "string", default: "400000" },
  },
});
const ROUNDS = Number(values.rounds);
const DO_CHECKS = Number(values["do-checks"]);
const LEASE_CHECKS = Number(values["lease-checks"]);

interface Mode {
  name: string;
  store: "do" | "lease";
  concurrency: number;
  rps: number;
  n: number;
}

const MODES: Mode[] = [
  { name: "DO per check, 1 caller", store: "do", concurrency: 1, rps: 1_000_000, n: DO_CHECKS },
  { name: "lease, 1 caller", store: "lease", concurrency: 1, rps: 1_000_000, n: LEASE_CHECKS },
  { name: "DO per check, 50 callers", store: "do", concurrency: 50, rps: 1_000_000, n: DO_CHECKS },
  { name: "lease, 50 callers", store: "lease", concurrency: 50, rps: 1_000_000, n: LEASE_CHECKS },
  { name: "DO per check, saturated (rps 1000)", store: "do", concurrency: 1, rps: 1_000, n: DO_CHECKS },
  { name: "lease, saturated (rps 1000)", store: "lease", concurrency: 1, rps: 1_000, n: LEASE_CHECKS },
];

const dir = await mkdtemp(join(tmpdir(), "tern-bench-ratelimit-"));
const script = join(dir, "worker.js");
await build({
  entryPoints: [fileURLToPath(new URL("./worker.ts", import.meta.url))],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["cloudflare:*", "node:*"],
  outfile: script,
  logLevel: "error",
});
const mf = new Miniflare({
  modules: [{ type: "ESModule", path: "worker.js", contents: await readFile(script, "utf8") }],
  compatibilityDate: "2026-04-20",
  compatibilityFlags: ["nodejs_compat", "no_nodejs_global_timers"],
  durableObjects: { RATE_LIMITER: "RateLimiter" },
});

let runs = 0;
async function run(mode: Mode): Promise<{ checksPerSecond: number; admitted: number; refused: number }> {
  const url = `http://bench/?mode=${mode.store}&n=${mode.n}&concurrency=${mode.concurrency}&rps=${mode.rps}&key=r${runs++}`;
  const t0 = performance.now();
  const res = await mf.dispatchFetch(url);
  const body = (await res.json()) as { admitted: number; refused: number };
  const seconds = (performance.now() - t0) / 1000;
  if (body.admitted + body.refused !== mode.n) throw new Error(`${mode.name}: ${JSON.stringify(body)} of ${mode.n}`);
  return { checksPerSecond: mode.n / seconds, ...body };
}

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const k = (x: number) => `${(x / 1000).toFixed(1)}k`;

try {
  const load0 = loadavg();
  console.log(`JWT rate-limit checks per isolate: ${cpus()[0]?.model ?? "?"} x${cpus().length}, Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`load average at start: ${load0.map((x) => x.toFixed(2)).join(" ")}; ${ROUNDS} rounds, DO ${DO_CHECKS} checks, lease ${LEASE_CHECKS} checks per run`);
  // Warm-up: compile paths, create the Durable Object.
  for (const m of MODES) await run({ ...m, n: Math.min(m.n, 2_000) });
  const figures = new Map<string, number[]>(MODES.map((m) => [m.name, []]));
  const admitted = new Map<string, number>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const m of shuffle(MODES)) {
      const out = await run(m);
      figures.get(m.name)!.push(out.checksPerSecond);
      admitted.set(m.name, out.admitted);
    }
  }
  console.log("");
  console.log(`| mode | checks/s median | min - max | admitted of n (last run) |`);
  console.log(`|---|---:|---:|---:|`);
  for (const m of MODES) {
    const xs = figures.get(m.name)!;
    console.log(`| ${m.name} | **${k(median(xs))}** | ${k(Math.min(...xs))} - ${k(Math.max(...xs))} | ${admitted.get(m.name)} of ${m.n} |`);
  }
  const ratio = (a: string, b: string) => (median(figures.get(a)!) / median(figures.get(b)!)).toFixed(0);
  console.log("");
  console.log(`lease / DO per check: ${ratio("lease, 1 caller", "DO per check, 1 caller")}x (1 caller), ${ratio("lease, 50 callers", "DO per check, 50 callers")}x (50 callers), ${ratio("lease, saturated (rps 1000)", "DO per check, saturated (rps 1000)")}x (saturated)`);
  console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
} finally {
  await mf.dispose();
  await rm(dir, { recursive: true, force: true });
}
