// Sixteen runaway reads from one workspace's READ token (the attack that once made /v0/health fail for 40 s):
// the workspace's extra reads are refused with 429 past its concurrency cap, the rest stop at the query timeout
// with 408, and all the while /v0/health and the Events API keep answering, because reads run as the workspace's
// ClickHouse user, whose concurrency is capped, and the local server keeps connections in reserve for the admin.
import { afterAll, beforeAll, expect, it } from "vitest";
import { deployFiles } from "./helpers/deploy-files.js";
import { startDevPlatform, type DevPlatform } from "./helpers/dev-platform.js";

const HITS = 'SCHEMA >\n    `ts` DateTime `json:$.ts`,\n    `page` String `json:$.page`\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "ts"\n';
const RUNAWAY = "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) % 7 = 1";

let platform: DevPlatform;
let readToken: string;

beforeAll(async () => {
  platform = await startDevPlatform();
  await deployFiles(platform, { "hits.datasource": HITS });
  const qs = new URLSearchParams([["name", "reader"], ["scope", "DATASOURCES:READ:hits"]]);
  const res = await fetch(`${platform.baseUrl}/v0/tokens?${qs}`, { method: "POST", headers: { authorization: `Bearer ${platform.adminToken}` } });
  readToken = ((await res.json()) as { token: string }).token;
});

afterAll(async () => {
  await platform?.stop();
});

it("16 runaway reads leave /v0/health and /v0/events answering", async () => {
  let running = 16;
  const runaway = Array.from({ length: 16 }, () =>
    fetch(`${platform.baseUrl}/v0/sql?q=${encodeURIComponent(RUNAWAY)}`, { headers: { authorization: `Bearer ${readToken}` } })
      .then(async (r) => ({ status: r.status, body: await r.text() }))
      .finally(() => running--),
  );
  await new Promise((r) => setTimeout(r, 1_500)); // the reads are running

  const probes: Array<{ what: string; status: number; whileReadsRan: boolean }> = [];
  for (let i = 0; i < 5; i++) {
    // Whether reads were still running is taken when the probe is sent: on a loaded 2-core machine the
    // answer can come back after the last runaway read has ended, which says nothing about the Worker.
    const healthSentDuringReads = running > 0;
    const health = await fetch(`${platform.baseUrl}/v0/health`);
    probes.push({ what: "health", status: health.status, whileReadsRan: healthSentDuringReads });
    await health.arrayBuffer();
    const eventsSentDuringReads = running > 0;
    const events = await fetch(`${platform.baseUrl}/v0/events?name=hits&wait=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${platform.adminToken}` },
      body: JSON.stringify({ ts: "2026-01-01 00:00:00", page: `/p${i}` }),
    });
    probes.push({ what: "events", status: events.status, whileReadsRan: eventsSentDuringReads });
    await events.arrayBuffer();
  }
  const outcomes = await Promise.all(runaway);

  // Every probe answered 200, and probes were sent while runaway reads were still going.
  expect(probes.filter((p) => p.status !== 200)).toEqual([]);
  expect(probes.some((p) => p.whileReadsRan)).toBe(true);
  // The runaway reads were refused (429 past the cap) or cancelled at the timeout (408); none broke the Worker.
  const statuses = outcomes.map((o) => o.status).sort();
  expect(statuses.every((s) => s === 408 || s === 429), JSON.stringify(outcomes.map((o) => `${o.status} ${o.body.slice(0, 120)}`))).toBe(true);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(8);
  // The rows written during the storm are all there.
  const rows = await fetch(`${platform.baseUrl}/v0/sql?q=${encodeURIComponent("SELECT count() AS c FROM hits")}`, {
    headers: { authorization: `Bearer ${platform.adminToken}` },
  });
  expect(((await rows.json()) as { data: unknown }).data).toEqual([{ c: 5 }]);
});
