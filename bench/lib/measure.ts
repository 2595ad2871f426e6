/**
 * Helpers every bench can share so its figures can be trusted on a loaded
 * machine: interleaved schedules of modes, median and spread, paired ratios,
 * the load average, and which process burned the CPU (from /proc, Linux).
 *
 * @example
 * const cpu = new CpuMeter({ bench: [process.pid], server: [server.pid] });
 * for (const { mode } of interleave(["server", "direct"], 5)) { cpu.begin(mode); await run(mode); cpu.end(mode); }
 * console.log(cpu.report());
 */
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

/** "load 1.23 0.98 0.75 (2 cores)". */
export function loadLine(): string {
  return `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")} (${cpus().length} cores)`;
}

/** The 1-minute load average now. */
export function load1(): number {
  return loadavg()[0]!;
}

/** One line describing the machine and runtime, for the head of a bench's output. */
export function machineLine(): string {
  return `machine: ${cpus().length}x ${cpus()[0]?.model ?? "?"}, node ${process.version}, ${loadLine()}`;
}

/**
 * A schedule of `rounds` rounds in which every mode runs once per round. The
 * order inside a round rotates (round-robin: A B C, B C A, C A B, …) or, with
 * `shuffle`, is a seeded random permutation, so no mode always runs first or
 * right after another, and a change of outside load hits every mode alike.
 */
export function interleave<M>(modes: readonly M[], rounds: number, opts: { shuffle?: boolean; seed?: number } = {}): { round: number; mode: M }[] {
  const out: { round: number; mode: M }[] = [];
  let state = (opts.seed ?? 0x9e3779b9) >>> 0;
  const random = () => {
    // xorshift32: reproducible from the seed.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  for (let r = 0; r < rounds; r++) {
    let order = modes.map((_, i) => (i + r) % modes.length);
    if (opts.shuffle) {
      order = modes.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (const i of order) out.push({ round: r, mode: modes[i]! });
  }
  return out;
}

/** The value at percentile `p` (0-100) of `values` (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  /** (p75 - p25) / median: the relative spread of the middle half. */
  iqrRel: number;
}

export function spread(values: readonly number[]): Spread {
  const median = percentile(values, 50);
  return {
    n: values.length,
    median,
    min: Math.min(...values),
    max: Math.max(...values),
    iqrRel: (percentile(values, 75) - percentile(values, 25)) / median,
  };
}

/** "median 1.23 (min 1.10, max 1.50, IQR ±4%, n=5)" with `digits` decimals. */
export function formatSpread(s: Spread, digits = 2, unit = ""): string {
  const f = (v: number) => `${v.toFixed(digits)}${unit}`;
  return `median ${f(s.median)} (min ${f(s.min)}, max ${f(s.max)}, IQR ±${((s.iqrRel * 100) / 2).toFixed(0)}%, n=${s.n})`;
}

/** Ratios a[i] / b[i] of figures measured in the same round (paired, so outside load cancels out). */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x / b[i]!);
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** `pid` and every process below it (from /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const tid of readdirSync(`/proc/${out[i]}/task`)) {
        const children = readFileSync(`/proc/${out[i]}/task/${tid}/children`, "utf8").trim();
        if (children) for (const c of children.split(" ")) out.push(Number(c));
      }
    } catch {
      // The process exited.
    }
  }
  return out;
}

/**
 * CPU used by named groups of processes during labelled phases. `groups` maps
 * a name to the pids it sums (pass `processTree(pid)` to count a process with
 * its children; the list is re-read at every `begin`).
 * `report()` names, per label, each group's CPU seconds per wall second
 * (1.00 = one core busy) and the bottleneck: the group that used the most.
 */
export class CpuMeter {
  readonly #groups: Record<string, number[] | (() => number[])>;
  readonly #open = new Map<string, { at: number; cpu: Map<string, number>; pids: Map<string, number[]> }>();
  readonly #totals = new Map<string, { wall: number; cpu: Map<string, number> }>();

  constructor(groups: Record<string, number[] | (() => number[])>) {
    this.#groups = groups;
  }

  #sample(pids: Map<string, number[]>): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, list] of pids) out.set(name, list.reduce((a, p) => a + cpuSeconds(p), 0));
    return out;
  }

  begin(label: string): void {
    const pids = new Map(Object.entries(this.#groups).map(([n, list]) => [n, typeof list === "function" ? list() : list]));
    this.#open.set(label, { at: performance.now(), cpu: this.#sample(pids), pids });
  }

  end(label: string): void {
    const o = this.#open.get(label);
    if (!o) return;
    this.#open.delete(label);
    const now = this.#sample(o.pids);
    const t = this.#totals.get(label) ?? { wall: 0, cpu: new Map<string, number>() };
    t.wall += (performance.now() - o.at) / 1000;
    for (const [n, v] of now) t.cpu.set(n, (t.cpu.get(n) ?? 0) + v - (o.cpu.get(n) ?? 0));
    this.#totals.set(label, t);
  }

  /** CPU seconds used by each group over every `begin`/`end` of `label`, and the wall seconds they spanned. */
  totals(label: string): { wall: number; cpu: Record<string, number> } | undefined {
    const t = this.#totals.get(label);
    return t && { wall: t.wall, cpu: Object.fromEntries(t.cpu) };
  }

  /** CPU seconds per wall second by group, and the busiest group, for `label`. */
  usage(label: string): { perWall: Record<string, number>; bottleneck: string } | undefined {
    const t = this.#totals.get(label);
    if (!t || t.wall === 0) return undefined;
    const perWall: Record<string, number> = {};
    let bottleneck = "";
    for (const [n, v] of t.cpu) {
      perWall[n] = v / t.wall;
      if (bottleneck === "" || perWall[n]! > perWall[bottleneck]!) bottleneck = n;
    }
    return { perWall, bottleneck };
  }

  /**
   * One line per label: "insert server: server 1.62, bench 0.21 CPU-s per s -> bottleneck server".
   * When even the busiest group used less than `starved` of a core, none of
   * them was the limit: they were waiting (for each other, I/O, or a CPU the
   * machine's other load held), and the line says so.
   */
  report(starved = 0.5): string {
    const lines: string[] = [];
    for (const label of this.#totals.keys()) {
      const u = this.usage(label)!;
      const parts = Object.entries(u.perWall).map(([n, v]) => `${n} ${v.toFixed(2)}`);
      const busiest = u.perWall[u.bottleneck]!;
      const verdict =
        busiest >= starved
          ? `bottleneck ${u.bottleneck}`
          : `busiest ${u.bottleneck}, but under ${starved} of a core: the processes waited (machine load, I/O or each other)`;
      lines.push(`${label}: ${parts.join(", ")} CPU-s per s -> ${verdict}`);
    }
    return lines.join("\n");
  }
}
