// The events queue consumer, driven directly: grouping, dedup on redelivery,
// retries with backoff, and the dead-letter path that parks and replays.
import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../workers/index.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import { MAX_MESSAGE_BYTES, packMessages, type IngestMessage } from "../../workers/ingest/message.js";
import { MAX_ISOLATION_INSERTS, retryDelaySeconds } from "../../workers/ingest/queue-consumer.js";

const DS = "SCHEMA >\n    `id` UInt32,\n    `v` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
let ws: { id: string; token: string };
let table: string;
let quarantine: string;

function message(importId: string, part: number, ids: number[], datasource = "q"): IngestMessage {
  return {
    v: 1, workspaceId: ws.id, datasource, importId, part, receivedAt: new Date().toISOString(),
    rows: ids.length, lines: ids.map((id) => JSON.stringify({ id, v: importId })).join("\n"),
    quarantined: 0, quarantineLines: "",
  };
}

async function count(where = "1", from = table): Promise<number> {
  const rs = await testClickHouse().query({ query: `SELECT count() AS c FROM ${from} WHERE ${where}`, format: "JSONEachRow" });
  return Number(((await rs.json()) as Array<{ c: string }>)[0]!.c);
}

/** A message whose rows are `lines` as given (as if an older edge had let them through). */
function rawMessage(importId: string, lines: string[], key?: string): IngestMessage {
  return {
    v: 1, workspaceId: ws.id, datasource: "q", importId, part: 0, receivedAt: new Date().toISOString(),
    rows: lines.length, lines: lines.join("\n"), quarantined: 0, quarantineLines: "", ...(key ? { key } : {}),
  };
}

const poison = (id: number, importId: string) => `{"id":${id},"v":"${importId}\\ud800"}`;

async function consume(queue: string, bodies: unknown[], attempts = 1) {
  const batch = createMessageBatch(queue, bodies.map((body, i) => ({ id: `m${i}-${Math.random()}`, timestamp: new Date(), attempts, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  await waitOnExecutionContext(ctx);
  return getQueueResult(batch, ctx);
}

beforeAll(async () => {
  ws = await createWorkspace("queue");
  expect((await deploy({ "q.datasource": DS }, "auto_promote=true", ws.token)).status).toBe(200);
  const live = await liveManifest(env, ws.id);
  table = `${live!.manifest.database}.${live!.manifest.datasources.q!.table}`;
  quarantine = `${live!.manifest.database}.${live!.manifest.datasources.q!.quarantineTable}`;
});

describe("events queue consumer", () => {
  it("inserts a batch's messages once and acknowledges them", async () => {
    const result = await consume("tern-events", [message("imp-a", 0, [1, 2]), message("imp-a", 1, [3])]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toEqual([]);
    expect(await count("v = 'imp-a'")).toBe(3);
  });

  it("does not insert a redelivered batch twice", async () => {
    const bodies = [message("imp-b", 0, [10, 11]), message("imp-b", 1, [12])];
    await consume("tern-events", bodies);
    await consume("tern-events", bodies, 2);
    expect(await count("v = 'imp-b'")).toBe(3);
  });

  it("retries, never acknowledges, when the datasource is not live", async () => {
    const result = await consume("tern-events", [message("imp-c", 0, [20], "missing")], 3);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
  });

  it("lands the other messages of a batch holding a row ClickHouse refuses, quarantines that row, and adds nothing on redelivery", async () => {
    const ok = message("imp-p1", 0, [40, 41]);
    const bad = rawMessage("imp-p2", [JSON.stringify({ id: 42, v: "imp-p2" }), poison(43, "imp-p2"), JSON.stringify({ id: 44, v: "imp-p2" })]);
    for (const attempts of [1, 2]) {
      const result = await consume("tern-events", [ok, bad], attempts);
      expect(result.explicitAcks).toHaveLength(2);
      expect(result.retryMessages).toEqual([]);
    }
    expect(await count("v IN ('imp-p1', 'imp-p2')")).toBe(4);
    expect(await count("c__import_id IN ('imp-p1', 'imp-p2')", quarantine)).toBe(1);
    const rs = await testClickHouse().query({ query: `SELECT c__error_column, c__import_id, id, v FROM ${quarantine} WHERE c__import_id = 'imp-p2'`, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ c__error_column: ["v"], c__import_id: "imp-p2", id: "43", v: "imp-p2\\ud800" }]);
  });

  it(`finishes through the queue what takes more than ${MAX_ISOLATION_INSERTS} inserts to isolate, every row once`, async () => {
    // Every third row refused: isolating 40 of them in one message takes far more inserts than one invocation may spend.
    const lines = Array.from({ length: 120 }, (_, i) => (i % 3 === 1 ? poison(1000 + i, "imp-spill") : JSON.stringify({ id: 1000 + i, v: "imp-spill" })));
    const result = await consume("tern-events", [rawMessage("imp-spill", lines)]);
    expect(result.explicitAcks).toHaveLength(1);
    await vi.waitUntil(async () => (await count("v = 'imp-spill'")) === 80 && (await count("startsWith(v, 'imp-spill')", quarantine)) === 40, { timeout: 25_000, interval: 250 });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await count("v = 'imp-spill'")).toBe(80);
    expect(await count("startsWith(v, 'imp-spill')", quarantine)).toBe(40);
  });

  it("inserts a keyed message alone, so it lands once whatever batch it comes in", async () => {
    const keyed = { ...message("imp-k", 0, [60, 61]), key: "idem:test:r0-2" };
    await consume("tern-events", [keyed]);
    await consume("tern-events", [message("imp-k2", 0, [62]), keyed, keyed]);
    expect(await count("v = 'imp-k'")).toBe(2);
    expect(await count("v = 'imp-k2'")).toBe(1);
  });

  it("backs off 1, 2, 4 … seconds up to 5 minutes", () => {
    expect([1, 2, 3, 4, 10, 20].map(retryDelaySeconds)).toEqual([1, 2, 4, 8, 300, 300]);
  });

  it("retries a message that is not an ingest message, so it reaches the DLQ", async () => {
    const result = await consume("tern-events", [{ nonsense: true }]);
    expect(result.retryMessages).toHaveLength(1);
  });

  it("parks dead letters in R2 and replays them to the events queue", async () => {
    const parked = await consume("tern-events-dlq", [message("imp-d", 0, [30, 31])]);
    expect(parked.explicitAcks).toHaveLength(1);
    const counted = await api("/v0/events/dead-letters", { token: ws.token });
    expect(await counted.json()).toEqual({ dead_letters: 1 });
    const replay = await api("/v0/events/dead-letters/replay", { method: "POST", token: ws.token });
    expect(await replay.json()).toEqual({ replayed: 1, remaining: 0 });
    const after = await api("/v0/events/dead-letters", { token: ws.token });
    expect(await after.json()).toEqual({ dead_letters: 0 });
  });
});

describe("packMessages for a keyed request", () => {
  const base = { v: 1 as const, workspaceId: "w", datasource: "q", receivedAt: "2026-01-01T00:00:00.000Z" };
  const rows = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: i, v: "x".repeat(100) }));

  it("keys each message by its range of rows, rows and quarantined rows apart", () => {
    const { messages } = packMessages({ ...base, importId: "r1" }, rows, ['{"c__error":["q"]}'], "idem:k");
    expect(messages.map((m) => m.key)).toEqual(["idem:k:r0-975", "idem:k:r975-1942", "idem:k:r1942-2909", "idem:k:r2909-3000", "idem:k:q0-1"]);
    expect(messages.every((m) => m.rows === 0 || m.quarantined === 0)).toBe(true);
    expect(messages.every((m) => JSON.stringify(m).length < MAX_MESSAGE_BYTES)).toBe(true);
  });

  it("gives a retry of the same rows the same keys, whatever its request id and quarantine rows", () => {
    const first = packMessages({ ...base, importId: "r1" }, rows, ['{"c__import_id":"r1"}'], "idem:k").messages;
    const retry = packMessages({ ...base, importId: "a-much-longer-request-id" }, rows, ['{"c__import_id":"a-much-longer-request-id"}'], "idem:k").messages;
    expect(retry.map((m) => [m.key, m.lines])).toEqual(first.map((m) => [m.key, m.lines]));
  });
});
