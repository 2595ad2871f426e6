/**
 * The floor any Worker pays to reach an HTTP server: a Worker with no Tern
 * code that forwards each call to `upstream` and answers the body, run in a
 * workerd the bench starts (Miniflare) and called on a socket bound straight
 * to it (`unsafeDirectSockets`: no wrangler dev proxy, no Miniflare entry
 * router). Benches run it next to Tern's Worker on its own socket
 * (`tern-worker.ts`), so "what Tern adds" can be read against "what a Worker
 * that only forwards adds", both measured in the same run.
 *
 * Paths: `/forward<path>?<query>` → `POST|GET <upstream><path>?<query>` with the
 * call's body and its `x-clickhouse-*` / `content-type` headers, the answer
 * read whole and sent with its content type (as Tern sends small answers);
 * `/timer` waits `delayMs` on a timer; anything else answers `ok` at once.
 */
import { Miniflare } from "miniflare";
import { readFileSync } from "node:fs";
import { processTree } from "./measure.js";

/** The Worker's module (the same under wrangler dev in `bench/endpoints/floor.ts`). */
export const forwardingScript = (delayMs: number) => `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/forward")) {
      const headers = {};
      for (const [k, v] of request.headers) if (k.startsWith("x-clickhouse-") || k === "content-type") headers[k] = v;
      const body = request.method === "GET" ? undefined : await request.arrayBuffer();
      const res = await fetch(env.UPSTREAM + url.pathname.slice("/forward/".length) + url.search, { method: request.method, headers, body });
      // Whole and uncompressed, as Tern sends answers up to TERN_SMALL_ANSWER_BYTES (no gzip for clients that accept it).
      return new Response(await res.arrayBuffer(), { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "text/plain", "content-encoding": "identity" } });
    }
    if (url.pathname === "/timer") {
      await new Promise((r) => setTimeout(r, ${delayMs}));
      return new Response("ok");
    }
    return new Response("ok");
  },
};
`;

export interface ForwardingWorker {
  /** Base URL of the socket bound to the Worker. */
  direct: string;
  /** The workerd process of this Miniflare (for `CpuMeter`). */
  pids: number[];
  dispose(): Promise<void>;
}

/** `upstream` ends with "/"; the compatibility date and flags as the Worker's it stands beside. */
export async function startForwardingWorker(opts: { upstream: string; compatibilityDate: string; compatibilityFlags?: string[]; delayMs?: number }): Promise<ForwardingWorker> {
  const before = new Set(processTree(process.pid));
  const mf = new Miniflare({
    name: "forward",
    modules: true,
    script: forwardingScript(opts.delayMs ?? 8),
    bindings: { UPSTREAM: opts.upstream },
    compatibilityDate: opts.compatibilityDate,
    compatibilityFlags: opts.compatibilityFlags ?? [],
    host: "127.0.0.1",
    port: 0,
    cf: false,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  await mf.ready;
  const direct = (await mf.unsafeGetDirectURL("forward")).origin;
  const pids = processTree(process.pid).filter((p) => {
    try {
      return !before.has(p) && readFileSync(`/proc/${p}/cmdline`, "utf8").includes("workerd");
    } catch {
      return false;
    }
  });
  return { direct, pids, dispose: () => mf.dispose() };
}
