/**
 * A CPU profile of a Worker's isolate through workerd's inspector (the Chrome
 * DevTools protocol's `Profiler` domain), summed by function and by source
 * file, to find what a request path spends its CPU on. Source files come from
 * the `// <path>` comments esbuild writes before each module of a bundle
 * (`wrangler deploy --dry-run`), so no source map is needed.
 *
 * Needs a global `WebSocket` (Node 22, or Node 20 with
 * `NODE_OPTIONS=--experimental-websocket`).
 *
 * @example
 * const profiler = await connectProfiler(inspectorUrl, "core:user:tern");
 * await profiler.start();
 * for (let i = 0; i < 500; i++) await (await fetch(url)).arrayBuffer();
 * console.log(summarize(await profiler.stop(), bundleText).join("\n"));
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Profiler {
  start(): Promise<void>;
  stop(): Promise<Profile>;
  close(): void;
}

/** Connects to the inspector target whose id or title holds `target` (Miniflare names a Worker `core:user:<name>`). */
export async function connectProfiler(inspectorUrl: string, target: string, samplingMicros = 50): Promise<Profiler> {
  if (typeof WebSocket === "undefined") throw new Error("no global WebSocket: run with NODE_OPTIONS=--experimental-websocket (Node 20)");
  const base = inspectorUrl.replace(/^ws/, "http").replace(/\/$/, "");
  const targets = (await (await fetch(`${base}/json`)).json()) as { id: string; title?: string; webSocketDebuggerUrl: string }[];
  const found = targets.find((t) => t.id.includes(target) || t.title?.includes(target));
  if (!found) throw new Error(`no inspector target ${target} among ${targets.map((t) => t.id).join(", ")}`);
  const ws = new WebSocket(found.webSocketDebuggerUrl);
  await new Promise<void>((ok, fail) => {
    ws.onopen = () => ok();
    ws.onerror = () => fail(new Error(`inspector: cannot connect to ${found.webSocketDebuggerUrl}`));
  });
  let next = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: { message: string } };
    if (msg.id === undefined) return;
    const done = waiting.get(msg.id);
    waiting.delete(msg.id);
    if (msg.error) throw new Error(`inspector: ${msg.error.message}`);
    done?.(msg.result);
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((ok) => {
      const id = ++next;
      waiting.set(id, ok);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: samplingMicros });
  return {
    start: async () => void (await send("Profiler.start")),
    stop: async () => ((await send("Profiler.stop")) as { profile: Profile }).profile,
    close: () => ws.close(),
  };
}

/** Source file of each line of a bundle, from esbuild's `// path/to/module.ts` comments. */
function fileOfLine(bundle: string): (line: number) => string {
  const marks: { line: number; file: string }[] = [];
  bundle.split("\n").forEach((text, i) => {
    const m = /^\/\/ ((?:node_modules|workers|shared|\.\.?)\/\S+\.[cm]?[jt]sx?)$/.exec(text);
    if (m) marks.push({ line: i, file: m[1]!.replace(/^(\.\.\/)+/, "").replace(/^.*node_modules\//, "node_modules/") });
  });
  return (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let found = "?";
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid]!.line <= line) {
        found = marks[mid]!.file;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/**
 * Lines of text: self time (ms per call when `calls` is given) by source file
 * and by function, and the inclusive time of the heaviest functions.
 */
export function summarize(profile: Profile, bundlePath: string, calls: number, samplingMicros = 50, top = 25): string[] {
  const fileOf = fileOfLine(readFileSync(bundlePath, "utf8"));
  const samples = profile.samples ?? [];
  // Each sample stands for one sampling interval. The time deltas between samples are wall time:
  // a sample taken right after the isolate waited on I/O (or the thread waited for a core) would
  // carry the whole wait.
  const self = new Map<number, number>(); // node id → µs
  for (const id of samples) self.set(id, (self.get(id) ?? 0) + samplingMicros);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (f: CallFrame) => {
    const where = f.url ? `${fileOf(f.lineNumber)}:${f.lineNumber + 1}` : "(native)";
    return `${f.functionName || "(anonymous)"} ${where}`;
  };
  const fileSelf = new Map<string, number>();
  const fnSelf = new Map<string, number>();
  const fnTotal = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const f = node.callFrame;
    const file = f.url ? fileOf(f.lineNumber) : f.functionName.startsWith("(") ? f.functionName : "(native)";
    fileSelf.set(file, (fileSelf.get(file) ?? 0) + us);
    fnSelf.set(label(f), (fnSelf.get(label(f)) ?? 0) + us);
    // Inclusive: once per distinct function on the stack.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!.callFrame);
      if (seen.has(l)) continue;
      seen.add(l);
      fnTotal.set(l, (fnTotal.get(l) ?? 0) + us);
    }
  }
  const per = (us: number) => (us / 1000 / calls).toFixed(3);
  const busy = [...self.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName !== "(idle)").reduce((a, [, us]) => a + us, 0);
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${per(us).padStart(7)}  ${k}`);
  return [
    `samples x interval (${samplingMicros} µs), not idle: ${per(busy)} ms per call over ${calls} calls (${samples.length} samples)`,
    "self time by source file (ms per call):",
    ...rows(fileSelf),
    "self time by function (ms per call):",
    ...rows(fnSelf),
    "inclusive time by function (ms per call):",
    ...rows(fnTotal),
  ];
}
