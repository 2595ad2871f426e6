// Rows ClickHouse refuses although they look fine ("poison"): through the real
// Worker, the real local queue and the real local ClickHouse. One such row goes
// to the datasource's quarantine with the reason; every other row lands, also
// rows of other requests that travel in the same queue batch.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import type { IngestMessage } from "../../workers/ingest/message.js";

// `n` has a DEFAULT that ClickHouse computes at insert time: `code: "abc"`
// passes edge validation (a String) and then makes ClickHouse refuse the row.
const DS = `SCHEMA >
    \`id\` UInt32 \`json:$.id\`,
    \`who\` String \`json:$.who\`,
    \`v\` String \`json:$.v\`,
    \`code\` String \`json:$.code\` DEFAULT '0',
    \`n\` UInt32 DEFAULT toUInt32(code)

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
`;

let ws: { id: string; token: string };
let table: string;
let quarantine: string;

async function rows<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const rs = await testClickHouse().query({ query: sql, format: "JSONEachRow" });
  return rs.json<T>();
}

async function landed(who: string): Promise<number[]> {
  return (await rows<{ id: number }>(`SELECT id FROM ${table} WHERE who = '${who}' ORDER BY id`)).map((r) => r.id);
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  await vi.waitUntil(check, { timeout: 25_000, interval: 250 });
}

function post(body: string, query = "") {
  return api(`/v0/events?name=poison${query ? `&${query}` : ""}`, {
    method: "POST", body, token: ws.token, headers: { "content-type": "application/x-ndjson" },
  });
}

function line(id: number, who: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ id, who, v: "ok", ...extra });
}

beforeAll(async () => {
  ws = await createWorkspace("poison");
  expect((await deploy({ "poison.datasource": DS }, "auto_promote=true", ws.token)).status).toBe(200);
  const live = await liveManifest(env, ws.id);
  table = `${live!.manifest.database}.${live!.manifest.datasources.poison!.table}`;
  quarantine = `${live!.manifest.database}.${live!.manifest.datasources.poison!.quarantineTable}`;
});

describe("a lone surrogate (\\ud800) in a String", () => {
  it("is quarantined at the edge on the queue path, with the reason, and the rest of the batch lands", async () => {
    const poisoned = [line(1, "qa"), '{"id":2,"who":"qa","v":"x\\ud800y"}', line(3, "qa")].join("\n");
    const [a, b] = await Promise.all([post(poisoned), post([line(10, "qb"), line(11, "qb")].join("\n"))]);
    expect(a.status).toBe(202);
    expect(await a.json()).toEqual({ successful_rows: 2, quarantined_rows: 1 });
    expect(await b.json()).toEqual({ successful_rows: 2, quarantined_rows: 0 });
    await waitFor(async () => (await landed("qa")).length === 2 && (await landed("qb")).length === 2);
    expect(await landed("qa")).toEqual([1, 3]);
    expect(await landed("qb")).toEqual([10, 11]);
    await waitFor(async () => (await rows(`SELECT 1 FROM ${quarantine} WHERE who = 'qa'`)).length === 1);
    expect(await rows(`SELECT c__error_column, c__error, id, v FROM ${quarantine} WHERE who = 'qa'`)).toEqual([{
      c__error_column: ["v"],
      c__error: ["value 'x\\ud800y' on column 'v' is not String: it holds a lone UTF-16 surrogate (\\ud800), which is not Unicode text"],
      id: "2",
      v: "x\\ud800y",
    }]);
  });

  it("is quarantined with wait=true too (200, counted in quarantined_rows), not a 503", async () => {
    const res = await post([line(20, "wa"), '{"id":21,"who":"wa","v":"\\udc00"}', line(22, "wa")].join("\n"), "wait=true");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ successful_rows: 2, quarantined_rows: 1 });
    expect(await landed("wa")).toEqual([20, 22]);
    expect(await rows(`SELECT id, v FROM ${quarantine} WHERE who = 'wa'`)).toEqual([{ id: "21", v: "\\udc00" }]);
  });
});

describe("a row ClickHouse refuses after edge validation", () => {
  it("on the queue path goes to quarantine with ClickHouse's reason; every other row of the batch lands, other clients' too", async () => {
    const [a, b] = await Promise.all([
      post([line(30, "da", { code: "7" }), line(31, "da", { code: "abc" }), line(32, "da")].join("\n")),
      post([line(40, "db", { code: "1" }), line(41, "db")].join("\n")),
    ]);
    expect(await a.json()).toEqual({ successful_rows: 3, quarantined_rows: 0 });
    expect(await b.json()).toEqual({ successful_rows: 2, quarantined_rows: 0 });
    await waitFor(async () => (await landed("da")).length === 2 && (await landed("db")).length === 2);
    expect(await rows(`SELECT id, n FROM ${table} WHERE who IN ('da', 'db') ORDER BY id`)).toEqual([
      { id: 30, n: 7 }, { id: 32, n: 0 }, { id: 40, n: 1 }, { id: 41, n: 0 },
    ]);
    await waitFor(async () => (await rows(`SELECT 1 FROM ${quarantine} WHERE who = 'da'`)).length === 1);
    const [q] = await rows<{ c__error: string[]; id: string; code: string }>(`SELECT c__error, id, code FROM ${quarantine} WHERE who = 'da'`);
    expect({ id: q!.id, code: q!.code }).toEqual({ id: "31", code: "abc" });
    expect(q!.c__error).toHaveLength(1);
    expect(q!.c__error[0]).toMatch(/^ClickHouse refused the row: Code: 6\. DB::Exception: Cannot parse string 'abc' as UInt32/);
  });

  it("with wait=true is quarantined (200, quarantined_rows: 1) and the rest lands", async () => {
    const res = await post([line(50, "dw", { code: "5" }), line(51, "dw", { code: "x" }), line(52, "dw")].join("\n"), "wait=true");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ successful_rows: 2, quarantined_rows: 1 });
    expect(await rows(`SELECT id, n FROM ${table} WHERE who = 'dw' ORDER BY id`)).toEqual([{ id: 50, n: 5 }, { id: 52, n: 0 }]);
    expect(await rows(`SELECT id, code FROM ${quarantine} WHERE who = 'dw'`)).toEqual([{ id: "51", code: "x" }]);
  });
});

describe("a queue batch holding a row ClickHouse refuses, sent on the queue as-is", () => {
  function message(importId: string, lines: string[]): IngestMessage {
    return {
      v: 1, workspaceId: ws.id, datasource: "poison", importId, part: 0, receivedAt: new Date().toISOString(),
      rows: lines.length, lines: lines.join("\n"), quarantined: 0, quarantineLines: "",
    };
  }

  it("lands every other row, of every message, and quarantines only the guilty row", async () => {
    // What an older edge (or any bug) could have let through: a raw `\ud800` escape.
    const guilty = '{"id":61,"who":"ma","v":"\\ud800"}';
    const a = message(`imp-a-${crypto.randomUUID()}`, [line(60, "ma"), guilty, ...Array.from({ length: 30 }, (_, i) => line(62 + i, "ma"))]);
    const b = message(`imp-b-${crypto.randomUUID()}`, Array.from({ length: 20 }, (_, i) => line(100 + i, "mb")));
    const c = message(`imp-c-${crypto.randomUUID()}`, [line(200, "mc")]);
    await env.EVENTS_QUEUE.sendBatch([a, b, c].map((body) => ({ body, contentType: "v8" as const })));
    await waitFor(async () => (await landed("ma")).length === 31 && (await landed("mb")).length === 20 && (await landed("mc")).length === 1);
    await waitFor(async () => (await rows(`SELECT 1 FROM ${quarantine} WHERE who = 'ma'`)).length === 1);
    const [q] = await rows<{ c__error_column: string[]; c__error: string[]; c__import_id: string; id: string; v: string }>(
      `SELECT c__error_column, c__error, c__import_id, id, v FROM ${quarantine} WHERE who = 'ma'`,
    );
    expect({ columns: q!.c__error_column, importId: q!.c__import_id, id: q!.id, v: q!.v }).toEqual({ columns: ["v"], importId: a.importId, id: "61", v: "\\ud800" });
    expect(q!.c__error[0]).toMatch(/^ClickHouse refused the row: Code: 25\. DB::Exception: Cannot parse escape sequence: missing second part of surrogate pair/);
    expect(await landed("ma")).not.toContain(61);
  });
});
