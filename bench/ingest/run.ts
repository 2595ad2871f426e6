/**
 * bench/ingest: NDJSON through the Events API of `npm run dev` (wrangler dev +
 * local ClickHouse) against the same bytes inserted straight into the same
 * ClickHouse, in one run. Prints events/s, MB/s, the ratio, and the edge's
 * validation CPU per MB (the Worker's own code, timed in-process).
 *
 *   npx tsx bench/ingest/run.ts [--seconds 30] [--concurrency 4] [--rows-per-request 5000]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@clickhouse/client-web";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { deployFiles } from "../../test/e2e/helpers/deploy-files.js";
import { startDevPlatform } from "../../test/e2e/helpers/dev-platform.js";
import { freePort } from "../../test/e2e/helpers/processes.js";
import { parseDatafile } from "../../shared/datafiles/index.js";
import { compileRowValidator, validateNdjson } from "../../shared/ingest/index.js";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    concurrency: { type: "string", default: "4" },
    "rows-per-request": { type: "string", default: "5000" },
  },
});
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);
const ROWS = Number(args["rows-per-request"]);

const DATASOURCE = `SCHEMA >
    \`timestamp\` DateTime64(3) \`json:$.timestamp\`,
    \`session_id\` String \`json:$.session_id\`,
    \`user_id\` UInt64 \`json:$.user_id\`,
    \`action\` LowCardinality(String) \`json:$.action\`,
    \`pathname\` String \`json:$.pathname\`,
    \`country\` LowCardinality(String) \`json:$.country\`,
    \`device\` LowCardinality(String) \`json:$.device\`,
    \`duration_ms\` UInt32 \`json:$.duration_ms\`,
    \`revenue\` Nullable(Float64) \`json:$.revenue\`,
    \`tags\` Array(String) \`json:$.tags\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(timestamp)"
ENGINE_SORTING_KEY "action, timestamp"
`;

function makeBody(seed: number): string {
  const actions = ["view", "click", "buy", "scroll"];
  const lines: string[] = [];
  for (let i = 0; i < ROWS; i++) {
    const n = seed * ROWS + i;
    lines.push(JSON.stringify({
      timestamp: `2026-05-${String((n % 28) + 1).padStart(2, "0")} 12:${String(n % 60).padStart(2, "0")}:00.${String(n % 1000).padStart(3, "0")}`,
      session_id: `s-${n % 9973}`,
      user_id: n % 100_003,
      action: actions[n % 4],
      pathname: `/products/${n % 517}`,
      country: ["ES", "FR", "DE", "US", "BR"][n % 5],
      device: n % 3 === 0 ? "mobile" : "desktop",
      duration_ms: n % 5000,
      revenue: n % 4 === 2 ? (n % 100) + 0.99 : null,
      tags: n % 2 ? ["a", "b"] : [],
    }));
  }
  return lines.join("\n");
}

async function timed(label: string, send: (body: string) => Promise<void>, bodies: string[]): Promise<{ rows: number; bytes: number; seconds: number }> {
  const deadline = Date.now() + SECONDS * 1000;
  const started = Date.now();
  let rows = 0;
  let bytes = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const body = bodies[next++ % bodies.length]!;
        await send(body);
        rows += ROWS;
        bytes += Buffer.byteLength(body);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  console.log(`${label.padEnd(34)} ${(rows / seconds).toFixed(0).padStart(9)} events/s  ${(bytes / 1048576 / seconds).toFixed(2).padStart(7)} MB/s  (${rows} events in ${seconds.toFixed(1)} s)`);
  return { rows, bytes, seconds };
}

async function main(): Promise<void> {
  const chDir = await mkdtemp(join(tmpdir(), "tern-bench-ingest-"));
  const credentials = { user: "bench", password: "bench-password" };
  const ch = await spawnLocalClickHouse({ port: await freePort(), dataDir: chDir, ...credentials });
  const platform = await startDevPlatform(["--clickhouse-url", ch.url, "--clickhouse-user", credentials.user, "--clickhouse-password", credentials.password]);
  try {
    await deployFiles(platform, { "bench_events.datasource": DATASOURCE });
    const client = createClient({ url: ch.url, username: credentials.user, password: credentials.password });
    const [t] = await (await client.query({ query: "SELECT database, name FROM system.tables WHERE name LIKE 'bench_events__%' AND name NOT LIKE '%quarantine%'", format: "JSONEachRow" })).json<{ database: string; name: string }>();
    const tern = `${t!.database}.${t!.name}`;
    await client.command({ query: `CREATE TABLE ${t!.database}.direct_baseline AS ${tern}` });
    const bodies = Array.from({ length: 8 }, (_, i) => makeBody(i));
    const mb = Buffer.byteLength(bodies[0]!) / 1048576;
    console.log(`machine: ${(await import("node:os")).cpus().length} cores, node ${process.version}; body ${ROWS} events = ${mb.toFixed(2)} MB; ${CONCURRENCY} concurrent senders; ${SECONDS} s per phase`);

    // Edge validation CPU: the Worker's own code on the same bodies.
    const parsed = parseDatafile({ path: "bench_events.datasource", text: DATASOURCE });
    if (!parsed.ok || parsed.file.kind !== "datasource") throw new Error("datasource did not parse");
    const validator = compileRowValidator(parsed.file.columns);
    const cpuStart = process.cpuUsage();
    for (const b of bodies) validateNdjson(b, validator, { importId: "bench", now: Date.now() });
    const cpu = process.cpuUsage(cpuStart);
    const cpuMsPerMb = (cpu.user + cpu.system) / 1000 / (mb * bodies.length);

    const direct = await timed("direct INSERT (client-web)", async (body) => {
      await client.command({ query: `INSERT INTO ${t!.database}.direct_baseline FORMAT JSONEachRow\n${body}`, clickhouse_settings: { date_time_input_format: "best_effort" } });
    }, bodies);
    const waitTrue = await timed("Events API, wait=true", async (body) => {
      const res = await fetch(`${platform.baseUrl}/v0/events?name=bench_events&wait=true`, { method: "POST", headers: { authorization: `Bearer ${platform.adminToken}` }, body });
      if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }, bodies);
    const before = Number((await (await client.query({ query: `SELECT count() AS c FROM ${tern}`, format: "JSONEachRow" })).json<{ c: string }>())[0]!.c);
    const queuedStart = Date.now();
    const queued = await timed("Events API, queued (202, accepted)", async (body) => {
      const res = await fetch(`${platform.baseUrl}/v0/events?name=bench_events`, { method: "POST", headers: { authorization: `Bearer ${platform.adminToken}` }, body });
      if (res.status !== 202) throw new Error(`events: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }, bodies);
    for (;;) {
      const n = Number((await (await client.query({ query: `SELECT count() AS c FROM ${tern}`, format: "JSONEachRow" })).json<{ c: string }>())[0]!.c);
      if (n - before >= queued.rows || Date.now() - queuedStart > (SECONDS + 120) * 1000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const drained = (Date.now() - queuedStart) / 1000;
    const directRate = direct.rows / direct.seconds;
    console.log(`${"Events API, queued (until landed)".padEnd(34)} ${(queued.rows / drained).toFixed(0).padStart(9)} events/s  ${(queued.bytes / 1048576 / drained).toFixed(2).padStart(7)} MB/s  (landed after ${drained.toFixed(1)} s)`);
    console.log("");
    console.log(`ratio to direct, wait=true:        ${(waitTrue.rows / waitTrue.seconds / directRate).toFixed(2)}`);
    console.log(`ratio to direct, queued (landed):  ${(queued.rows / drained / directRate).toFixed(2)}`);
    console.log(`edge validation CPU:               ${cpuMsPerMb.toFixed(1)} ms per MB (Worker code timed in Node)`);
  } finally {
    await platform.stop();
    await ch.stop();
    await rm(chDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
