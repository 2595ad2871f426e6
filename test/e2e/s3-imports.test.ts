// S3 imports end to end against `npm run dev` over a local ClickHouse of this
// file's own (so it can be restarted): 50 NDJSON files and a broken one in the
// local S3 server `npm run dev` starts, a project with a `.connection` to it
// (its printed key pair reaches the Worker as the secrets S3_ACCESS_KEY and
// S3_SECRET) and an `@auto` import datasource, deployed through /v1/deploy; the
// Worker's cron tick fired by hand (`POST /local/scheduled?time=<ms>`). Every
// row lands exactly once: after the first tick, after the same tick again, and
// after ClickHouse is stopped and started again between ticks; the broken file
// is in tinybird.datasources_ops_log with its reason. Then Tinybird's own CLI:
// `tb datasource sync` runs an `@on-demand` import now and its rows land.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { findPython, installTinybirdCli, runTb, TINYBIRD_CLI_VERSION, type TinybirdCli } from "../setup/tinybird-cli.js";
import { deployFiles } from "./helpers/deploy-files.js";
import { startDevPlatform, type DevPlatform } from "./helpers/dev-platform.js";
import { freePort } from "./helpers/processes.js";
import { localS3From, type LocalS3 } from "./helpers/sink-files.js";

const credentials = { user: "imports", password: "imports-e2e-password" };
const PREFIX = `e2e-imports-${Date.now()}`;
const SCHEMA = ["SCHEMA >", "    `id` UInt64,", "    `file` String,", "    `amount` Float64", "", 'ENGINE "MergeTree"', 'ENGINE_SORTING_KEY "id"', ""];

const PROJECT = (bucket: string): Record<string, string> => ({
  "local_s3.connection": ["TYPE s3", "S3_REGION us-east-1", 'S3_ACCESS_KEY {{ tb_secret("S3_ACCESS_KEY") }}', 'S3_SECRET {{ tb_secret("S3_SECRET") }}', ""].join("\n"),
  "events.datasource": [...SCHEMA, "IMPORT_CONNECTION_NAME local_s3", `IMPORT_BUCKET_URI s3://${bucket}/${PREFIX}/events/*.ndjson`, "IMPORT_SCHEDULE @auto", ""].join("\n"),
  "manual.datasource": [...SCHEMA, "IMPORT_CONNECTION_NAME local_s3", `IMPORT_BUCKET_URI s3://${bucket}/${PREFIX}/manual/*.ndjson`, "IMPORT_SCHEDULE @on-demand", ""].join("\n"),
});

let chDir: string;
let chPort: number;
let ch: Awaited<ReturnType<typeof spawnLocalClickHouse>>;
let client: ClickHouseClient;
let platform: DevPlatform;
let s3: LocalS3;

interface Job {
  id: string;
  kind: string;
  status: string;
  datasource: { name: string } | null;
  statistics?: Record<string, number>;
  error?: string;
}

async function apiJson<T>(path: string): Promise<T> {
  const res = await fetch(`${platform.baseUrl}${path}`, { headers: { authorization: `Bearer ${platform.adminToken}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
async function sql<T>(query: string): Promise<T[]> {
  return (await apiJson<{ data: T[] }>(`/v0/sql?q=${encodeURIComponent(`${query} FORMAT JSON`)}`)).data;
}
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
/** The import jobs of `datasource`, oldest first. */
async function importJobs(datasource: string): Promise<Job[]> {
  const { jobs } = await apiJson<{ jobs: Job[] }>("/v0/jobs");
  return jobs.filter((j) => j.kind === "s3_sync" && j.datasource?.name === datasource).reverse();
}
async function ended(id: string): Promise<Job> {
  return until(`job ${id} to end`, async () => {
    const job = await apiJson<Job>(`/v0/jobs/${id}`);
    return job.status === "waiting" || job.status === "working" ? undefined : job;
  });
}
/** The Worker's cron tick as if the clock read `iso`; answers how many runs it enqueued. */
async function fireCron(iso: string): Promise<number> {
  const res = await fetch(`${platform.baseUrl}/local/scheduled?time=${Date.parse(iso)}`, { method: "POST" });
  const body = (await res.json()) as { enqueued: number };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.enqueued;
}
async function counts(datasource: string) {
  const [row] = await sql<{ c: number; ids: number; files: number }>(`SELECT toUInt32(count()) AS c, toUInt32(uniqExact(id)) AS ids, toUInt32(uniqExact(file)) AS files FROM ${datasource}`);
  return row;
}
/** Files written into the dev platform's S3 server by this file's ClickHouse. */
async function put(key: string, format: string, select: string, partitionBy?: string) {
  await client.command({
    query: `INSERT INTO FUNCTION s3('${s3.url}/${s3.bucket}/${PREFIX}/${key}', '${s3.accessKey}', '${s3.secretKey}', '${format}', 'id UInt64, file String, amount Float64')${partitionBy ? ` PARTITION BY ${partitionBy}` : ""} ${select}`,
    clickhouse_settings: { s3_truncate_on_insert: 1 },
  });
}
async function startClickHouse() {
  ch = await spawnLocalClickHouse({ port: chPort, dataDir: chDir, ...credentials });
  client = createClient({ url: ch.url, username: credentials.user, password: credentials.password, request_timeout: 120_000 });
}

beforeAll(async () => {
  chDir = await mkdtemp(join(tmpdir(), "tern-imports-ch-"));
  chPort = await freePort();
  await startClickHouse();
  platform = await startDevPlatform(["--clickhouse-url", ch.url, "--clickhouse-user", credentials.user, "--clickhouse-password", credentials.password]);
  s3 = localS3From(platform.output());
  await put("events/part-{_partition_id}.ndjson", "JSONEachRow", "SELECT number, concat('part-', toString(intDiv(number, 200))), number / 10 FROM numbers(10000)", "intDiv(id, 200)");
  await client.command({
    query: `INSERT INTO FUNCTION s3('${s3.url}/${s3.bucket}/${PREFIX}/events/zz-broken.ndjson', '${s3.accessKey}', '${s3.secretKey}', 'RawBLOB', 'b String') SELECT 'this is not json'`,
    clickhouse_settings: { s3_truncate_on_insert: 1 },
  });
  await put("manual/m.ndjson", "JSONEachRow", "SELECT number + 900000, 'manual', 1 FROM numbers(12)");
  await deployFiles(platform, PROJECT(s3.bucket));
}, 300_000);

afterAll(async () => {
  await platform?.stop();
  await client?.close();
  await ch?.stop().catch(() => undefined);
  if (chDir) await rm(chDir, { recursive: true, force: true });
});

describe("S3 imports on npm run dev", () => {
  it("the first tick loads the 50 files once each; the broken one's line goes to the quarantine", async () => {
    expect(await fireCron("2026-05-01T10:00:00Z")).toBe(1);
    const [job] = await importJobs("events");
    expect(await ended(job!.id)).toMatchObject({ status: "done", statistics: { rows: 10000, quarantine_rows: 1, files: 51, files_loaded: 51, files_failed: 0 } });
    expect(await counts("events")).toEqual({ c: 10000, ids: 10000, files: 50 });
  }, 180_000);

  it("the same tick fired again runs nothing", async () => {
    expect(await fireCron("2026-05-01T10:00:00Z")).toBe(0);
    expect(await importJobs("events")).toHaveLength(1);
  });

  it("ClickHouse stopped and started again between ticks: the next tick loads only the file added meanwhile", async () => {
    await client.close();
    await ch.stop();
    await startClickHouse();
    await put("events/late.ndjson", "JSONEachRow", "SELECT number + 50000, 'late', 1 FROM numbers(200)");
    expect(await fireCron("2026-05-01T10:01:00Z")).toBe(1);
    const jobs = await importJobs("events");
    expect(jobs).toHaveLength(2);
    expect(await ended(jobs[1]!.id)).toMatchObject({ status: "done", statistics: { rows: 200, files: 1, files_loaded: 1 } });
    expect(await counts("events")).toEqual({ c: 10200, ids: 10200, files: 51 });
  }, 180_000);

  it("the broken file is in tinybird.datasources_ops_log with its reason, its line in the quarantine", async () => {
    const rows = await until("the ops log rows", async () => {
      const r = await sql<{ result: string; rows: number; rows_quarantine: number; error: string | null }>(
        "SELECT result, toUInt32(rows) AS rows, toUInt32(rows_quarantine) AS rows_quarantine, error FROM tinybird.datasources_ops_log WHERE datasource_name = 'events' AND event_type = 'append'",
      );
      return r.length === 52 ? r : undefined;
    }, 30_000);
    expect(rows.every((r) => r.result === "ok")).toBe(true);
    expect(rows.reduce((n, r) => n + r.rows, 0)).toBe(10200);
    expect(rows.filter((r) => r.rows_quarantine > 0).map((r) => [r.rows_quarantine, r.error])).toEqual([
      [1, `s3://${s3.bucket}/${PREFIX}/events/zz-broken.ndjson: 1 row in quarantine: the message value is not a JSON object`],
    ]);
    expect(await sql("SELECT c__error FROM events_quarantine")).toEqual([{ c__error: ["the message value is not a JSON object"] }]);
  });
});

const python = findPython();
const skipReason = python.ok ? "" : ` (skipped: ${python.reason})`;

describe.skipIf(!python.ok)(`Tinybird's CLI tb ${TINYBIRD_CLI_VERSION}: tb datasource sync${skipReason}`, () => {
  let cli: TinybirdCli;
  let work: string;

  beforeAll(async () => {
    cli = await installTinybirdCli(python);
    work = await mkdtemp(join(tmpdir(), "tern-e2e-tb-sync-"));
    await Promise.all([mkdir(join(work, "project")), mkdir(join(work, "home"))]);
    await Promise.all(Object.entries(PROJECT(s3.bucket)).map(([name, text]) => writeFile(join(work, "project", name), text)));
  }, 600_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  // Nothing may leave the machine: a proxy on a closed port refuses anything not for localhost.
  const dead = "http://127.0.0.1:9";
  const tb = (args: string[]) => runTb(cli, ["--cloud", ...args], {
    cwd: join(work, "project"),
    home: join(work, "home"),
    env: { TB_HOST: platform.baseUrl, TB_TOKEN: platform.adminToken, HTTPS_PROXY: dead, HTTP_PROXY: dead, https_proxy: dead, http_proxy: dead, NO_PROXY: "localhost,127.0.0.1", no_proxy: "localhost,127.0.0.1" },
  });
  const logs = async (source: string) => {
    const run = await tb(["--output", "json", "logs", "--source", source, "--start", "-1d"]);
    expect(run.code, run.err).toBe(0);
    return JSON.parse(run.out) as { rows: number; data: Array<{ source: string; data: Record<string, unknown> | string }> };
  };

  it("tb datasource sync <ds> --yes starts the import now; its rows land", async () => {
    const run = await tb(["datasource", "sync", "manual", "--yes"]);
    expect(run).toEqual({ code: 0, out: "** Data Source 'manual' syncing in progress\n", err: "" });
    const [job] = await importJobs("manual");
    expect(await ended(job!.id)).toMatchObject({ status: "done", statistics: { rows: 12, files: 1 } });
    expect(await counts("manual")).toEqual({ c: 12, ids: 12, files: 1 });
  }, 120_000);

  it("tb logs --source tinybird.block_log shows a block per imported file (52 events files and the manual one)", async () => {
    const got = await until("the block_log rows", async () => {
      const l = await logs("tinybird.block_log");
      return l.rows === 53 ? l : undefined;
    }, 30_000);
    expect(new Set(got.data.map((r) => r.source))).toEqual(new Set(["tinybird.block_log"]));
    const parsed = got.data.map((r) => (typeof r.data === "string" ? JSON.parse(r.data) : r.data) as { datasource_name: string; status: string; rows: number; quarantine_lines: number });
    expect(parsed.filter((b) => Number(b.quarantine_lines) > 0).map((b) => b.datasource_name)).toEqual(["events"]);
    expect(parsed.filter((b) => b.status === "done").reduce((n, b) => n + Number(b.rows), 0)).toBe(10200 + 12);
  }, 60_000);

  it("tb logs --source tinybird.llm_usage and tinybird.kafka_ops_log answer empty for a workspace without that activity", async () => {
    for (const source of ["tinybird.llm_usage", "tinybird.kafka_ops_log"]) {
      expect(await logs(source)).toMatchObject({ rows: 0, data: [] });
    }
  }, 60_000);
});
