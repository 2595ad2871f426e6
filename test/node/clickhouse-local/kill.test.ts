import { createClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iterate, privateServer } from "./helpers.js";

// Two connections, no admin reserve: every slot is observable from here.
let srv: Awaited<ReturnType<typeof privateServer>>;
const VERSION = / \(version [\d.]+ \(official build\)\)\n$/;

function request(query: string, search: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  const u = new URL(srv.server.url);
  u.searchParams.set("query", query);
  for (const [k, v] of Object.entries(search)) u.searchParams.set(k, v);
  return fetch(u, { method: "POST", headers: { authorization: `Basic ${Buffer.from("u:p").toString("base64")}` }, signal });
}

async function answer(query: string, search: Record<string, string> = {}): Promise<{ status: number; code: string | null; text: string }> {
  const res = await request(query, search);
  return { status: res.status, code: res.headers.get("x-clickhouse-exception-code"), text: (await res.text()).replace(VERSION, "") };
}

async function isRunning(queryId: string): Promise<boolean> {
  return (await answer(`KILL QUERY WHERE query_id = '${queryId}' TEST FORMAT JSONEachRow`)).text !== "";
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const CANCELLED = "Code: 394. DB::Exception: Query was cancelled. (QUERY_WAS_CANCELLED)";

beforeAll(async () => {
  srv = await privateServer({ pool: 2, adminReserve: 0 });
});
afterAll(async () => {
  await srv.cleanup();
});

describe("KILL QUERY WHERE query_id = …", () => {
  it("a streamed query: cancelled at once; SYNC answers a row per killed query once it is gone", async () => {
    const res = await request("SELECT number FROM system.numbers", { query_id: "k-stream", default_format: "JSONEachRow" });
    expect(res.status).toBe(200);
    const chunks = iterate(res.body!);
    await chunks.next();
    expect(await answer("KILL QUERY WHERE query_id = 'k-stream' SYNC FORMAT JSONEachRow")).toEqual({
      status: 200,
      code: null,
      text: '{"kill_status":"finished","query_id":"k-stream","user":"u","query":"SELECT number FROM system.numbers"}\n',
    });
    let rest = "";
    for await (const c of chunks) rest += Buffer.from(c).toString("utf8").slice(-2000);
    // The answer ends with ClickHouse's in-stream exception block, so no client takes it for complete.
    expect(rest).toMatch(/__exception__\r\n[0-9a-f]{16}\nCode: 394\. DB::Exception: Query was cancelled\. \(QUERY_WAS_CANCELLED\)/);
    expect(await isRunning("k-stream")).toBe(false);
  });

  it("a query waiting for a connection: it stops waiting and answers 394 (500); ASYNC answers `waiting`", async () => {
    let blockersDone = false;
    const blockers = Promise.all([1, 2].map((i) => answer("SELECT sleep(2.5) FORMAT JSON", { query_id: `k-block-${i}` }))).then(() => {
      blockersDone = true;
    });
    await until(async () => (await isRunning("k-block-1")) && (await isRunning("k-block-2")), "both connections are taken");
    const waiting = answer("SELECT 42", { query_id: "k-waiting" });
    await until(() => isRunning("k-waiting"), "the query waits for a connection");
    expect(await answer("KILL QUERY WHERE query_id = 'k-waiting' ASYNC", { default_format: "JSONEachRow" })).toEqual({
      status: 200,
      code: null,
      text: '{"kill_status":"waiting","query_id":"k-waiting","user":"u","query":"SELECT 42"}\n',
    });
    expect(await waiting).toEqual({ status: 500, code: "394", text: CANCELLED });
    expect(blockersDone).toBe(false);
    await blockers;
  });

  it("a one-shot query: the client gets 394 at once; SYNC returns once the engine has let go of it", async () => {
    const order: string[] = [];
    const victim = answer("SELECT sleep(1.5) FORMAT JSON", { query_id: "k-oneshot" }).then((r) => {
      order.push("client answered");
      return r;
    });
    await until(() => isRunning("k-oneshot"), "the query runs");
    const kill = answer("KILL QUERY WHERE query_id = 'k-oneshot' SYNC FORMAT JSONEachRow").then((r) => {
      order.push("kill returned");
      return r;
    });
    expect(await victim).toEqual({ status: 500, code: "394", text: CANCELLED });
    expect(await kill).toEqual({
      status: 200,
      code: null,
      text: '{"kill_status":"finished","query_id":"k-oneshot","user":"u","query":"SELECT sleep(1.5) FORMAT JSON"}\n',
    });
    expect(order).toEqual(["client answered", "kill returned"]);
    expect(await isRunning("k-oneshot")).toBe(false);
  });

  it("an id that is not running: 200 with no rows, as ClickHouse answers", async () => {
    expect(await answer("KILL QUERY WHERE query_id = 'nothing-like-this' SYNC FORMAT JSONEachRow")).toEqual({ status: 200, code: null, text: "" });
  });

  it("other filters are NOT_IMPLEMENTED (501)", async () => {
    expect(await answer("KILL QUERY WHERE user = 'u'")).toMatchObject({ status: 501, code: "48" });
    expect(await answer("KILL MUTATION WHERE mutation_id = 'x'")).toMatchObject({ status: 501, code: "48" });
  });
});

describe("@clickhouse/client-web: abort, then KILL QUERY, frees the connection", () => {
  let one: Awaited<ReturnType<typeof privateServer>>;
  beforeAll(async () => {
    one = await privateServer({ pool: 1, adminReserve: 0 });
  });
  afterAll(async () => {
    await one.cleanup();
  });

  it("a streamed query", async () => {
    const c = one.client({ request_timeout: 20_000 });
    try {
      const controller = new AbortController();
      const rs = await c.query({ query: "SELECT number FROM system.numbers", format: "JSONEachRow", query_id: "cw-stream", abort_signal: controller.signal });
      const reader = rs.stream().getReader();
      await reader.read();
      controller.abort();
      await reader.read().catch(() => undefined);
      await c.command({ query: "KILL QUERY WHERE query_id = 'cw-stream' SYNC" });
      // The pool has one connection: this answers only if the killed query gave it back.
      const r = await c.query({ query: "SELECT 1 AS ok", format: "JSONEachRow" });
      expect(await r.json()).toEqual([{ ok: 1 }]);
    } finally {
      await c.close();
    }
  });

  it("a one-shot query (JSON format): the slot comes back when the engine lets go", async () => {
    const c = one.client({ request_timeout: 20_000 });
    try {
      const controller = new AbortController();
      const q = c.query({ query: "SELECT sleep(1.5)", format: "JSON", query_id: "cw-oneshot", abort_signal: controller.signal }).catch((e: unknown) => e);
      const probe = createClient({ url: one.server.url, username: "u", password: "p" });
      try {
        await until(async () => {
          const rs = await probe.query({ query: "KILL QUERY WHERE query_id = 'cw-oneshot' TEST", format: "JSONEachRow" });
          return (await rs.json()).length === 1;
        }, "the query runs");
      } finally {
        await probe.close();
      }
      controller.abort();
      expect(await q).toBeInstanceOf(Error);
      await c.command({ query: "KILL QUERY WHERE query_id = 'cw-oneshot' SYNC" });
      const r = await c.query({ query: "SELECT 1 AS ok", format: "JSONEachRow" });
      expect(await r.json()).toEqual([{ ok: 1 }]);
    } finally {
      await c.close();
    }
  });
});
