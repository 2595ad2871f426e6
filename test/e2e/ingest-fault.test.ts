// ClickHouse goes away for 10 s in the middle of a 200,000-event load through
// the Events API and comes back: every accepted event lands exactly once.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { deployFiles } from "./helpers/deploy-files.js";
import { startDevPlatform, type DevPlatform } from "./helpers/dev-platform.js";
import { freePort } from "./helpers/processes.js";

const DS = "SCHEMA >\n    `id` UInt32 `json:$.id`,\n    `kind` LowCardinality(String) `json:$.kind`,\n    `at` DateTime `json:$.at`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
const TOTAL = 200_000;
const PER_REQUEST = 2_000;

let chDir: string;
let chPort: number;
let ch: Awaited<ReturnType<typeof spawnLocalClickHouse>>;
let platform: DevPlatform;
const credentials = { user: "fault", password: "fault-test-password" };

beforeAll(async () => {
  chDir = await mkdtemp(join(tmpdir(), "tern-fault-ch-"));
  chPort = await freePort();
  ch = await spawnLocalClickHouse({ port: chPort, dataDir: chDir, ...credentials });
  platform = await startDevPlatform(["--clickhouse-url", ch.url, "--clickhouse-user", credentials.user, "--clickhouse-password", credentials.password]);
  await deployFiles(platform, { "hits.datasource": DS });
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  await ch?.stop().catch(() => undefined);
  await rm(chDir, { recursive: true, force: true });
});

function body(from: number): string {
  const lines: string[] = [];
  for (let i = from; i < from + PER_REQUEST; i++) lines.push(`{"id":${i},"kind":"k${i % 7}","at":"2026-05-01 00:00:00"}`);
  return lines.join("\n");
}

describe("ingest through a ClickHouse outage", () => {
  it("lands exactly 200,000 rows, none twice", async () => {
    let sent = 0;
    let outage: Promise<void> | undefined;
    for (let from = 0; from < TOTAL; from += PER_REQUEST) {
      const res = await fetch(`${platform.baseUrl}/v0/events?name=hits`, {
        method: "POST",
        headers: { authorization: `Bearer ${platform.adminToken}`, "content-type": "application/x-ndjson" },
        body: body(from),
      });
      expect(res.status, await res.clone().text()).toBe(202);
      expect(await res.json()).toEqual({ successful_rows: PER_REQUEST, quarantined_rows: 0 });
      sent += PER_REQUEST;
      if (sent === TOTAL / 4) {
        // Stop ClickHouse now, bring it back on the same port and data 10 s later.
        await ch.stop();
        outage = new Promise((resolve, reject) => {
          setTimeout(() => {
            spawnLocalClickHouse({ port: chPort, dataDir: chDir, ...credentials }).then((next) => {
              ch = next;
              resolve();
            }, reject);
          }, 10_000);
        });
      }
    }
    await outage;
    const client = createClient({ url: ch.url, username: credentials.user, password: credentials.password });
    const tables = await (await client.query({ query: "SELECT database, name FROM system.tables WHERE name LIKE 'hits__%' AND name NOT LIKE '%quarantine%'", format: "JSONEachRow" })).json<{ database: string; name: string }>();
    expect(tables).toHaveLength(1);
    const table = `${tables[0]!.database}.${tables[0]!.name}`;
    const deadline = Date.now() + 180_000;
    let counts = { total: 0, distinct: 0 };
    while (Date.now() < deadline) {
      const [row] = await (await client.query({ query: `SELECT count() AS total, uniqExact(id) AS distinct FROM ${table}`, format: "JSONEachRow" })).json<{ total: string; distinct: string }>();
      counts = { total: Number(row!.total), distinct: Number(row!.distinct) };
      if (counts.total >= TOTAL) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Give any straggling redelivery a moment to show up as a duplicate.
    await new Promise((r) => setTimeout(r, 3000));
    const [final] = await (await client.query({ query: `SELECT count() AS total, uniqExact(id) AS distinct FROM ${table}`, format: "JSONEachRow" })).json<{ total: string; distinct: string }>();
    expect({ total: Number(final!.total), distinct: Number(final!.distinct) }).toEqual({ total: TOTAL, distinct: TOTAL });
  }, 400_000);
});
