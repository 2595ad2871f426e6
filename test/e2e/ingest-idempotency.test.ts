// ClickHouse paused for real (SIGSTOP of the local ClickHouse process) past
// the client's timeout: the client gives up, retries with the same
// Idempotency-Key, and exactly one copy of its rows lands once ClickHouse is
// back (SIGCONT). The same request without a key lands twice: the first
// attempt did commit after the client had given up, which is what the key is for.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { deployFiles } from "./helpers/deploy-files.js";
import { startDevPlatform, type DevPlatform } from "./helpers/dev-platform.js";
import { freePort } from "./helpers/processes.js";

const DS = "SCHEMA >\n    `id` UInt32 `json:$.id`,\n    `run` String `json:$.run`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
const ROWS = 500;
const CLIENT_TIMEOUT_MS = 2_000;

let chDir: string;
let ch: Awaited<ReturnType<typeof spawnLocalClickHouse>>;
let platform: DevPlatform;
let client: ClickHouseClient;
let table: string;
let paused = false;
const credentials = { user: "idem", password: "idem-test-password" };

function pause(): void {
  process.kill(ch.pid, "SIGSTOP");
  paused = true;
}

function resume(): void {
  if (paused) process.kill(ch.pid, "SIGCONT");
  paused = false;
}

beforeAll(async () => {
  chDir = await mkdtemp(join(tmpdir(), "tern-idem-ch-"));
  ch = await spawnLocalClickHouse({ port: await freePort(), dataDir: chDir, ...credentials });
  platform = await startDevPlatform(["--clickhouse-url", ch.url, "--clickhouse-user", credentials.user, "--clickhouse-password", credentials.password]);
  await deployFiles(platform, { "hits.datasource": DS });
  client = createClient({ url: ch.url, username: credentials.user, password: credentials.password });
  const tables = await (await client.query({ query: "SELECT database, name FROM system.tables WHERE name LIKE 'hits__%' AND name NOT LIKE '%quarantine%'", format: "JSONEachRow" })).json<{ database: string; name: string }>();
  expect(tables).toHaveLength(1);
  table = `${tables[0]!.database}.${tables[0]!.name}`;
}, 240_000);

afterAll(async () => {
  if (ch) resume();
  await client?.close();
  await platform?.stop();
  await ch?.stop().catch(() => undefined);
  await rm(chDir, { recursive: true, force: true });
});

function body(run: string): string {
  return Array.from({ length: ROWS }, (_, i) => JSON.stringify({ id: i, run })).join("\n");
}

function send(run: string, opts: { key?: string; wait?: boolean; timeoutMs: number }): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${platform.adminToken}`, "content-type": "application/x-ndjson" };
  if (opts.key) headers["idempotency-key"] = opts.key;
  return fetch(`${platform.baseUrl}/v0/events?name=hits${opts.wait ? "&wait=true" : ""}`, {
    method: "POST", headers, body: body(run), signal: AbortSignal.timeout(opts.timeoutMs),
  });
}

async function counts(run: string): Promise<{ total: number; distinct: number }> {
  const [row] = await (await client.query({ query: `SELECT count() AS total, uniqExact(id) AS distinct FROM ${table} WHERE run = '${run}'`, format: "JSONEachRow" })).json<{ total: string; distinct: string }>();
  return { total: Number(row!.total), distinct: Number(row!.distinct) };
}

/** Polls until `run` has `total` rows (or the deadline), then gives stragglers `graceMs` to show up as duplicates. */
async function settle(run: string, total: number, graceMs = 3_000): Promise<{ total: number; distinct: number }> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline && (await counts(run)).total < total) await new Promise((r) => setTimeout(r, 250));
  await new Promise((r) => setTimeout(r, graceMs));
  return counts(run);
}

async function outcome(p: Promise<Response>): Promise<string> {
  try {
    return `answered ${(await p).status}`;
  } catch (e) {
    return e instanceof Error ? e.name : String(e);
  }
}

describe("retries while ClickHouse is paused past the client's timeout", () => {
  it("wait=true: the retry with the same Idempotency-Key leaves exactly one copy (without a key: two)", async () => {
    pause();
    let retries: [Promise<Response>, Promise<Response>];
    try {
      // The client gives up after 2 s: ClickHouse has not answered.
      const first = await Promise.all([
        outcome(send("wait-keyed", { key: "client-batch-1", wait: true, timeoutMs: CLIENT_TIMEOUT_MS })),
        outcome(send("wait-plain", { wait: true, timeoutMs: CLIENT_TIMEOUT_MS })),
      ]);
      expect(first).toEqual(["TimeoutError", "TimeoutError"]);
      // It retries at once, with a longer timeout; ClickHouse stays paused a while longer.
      retries = [
        send("wait-keyed", { key: "client-batch-1", wait: true, timeoutMs: 90_000 }),
        send("wait-plain", { wait: true, timeoutMs: 90_000 }),
      ];
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      resume();
    }
    const [keyed, plain] = await Promise.all(retries);
    expect([keyed.status, plain.status]).toEqual([200, 200]);
    expect(await keyed.json()).toEqual({ successful_rows: ROWS, quarantined_rows: 0 });
    expect(await plain.json()).toEqual({ successful_rows: ROWS, quarantined_rows: 0 });
    // The first attempts committed once ClickHouse was back: without a key, the retry doubled the rows.
    expect(await settle("wait-plain", 2 * ROWS)).toEqual({ total: 2 * ROWS, distinct: ROWS });
    expect(await settle("wait-keyed", ROWS)).toEqual({ total: ROWS, distinct: ROWS });
  }, 180_000);

  it("queue path: the same keyed request sent twice while ClickHouse is paused lands once", async () => {
    pause();
    let answers: Response[];
    try {
      answers = [
        await send("queued-keyed", { key: "client-batch-2", timeoutMs: 30_000 }),
        await send("queued-keyed", { key: "client-batch-2", timeoutMs: 30_000 }),
      ];
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      resume();
    }
    for (const a of answers) {
      expect(a.status).toBe(202);
      expect(await a.json()).toEqual({ successful_rows: ROWS, quarantined_rows: 0 });
    }
    // Queue batches come every second or so: a duplicate would have shown up within 10 s.
    expect(await settle("queued-keyed", ROWS, 10_000)).toEqual({ total: ROWS, distinct: ROWS });
  }, 240_000);
});
