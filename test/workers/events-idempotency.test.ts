// The Idempotency-Key header of POST /v0/events, through the real Worker,
// queue and local ClickHouse: a retried request lands its rows (and its
// quarantined rows) exactly once, on both paths; keys are scoped so that
// other datasources, workspaces and bodies never collide.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import { SERVICE_DATABASE } from "../../shared/service/datasources.js";

const DS = `SCHEMA >
    \`id\` UInt32 \`json:$.id\`,
    \`run\` String \`json:$.run\`,
    \`code\` String \`json:$.code\` DEFAULT '0',
    \`n\` UInt32 DEFAULT toUInt32(code)

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
`;

let ws: { id: string; token: string };
let tables: Record<string, { rows: string; quarantine: string }> = {};

async function rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const rs = await testClickHouse().query({ query: sql, format: "JSONEachRow" });
  return rs.json<T>();
}

async function count(table: string, run: string): Promise<number> {
  const [r] = await rows<{ c: string }>(`SELECT count() AS c FROM ${table} WHERE run = '${run}'`);
  return Number(r!.c);
}

function post(body: string, opts: { key?: string; wait?: boolean; ds?: string; token?: string; requestId?: string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/x-ndjson" };
  if (opts.key !== undefined) headers["idempotency-key"] = opts.key;
  if (opts.requestId !== undefined) headers["x-request-id"] = opts.requestId;
  return api(`/v0/events?name=${opts.ds ?? "keyed"}${opts.wait ? "&wait=true" : ""}`, { method: "POST", body, token: opts.token ?? ws.token, headers });
}

function body(run: string, ids: number[], extra = ""): string {
  return [...ids.map((id) => JSON.stringify({ id, run })), ...(extra ? [extra] : [])].join("\n");
}

/** Waits until the queue consumer has handled the messages of request `requestId` (its ops-log row). */
async function consumed(requestId: string): Promise<void> {
  await vi.waitUntil(async () => {
    try {
      return (await rows(`SELECT 1 FROM ${SERVICE_DATABASE}.datasources_ops_log WHERE import_id = '${requestId}' AND result = 'ok'`)).length > 0;
    } catch {
      return false; // the service database appears with the first ops-log write
    }
  }, { timeout: 25_000, interval: 250 });
}

beforeAll(async () => {
  ws = await createWorkspace("idem");
  expect((await deploy({ "keyed.datasource": DS, "other.datasource": DS }, "auto_promote=true", ws.token)).status).toBe(200);
  const live = await liveManifest(env, ws.id);
  tables = Object.fromEntries(["keyed", "other"].map((name) => {
    const ds = live!.manifest.datasources[name]!;
    return [name, { rows: `${live!.manifest.database}.${ds.table}`, quarantine: `${live!.manifest.database}.${ds.quarantineTable}` }];
  }));
});

describe("Idempotency-Key with wait=true", () => {
  it("a retried request lands its rows and its quarantined rows once", async () => {
    const text = body("w1", [1, 2, 3], '{"id":"not a number","run":"w1"}');
    const first = await post(text, { key: "order-1001", wait: true });
    const retry = await post(text, { key: "order-1001", wait: true });
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(await first.json()).toEqual({ successful_rows: 3, quarantined_rows: 1 });
    expect(await retry.json()).toEqual({ successful_rows: 3, quarantined_rows: 1 });
    expect(await count(tables.keyed!.rows, "w1")).toBe(3);
    expect(await count(tables.keyed!.quarantine, "w1")).toBe(1);
  });

  it("a retried request holding a row ClickHouse refuses lands the rest once and quarantines that row once", async () => {
    const text = [JSON.stringify({ id: 10, run: "w2", code: "4" }), JSON.stringify({ id: 11, run: "w2", code: "four" }), JSON.stringify({ id: 12, run: "w2" })].join("\n");
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await post(text, { key: "poisoned-retry", wait: true });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ successful_rows: 2, quarantined_rows: 1 });
    }
    expect(await rows(`SELECT id, n FROM ${tables.keyed!.rows} WHERE run = 'w2' ORDER BY id`)).toEqual([{ id: 10, n: 4 }, { id: 12, n: 0 }]);
    expect(await rows(`SELECT id, code FROM ${tables.keyed!.quarantine} WHERE run = 'w2'`)).toEqual([{ id: "11", code: "four" }]);
  });

  it("the same key on another datasource, another workspace or another body is another request", async () => {
    const other = await createWorkspace("idem_other");
    expect((await deploy({ "keyed.datasource": DS }, "auto_promote=true", other.token)).status).toBe(200);
    const otherLive = await liveManifest(env, other.id);
    const otherTable = `${otherLive!.manifest.database}.${otherLive!.manifest.datasources.keyed!.table}`;
    const text = body("w3", [20, 21]);
    for (const res of await Promise.all([
      post(text, { key: "shared-key", wait: true }),
      post(text, { key: "shared-key", wait: true, ds: "other" }),
      post(text, { key: "shared-key", wait: true, token: other.token }),
      post(body("w3", [22]), { key: "shared-key", wait: true }),
    ])) expect(res.status).toBe(200);
    expect(await rows(`SELECT id FROM ${tables.keyed!.rows} WHERE run = 'w3' ORDER BY id`)).toEqual([{ id: 20 }, { id: 21 }, { id: 22 }]);
    expect(await count(tables.other!.rows, "w3")).toBe(2);
    expect(await count(otherTable, "w3")).toBe(2);
  });

  it("without a key, a retry is a new request (both land)", async () => {
    const text = body("w4", [30]);
    await post(text, { wait: true });
    await post(text, { wait: true });
    expect(await count(tables.keyed!.rows, "w4")).toBe(2);
  });
});

describe("Idempotency-Key on the queue path", () => {
  it("a request sent again after it landed adds nothing", async () => {
    const text = body("q1", Array.from({ length: 200 }, (_, i) => 100 + i), '{"id":-1,"run":"q1"}');
    const first = await post(text, { key: "batch-7", requestId: `idem-q1-a-${crypto.randomUUID()}` });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ successful_rows: 200, quarantined_rows: 1 });
    await consumed(first.headers.get("x-request-id")!);
    const retry = await post(text, { key: "batch-7", requestId: `idem-q1-b-${crypto.randomUUID()}` });
    expect(await retry.json()).toEqual({ successful_rows: 200, quarantined_rows: 1 });
    await consumed(retry.headers.get("x-request-id")!);
    expect(await count(tables.keyed!.rows, "q1")).toBe(200);
    expect(await count(tables.keyed!.quarantine, "q1")).toBe(1);
  });

  it("two copies of a request in flight together land once", async () => {
    const text = body("q2", Array.from({ length: 50 }, (_, i) => 400 + i));
    const ids = [`idem-q2-a-${crypto.randomUUID()}`, `idem-q2-b-${crypto.randomUUID()}`];
    await Promise.all(ids.map((requestId) => post(text, { key: "twice", requestId })));
    await vi.waitUntil(async () => (await count(tables.keyed!.rows, "q2")) >= 50, { timeout: 25_000, interval: 250 });
    // Whichever copy came second has been handled once either copy's ops-log row is there and a moment has passed.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await count(tables.keyed!.rows, "q2")).toBe(50);
  });

  it("a keyed request holding a row ClickHouse refuses, sent twice, lands the rest once and quarantines that row once", async () => {
    const text = [JSON.stringify({ id: 500, run: "q3" }), JSON.stringify({ id: 501, run: "q3", code: "x" }), JSON.stringify({ id: 502, run: "q3", code: "2" })].join("\n");
    for (const suffix of ["a", "b"]) {
      const res = await post(text, { key: "poison-queued", requestId: `idem-q3-${suffix}-${crypto.randomUUID()}` });
      expect(await res.json()).toEqual({ successful_rows: 3, quarantined_rows: 0 });
      await consumed(res.headers.get("x-request-id")!);
    }
    expect(await rows(`SELECT id, n FROM ${tables.keyed!.rows} WHERE run = 'q3' ORDER BY id`)).toEqual([{ id: 500, n: 0 }, { id: 502, n: 2 }]);
    expect(await rows(`SELECT id FROM ${tables.keyed!.quarantine} WHERE run = 'q3'`)).toEqual([{ id: "501" }]);
  });
});

describe("Idempotency-Key validation", () => {
  it.each([
    ["longer than 200 characters", "k".repeat(201), "Idempotency-Key must be at most 200 characters"],
    ["holding a control character", "a\tb", "Idempotency-Key must be printable ASCII (letters, digits, punctuation; spaces only inside)"],
    ["empty", "", "Idempotency-Key must not be empty"],
  ])("answers 400 with a JSON error for a key %s", async (_what, key, error) => {
    const res = await post(body("bad", [1]), { key, wait: true });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error });
    expect(await count(tables.keyed!.rows, "bad")).toBe(0);
  });

  it("accepts 200 printable characters, spaces inside included", async () => {
    const res = await post(body("ok200", [1]), { key: `${"k".repeat(99)} ${"~".repeat(100)}`, wait: true });
    expect(res.status).toBe(200);
  });

  it("lets browsers send it (CORS preflight)", async () => {
    const res = await api("/v0/events?name=keyed", {
      method: "OPTIONS", token: null,
      headers: { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "idempotency-key" },
    });
    expect(res.headers.get("access-control-allow-headers")).toContain("idempotency-key");
  });
});
