/**
 * Rows per second of a copy pipe next to the same `INSERT … SELECT` sent
 * straight to ClickHouse, in one run against the local ClickHouse (a real
 * server process), interleaved in a fresh random order each iteration:
 *
 * - "copy pipe, append": the `copy` job runner (workers/copies/run.ts) as the
 *   queue consumer calls it: the pipe compiled and guarded, columns matched,
 *   a staging table filled, its partitions moved into the target;
 * - "copy pipe, replace": the same runner, staging table swapped in with
 *   EXCHANGE TABLES;
 * - "direct INSERT … SELECT": the pipe's compiled SELECT, by name into the
 *   target, one statement from the admin client.
 *
 * Each copies the same 5M rows (90 days: 3 partitions with the default
 * monthly key, 90 with `--partition-key "toYYYYMMDD(ts)"`) into an emptied
 * target.
 * The runner's Worker code runs in Node on @clickhouse/client-web (the code
 * workerd runs); its catalog calls (the job's phase) go to an in-process
 * stand-in, since they are a handful of small calls per run, not per row.
 *
 * Run: npx tsx bench/copy/run.ts [--rows 5000000] [--iterations 3] [--partition-key "toYYYYMM(ts)"] [--trace]
 * (`--trace` prints every ClickHouse call of the measured runs with its time).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { readConfig } from "../../workers/env.js";
import { createPlatform, type Platform } from "../../workers/platform/platform.js";
import { localBuckets } from "../../workers/ratelimit/buckets.js";
import { workspaceDatabase, type CatalogClient, type LiveDeployment } from "../../workers/catalog/client.js";
import type { JobRecord } from "../../workers/catalog/workspace-catalog.js";
import { applyPlan } from "../../workers/deploy/apply.js";
import { runCopyJob } from "../../workers/copies/run.js";
import { copyQuery } from "../../workers/copies/copy-sql.js";
import { loadProject } from "../../shared/deploy/project.js";
import { planDeployment } from "../../shared/deploy/plan.js";
import { quoteIdentifier, quoteQualifiedName } from "../../shared/sql/ddl/index.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "5000000" },
    iterations: { type: "string", default: "3" },
    "partition-key": { type: "string", default: "toYYYYMM(ts)" },
    trace: { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows);
const ITERATIONS = Number(values.iterations);

const DATASOURCE = (name: string) => [name, `SCHEMA >
    \`ts\` DateTime,
    \`user_id\` UInt64,
    \`country\` LowCardinality(String),
    \`amount\` Float64

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "${values["partition-key"]}"
ENGINE_SORTING_KEY "user_id, ts"
`] as const;
const files = Object.fromEntries([
  DATASOURCE("events.datasource"),
  DATASOURCE("snapshot.datasource"),
  ["snapshot_copy.pipe", "NODE copy\nSQL >\n    SELECT ts, user_id, country, amount * 2 AS amount FROM events WHERE amount >= 0\n\nTYPE COPY\nTARGET_DATASOURCE snapshot\n"],
]);

let tracing = false;
/** The real fetch; with --trace, each call's statement and time. */
const traced: typeof fetch = async (input, init) => {
  const start = performance.now();
  const res = await fetch(input, init);
  if (tracing && values.trace) {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const sql = url.searchParams.get("query") ?? (typeof init?.body === "string" ? init.body : "");
    const body = await res.clone().arrayBuffer();
    console.log(`  ${(performance.now() - start).toFixed(1).padStart(7)} ms  ${body.byteLength.toString().padStart(6)} B  ${sql.replace(/\s+/g, " ").slice(0, 90)}`);
  }
  return res;
};

const dataDir = await mkdtemp(join(tmpdir(), "tern-bench-copy-"));
const server = await spawnLocalClickHouse({ port: 0, dataDir, user: "bench", password: "bench-password" });
const load0 = loadavg();

try {
  const workspaceId = crypto.randomUUID();
  const database = workspaceDatabase(workspaceId);
  const base = createPlatform({
    config: readConfig({ TERN_MODE: "local", CLICKHOUSE_URL: server.url, CLICKHOUSE_USER: "bench", CLICKHOUSE_PASSWORD: "bench-password", CLICKHOUSE_WORKSPACE_USERS: "off" }),
    requestId: "bench",
    waitUntil: () => undefined,
    buckets: localBuckets(),
    fetch: traced,
  });
  const loaded = loadProject(Object.entries(files).map(([name, text]) => ({ name, text })));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  const planned = planDeployment({ project: loaded.project, database, tag: "bench" });
  if (!planned.ok) throw new Error(JSON.stringify(planned.errors));
  await applyPlan(base.clickhouse.admin, planned.plan, { database, allowDestructive: true, workspaceId });
  const live: LiveDeployment = { id: "1", manifest: planned.plan.manifest, since: "" };

  // The catalog calls a run makes (its live deployment, its job's phase), answered in process.
  const jobs = new Map<string, JobRecord>();
  const catalog = {
    liveDeployment: async () => live,
    workspace: () => ({
      updateJob: async (id: string, patch: { statistics?: Record<string, number | string> }) => {
        const job = jobs.get(id)!;
        job.statistics = { ...job.statistics, ...patch.statistics };
        return job;
      },
    }),
  } as unknown as CatalogClient;
  const platform: Platform = { ...base, catalog };

  const ch = base.clickhouse.admin;
  const events = quoteQualifiedName(database, live.manifest.datasources.events!.table);
  const target = quoteQualifiedName(database, live.manifest.datasources.snapshot!.table);
  const t0 = performance.now();
  await ch.command({
    query: `INSERT INTO ${events} SELECT toDateTime('2026-01-01 00:00:00') + (number % 90) * 86400 + intDiv(number, 90) % 86400, number % 100000, ['ES', 'FR', 'DE', 'US'][number % 4 + 1], (number % 1000) / 10 FROM numbers(${ROWS})`,
    clickhouse_settings: { max_execution_time: 600 },
  });
  console.log(`loaded ${ROWS.toLocaleString()} rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  await base.clickhouse.guard.sandbox(); // the jobs client's current database
  const q = await copyQuery(platform, workspaceId, live, "snapshot_copy", {});
  const columns = ["ts", "user_id", "country", "amount"].map(quoteIdentifier).join(", ");
  const direct = `INSERT INTO ${target} (${columns}) SELECT ${columns} FROM (\n${q.sql}\n)`;

  const copyRun = (mode: "append" | "replace") => async () => {
    const id = crypto.randomUUID();
    const now = new Date().toISOString();
    const record: JobRecord = { id, kind: "copy", status: "working", datasource: "snapshot", pipe: "snapshot_copy", statistics: {}, details: {}, error: null, created_at: now, updated_at: now, started_at: now };
    jobs.set(id, record);
    const stats = await runCopyJob(
      platform,
      { record, workspaceId, queryId: id, pipe: "snapshot_copy", params: {}, options: { mode }, jobTimestamp: now, trigger: "request", attempt: 1 },
      new AbortController().signal,
    );
    if (stats.rows !== ROWS) throw new Error(`${mode} copied ${stats.rows} rows, not ${ROWS}`);
  };
  const modes: Record<string, () => Promise<void>> = {
    "copy pipe, append": copyRun("append"),
    "copy pipe, replace": copyRun("replace"),
    "direct INSERT … SELECT": async () => {
      await base.clickhouse.jobs.command({ query: direct, clickhouse_settings: { max_execution_time: 3600 } });
    },
  };
  const seconds: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
  const count = async () => Number(((await (await ch.query({ query: `SELECT count() AS c FROM ${target}`, format: "JSONEachRow" })).json()) as Array<{ c: string }>)[0]!.c);
  // Iteration 0 warms up (guard verdicts, engine caches) and is not counted.
  for (let i = 0; i <= ITERATIONS; i++) {
    for (const name of Object.keys(modes).sort(() => Math.random() - 0.5)) {
      await ch.command({ query: `TRUNCATE TABLE ${target}` });
      if (i === 0) {
        await modes[name]!();
        continue;
      }
      if (values.trace) console.log(`${name}:`);
      tracing = true;
      const start = performance.now();
      await modes[name]!();
      tracing = false;
      seconds[name]!.push((performance.now() - start) / 1000);
      const landed = await count();
      if (landed !== ROWS) throw new Error(`${name}: the target holds ${landed} rows, not ${ROWS}`);
    }
  }
  const load1 = loadavg();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rate = (name: string) => ROWS / median(seconds[name]!);
  const partitions = await ch.query({ query: `SELECT uniqExact(partition_id) AS p FROM system.parts WHERE database = '${database}' AND table = '${live.manifest.datasources.events!.table}' AND active`, format: "JSONEachRow" });
  const partitionCount = ((await partitions.json()) as Array<{ p: string }>)[0]!.p;
  console.log(`copy of ${ROWS.toLocaleString()} rows (${partitionCount} partitions, ${values["partition-key"]}), ${ITERATIONS} iterations per mode, interleaved; ${cpus().length} cores; load ${load0[0]!.toFixed(2)} -> ${load1[0]!.toFixed(2)}`);
  console.log("mode                         median s   rows/s      vs direct   all runs (s)");
  for (const name of Object.keys(modes)) {
    const ratio = rate(name) / rate("direct INSERT … SELECT");
    console.log(
      `${name.padEnd(28)} ${median(seconds[name]!).toFixed(2).padStart(8)}   ${Math.round(rate(name)).toLocaleString().padStart(10)}   ${ratio.toFixed(2).padStart(6)}      ${seconds[name]!.map((s) => s.toFixed(2)).join(", ")}`,
    );
  }
  console.log(`goal: copy pipe >= 0.95 of direct`);
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
