/**
 * Two HTTP clients a bench can time calls with, the same for every mode of a
 * run: Node's `fetch` (undici) and `node:http` with a keep-alive agent. Both
 * reuse connections; `node:http` does less work per call in the bench's own
 * process, so a mode's figure carries less client time. Differences between
 * modes (the "added" latency) came out the same with both in a probe
 * (2026-12-08: +1.10 vs +1.08 ms for a forwarding Worker on its own socket),
 * so `fetch` stays the default and `--client http` the check.
 *
 * @example
 * const call = httpClient("http", 1);
 * const res = await call("http://127.0.0.1:8123/?query=SELECT%201");
 */
import { Agent, request } from "node:http";

export type ClientKind = "fetch" | "http";
export type Call = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<Response>;

/** A `fetch`-like function; `sockets` bounds the keep-alive pool of the `http` client (the bench's concurrency). */
export function httpClient(kind: ClientKind, sockets: number): Call {
  if (kind === "fetch") return (url, init) => fetch(url, init);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets });
  return (url, init = {}) =>
    new Promise((ok, fail) => {
      const req = request(url, { method: init.method ?? "GET", headers: init.headers ?? {}, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
          // The body was read whole: a Response only to give every client the same shape.
          ok(new Response(res.statusCode === 204 || res.statusCode === 304 ? null : Buffer.concat(chunks), { status: res.statusCode ?? 0, headers }));
        });
        res.on("error", fail);
      });
      req.on("error", fail);
      req.end(init.body);
    });
}
