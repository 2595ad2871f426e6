/**
 * S3/GCS import datasources through the platform, inside workerd: a project with
 * a `.connection` (TYPE s3 or gcs) pointing at the real local S3 server (the test
 * setup's; TERN_S3_ENDPOINT / TERN_GCS_ENDPOINT) and `IMPORT_*` datasources is
 * deployed through /v1/deploy; the Worker's `scheduled()` ticks enqueue import runs
 * on the real local Queue `tern-jobs`, which the real local ClickHouse carries out
 * with s3(). Checked: 50 files + 1 broken land exactly once, a redelivered tick and
 * later ticks and redeploys load nothing again, the broken file is in
 * tinybird.datasources_ops_log with its reason, staged deployments and @on-demand
 * do not import, @once imports once, `deploy --check` says what is wrong with a
 * bucket, and no credential appears in any answer.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../workers/index.js";
import { platformFor } from "../../workers/platform/platform.js";
import { runImportJob } from "../../workers/imports/run.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { ended, rows, s3, S3_CONNECTION, type JobJson } from "./helpers/sinks.js";

/** This file's folder in the bucket. */
const P = `imports-${crypto.randomUUID().slice(0, 8)}`;
const COLUMNS = "id UInt64, file String, amount Float64";

const SCHEMA = `SCHEMA >
    \`id\` UInt64,
    \`file\` String,
    \`amount\` Float64

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
`;

function importDatasource(uri: string, schedule: string, connection = "s3_local"): string {
  return `${SCHEMA}\nIMPORT_CONNECTION_NAME ${connection}\nIMPORT_BUCKET_URI ${uri}\nIMPORT_SCHEDULE ${schedule}\n`;
}

/** Files written by the local ClickHouse into the local S3 server. */
async function putFiles(key: string, format: string, select: string, partitionBy?: string): Promise<void> {
  await testClickHouse().command({
    query: `INSERT INTO FUNCTION s3('${s3.url}/${s3.bucket}/${P}/${key}', '${s3.key}', '${s3.secret}', '${format}', '${COLUMNS}')${partitionBy ? ` PARTITION BY ${partitionBy}` : ""} ${select}`,
    clickhouse_settings: { s3_truncate_on_insert: 1 },
  });
}
async function putRaw(key: string, body: string): Promise<void> {
  await testClickHouse().command({
    query: `INSERT INTO FUNCTION s3('${s3.url}/${s3.bucket}/${P}/${key}', '${s3.key}', '${s3.secret}', 'RawBLOB', 'b String') SELECT '${body}'`,
    clickhouse_settings: { s3_truncate_on_insert: 1 },
  });
}

let minute = Date.parse("2026-05-01T00:00:00Z");
/** The next minute's cron tick (or `at` again: a redelivered tick); answers the runs it enqueued. */
async function tick(at?: number): Promise<number> {
  if (at === undefined) minute += 60_000;
  const ctx = createExecutionContext();
  const before = await allJobs();
  await worker.scheduled(createScheduledController({ scheduledTime: at ?? minute, cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
  return (await allJobs()).length - before.length;
}

let ws: { id: string; token: string };

async function allJobs(token = ws.token): Promise<JobJson[]> {
  const res = await api("/v0/jobs", { token });
  return ((await res.json()) as { jobs: JobJson[] }).jobs;
}
async function importJobs(datasource: string, token = ws.token): Promise<Array<JobJson & { datasource: { name: string } | null }>> {
  return (await allJobs(token)).filter((j) => (j as { datasource?: { name: string } | null }).datasource?.name === datasource && j.kind.endsWith("_sync")) as never;
}
/** Every import job of the workspace ended. */
async function settled(token = ws.token): Promise<void> {
  for (const j of await allJobs(token)) if (j.kind.endsWith("_sync")) await ended(j.id, token, 60_000);
}
async function tableOf(datasource: string, workspaceId = ws.id): Promise<string> {
  const live = await liveManifest(env, workspaceId);
  return `${live!.manifest.database}.${live!.manifest.datasources[datasource]!.table}`;
}
async function counts(datasource: string): Promise<{ c: number; ids: number; files: number }> {
  const [r] = await rows<{ c: string; ids: string; files: string }>(`SELECT count() AS c, uniqExact(id) AS ids, uniqExact(file) AS files FROM ${await tableOf(datasource)}`);
  return { c: Number(r!.c), ids: Number(r!.ids), files: Number(r!.files) };
}
async function sql<T>(q: string, token = ws.token): Promise<T[]> {
  const res = await api(`/v0/sql?q=${encodeURIComponent(`${q} FORMAT JSON`)}`, { token });
  if (res.status !== 200) throw new Error(`${q}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: T[] }).data;
}

const project = (): Record<string, string> => ({
  "s3_local.connection": S3_CONNECTION,
  "gcs_local.connection": `TYPE gcs\nGCS_HMAC_ACCESS_ID {{ tb_secret("TEST_S3_KEY") }}\nGCS_HMAC_SECRET {{ tb_secret("TEST_S3_SECRET") }}\n`,
  "events.datasource": importDatasource(`s3://${s3.bucket}/${P}/events/*.ndjson`, "@auto"),
  "sales.datasource": importDatasource(`gs://${s3.bucket}/${P}/sales/*.csv`, "@once", "gcs_local"),
  "manual.datasource": importDatasource(`s3://${s3.bucket}/${P}/manual/*.ndjson`, "@on-demand"),
  "plain.datasource": `${SCHEMA}`,
  "nested.datasource": `SCHEMA >\n    \`id\` UInt64 \`json:$.payload.id\`,\n    \`file\` String \`json:$.meta.file\`,\n    \`amount\` Float64 \`json:$.amount\`,\n    \`tag\` String \`json:$.tag\` DEFAULT concat('n-', toString(id))\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "id"\n\nIMPORT_CONNECTION_NAME s3_local\nIMPORT_BUCKET_URI s3://${s3.bucket}/${P}/nested/*.ndjson\nIMPORT_SCHEDULE @on-demand\n`,
  "csvq.datasource": importDatasource(`s3://${s3.bucket}/${P}/csvq/*.csv`, "@on-demand"),
  "gz_csv.datasource": importDatasource(`s3://${s3.bucket}/${P}/gz/*.csv.gz`, "@on-demand"),
  "parq.datasource": importDatasource(`s3://${s3.bucket}/${P}/parq/*.parquet`, "@on-demand"),
  // IMPORT_FROM_TIMESTAMP: files modified before it are not listed.
  "future_only.datasource": `${importDatasource(`s3://${s3.bucket}/${P}/manual/*.ndjson`, "@on-demand")}IMPORT_FROM_TIMESTAMP 2100-01-01T00:00:00Z\n`,
  "since_2000.datasource": `${importDatasource(`s3://${s3.bucket}/${P}/manual/*.ndjson`, "@on-demand")}IMPORT_FROM_TIMESTAMP 2000-01-01T00:00:00Z\n`,
});

beforeAll(async () => {
  ws = await createWorkspace("imports");
  // 50 NDJSON files of 200 rows (ids 0..9999) and one that is not NDJSON; a CSV outside the glob.
  await putFiles("events/part-{_partition_id}.ndjson", "JSONEachRow", "SELECT number, concat('part-', toString(intDiv(number, 200))), number / 10 FROM numbers(10000)", "intDiv(id, 200)");
  await putRaw("events/zz-broken.ndjson", "this is not json");
  await putFiles("events/ignored.csv", "CSVWithNames", "SELECT 1, 'x', 1");
  await putFiles("sales/a.csv", "CSVWithNames", "SELECT number, 'a', 1 FROM numbers(30)");
  await putFiles("manual/m.ndjson", "JSONEachRow", "SELECT number, 'm', 1 FROM numbers(5)");
  // JSONPaths, a value that is not its column's type, a line that is not JSON, a blank line.
  await putRaw("nested/n.ndjson", [
    '{"payload":{"id":1},"meta":{"file":"n"},"amount":1.5}',
    '{"payload":{"id":2},"meta":{"file":"n"},"amount":"abc"}',
    '{"payload":{"id":3},"meta":{"file":"n"},"tag":"x"}',
    "not json",
    "",
  ].join("\\n"));
  await putRaw("csvq/q.csv", "id,file,amount\\n1,a,1.5\\nnot-a-number,a,2\\n3,a,\\n4,a,4");
  await putFiles("gz/a.csv.gz", "CSVWithNames", "SELECT number, 'gz', 2 FROM numbers(40)");
  await putFiles("parq/a.parquet", "Parquet", "SELECT number, 'parquet', 3 FROM numbers(25)");
}, 120_000);

describe("validation at deploy", () => {
  it("an import from a kafka connection is refused at IMPORT_CONNECTION_NAME's line", async () => {
    const res = await deploy({
      "k.connection": "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS 127.0.0.1:9\n",
      "x.datasource": importDatasource(`s3://${s3.bucket}/${P}/x/*.ndjson`, "@auto", "k"),
    }, "auto_promote=true", ws.token);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ filename: "x.datasource", error: "x.datasource:9:1: connection 'k' is a kafka connection; an import datasource needs an s3 or gcs connection" }]);
  });

  it("a bucket URI whose files have no known extension is refused at IMPORT_BUCKET_URI's line", async () => {
    const res = await deploy({ "s3_local.connection": S3_CONNECTION, "x.datasource": importDatasource(`s3://${s3.bucket}/${P}/x/*`, "@auto") }, "auto_promote=true", ws.token);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{
      filename: "x.datasource",
      error: `x.datasource:10:1: IMPORT_BUCKET_URI \`s3://${s3.bucket}/${P}/x/*\`: the file format is read from the extension; end the path with .csv, .ndjson, .jsonl or .parquet (optionally .gz)`,
    }]);
  });

  it("a gs:// URI on an s3 connection is refused", async () => {
    const res = await deploy({ "s3_local.connection": S3_CONNECTION, "x.datasource": importDatasource(`gs://${s3.bucket}/${P}/x/*.csv`, "@auto") }, "auto_promote=true", ws.token);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].error).toBe("x.datasource:9:1: connection 's3_local' is an s3 connection, so IMPORT_BUCKET_URI must start with s3://");
  });
});

describe("deploy --check reaches the bucket", () => {
  const checkOf = async (files: Record<string, string>) => deploy(files, "check=true", ws.token);

  it("says how many files each import's glob matches now", async () => {
    const res = await checkOf(project());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const info = (res.body.deployment.feedback as Array<{ level: string; message: string }>).filter((f) => f.level === "INFO").map((f) => f.message).sort();
    expect(info).toEqual([
      `Datasource 'csvq': 1 file in s3://${s3.bucket}/${P}/csvq/*.csv now`,
      `Datasource 'events': 51 files in s3://${s3.bucket}/${P}/events/*.ndjson now`,
      `Datasource 'future_only': 0 files in s3://${s3.bucket}/${P}/manual/*.ndjson now`,
      `Datasource 'gz_csv': 1 file in s3://${s3.bucket}/${P}/gz/*.csv.gz now`,
      `Datasource 'manual': 1 file in s3://${s3.bucket}/${P}/manual/*.ndjson now`,
      `Datasource 'nested': 1 file in s3://${s3.bucket}/${P}/nested/*.ndjson now`,
      `Datasource 'parq': 1 file in s3://${s3.bucket}/${P}/parq/*.parquet now`,
      `Datasource 'sales': 1 file in gs://${s3.bucket}/${P}/sales/*.csv now`,
      `Datasource 'since_2000': 1 file in s3://${s3.bucket}/${P}/manual/*.ndjson now`,
    ]);
  });

  it("a missing bucket is an error naming it, and nothing is deployed", async () => {
    const res = await checkOf({ "s3_local.connection": S3_CONNECTION, "x.datasource": importDatasource(`s3://no-such-bucket-tern/${P}/*.ndjson`, "@auto") });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^Datasource 'x' cannot read its bucket: bucket 'no-such-bucket-tern' does not exist \(or is not on the endpoint the URI reaches\): create it, or correct IMPORT_BUCKET_URI\. The bucket said: /);
    expect((await api("/v0/datasources/x", { token: ws.token })).status).toBe(404);
  });

  it("a wrong secret is refused by the bucket, and the secret is not in the answer", async () => {
    const wrong = "Wr0ng-Import-Secret-9911";
    const res = await checkOf({
      "bad.connection": `TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY {{ tb_secret("TEST_S3_KEY") }}\nS3_SECRET {{ tb_secret("NOT_SET_IMPORT", "${wrong}") }}\n`,
      "x.datasource": importDatasource(`s3://${s3.bucket}/${P}/events/*.ndjson`, "@auto", "bad"),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(/^Datasource 'x' cannot read its bucket: bucket 'tern-test' refused the credentials of connection 'bad' \(S3_ACCESS_KEY and S3_SECRET\)/);
    expect(JSON.stringify(res.body)).not.toContain(wrong);
    expect(JSON.stringify(res.body)).not.toContain(s3.secret);
  });

  it("a secret with no value and no default is named", async () => {
    const res = await checkOf({
      "unset.connection": `TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY {{ tb_secret("TEST_S3_KEY") }}\nS3_SECRET {{ tb_secret("NOT_SET_ANYWHERE_IMPORT") }}\n`,
      "x.datasource": importDatasource(`s3://${s3.bucket}/${P}/events/*.ndjson`, "@auto", "unset"),
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe(`Datasource 'x': connection 'unset' uses secret "NOT_SET_ANYWHERE_IMPORT" with no value and no default`);
  });
});

describe("scheduled imports", () => {
  it("a staged deployment does not import", async () => {
    const res = await deploy(project(), "auto_promote=false", ws.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await tick()).toBe(0);
    const promoted = await api(`/v1/deployments/${res.body.deployment.id}/set-live`, { method: "POST", token: ws.token });
    expect(promoted.status, await promoted.clone().text()).toBe(200);
  });

  it("the first tick after promote loads the 50 files once each (@auto) and the @once CSV; the line that is not JSON goes to the quarantine", async () => {
    expect(await tick()).toBe(2); // events (@auto), sales (@once); manual is @on-demand
    await settled();
    const [events] = await importJobs("events");
    expect(await ended(events!.id, ws.token)).toMatchObject({
      kind: "s3_sync", status: "done", statistics: { rows: 10000, quarantine_rows: 1, files: 51, files_loaded: 51, files_failed: 0 },
    });
    expect(await counts("events")).toEqual({ c: 10000, ids: 10000, files: 50 });
    expect(await sql("SELECT c__error_column, c__error, c__import_id = '" + events!.id + "' AS this_job, id FROM events_quarantine")).toEqual([
      { c__error_column: [], c__error: ["the message value is not a JSON object"], this_job: 1, id: null },
    ]);
    const [sales] = await importJobs("sales");
    expect(await ended(sales!.id, ws.token)).toMatchObject({ kind: "gcs_sync", status: "done", statistics: { rows: 30, files: 1, files_loaded: 1 } });
    expect((await counts("manual")).c).toBe(0);
  });

  it("tinybird.datasources_ops_log: a row per file; the broken one with its quarantined row and the reason", async () => {
    const q = "SELECT result, count() AS n, sum(rows) AS r, sum(rows_quarantine) AS rq FROM tinybird.datasources_ops_log WHERE datasource_name = 'events' AND event_type = 'append' GROUP BY result ORDER BY result";
    await vi.waitUntil(async () => (await sql(q)).length === 1, { timeout: 20_000, interval: 250 });
    expect(await sql(q)).toEqual([{ result: "ok", n: 51, r: 10000, rq: 1 }]);
    const [broken] = await sql<{ error: string }>("SELECT error FROM tinybird.datasources_ops_log WHERE datasource_name = 'events' AND rows_quarantine > 0");
    expect(broken!.error).toBe(`s3://${s3.bucket}/${P}/events/zz-broken.ndjson: 1 row in quarantine: the message value is not a JSON object`);
  });

  it("tinybird.block_log has a row per file with its rows, bytes and quarantined lines", async () => {
    const q = "SELECT status, count() AS n, sum(rows) AS r, sum(quarantine_lines) AS ql, min(bytes) > 0 AS sized, any(parser) AS parser FROM tinybird.block_log WHERE datasource_name = 'events' GROUP BY status ORDER BY status";
    await vi.waitUntil(async () => (await sql(q)).length === 1, { timeout: 20_000, interval: 250 });
    expect(await sql(q)).toEqual([{ status: "done", n: 51, r: 10000, ql: 1, sized: 1, parser: "ndjson" }]);
    const [broken] = await sql<{ source: string; processing_error: string }>("SELECT source, processing_error FROM tinybird.block_log WHERE datasource_name = 'events' AND quarantine_lines > 0");
    expect(broken).toEqual({ source: `s3://${s3.bucket}/${P}/events/zz-broken.ndjson`, processing_error: `s3://${s3.bucket}/${P}/events/zz-broken.ndjson: 1 row in quarantine: the message value is not a JSON object` });
  });

  it("tinybird.llm_usage answers, empty (Tern has no AI features)", async () => {
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT start_time, feature, total_tokens, cost FROM tinybird.llm_usage FORMAT JSON")}`, { token: ws.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { meta: unknown; data: unknown[]; rows: number };
    expect(body.meta).toEqual([
      { name: "start_time", type: "DateTime64(3)" }, { name: "feature", type: "LowCardinality(String)" }, { name: "total_tokens", type: "UInt64" }, { name: "cost", type: "Float64" },
    ]);
    expect(body.data).toEqual([]);
    expect(body.rows).toBe(0);
  });

  it("the same tick redelivered runs nothing; the next tick runs @auto again and loads nothing new", async () => {
    expect(await tick(minute)).toBe(0);
    expect(await tick()).toBe(1);
    await settled();
    const [latest] = await importJobs("events");
    expect(await ended(latest!.id, ws.token)).toMatchObject({ status: "done", statistics: { rows: 0, files: 0 } });
    expect(await counts("events")).toEqual({ c: 10000, ids: 10000, files: 50 });
    expect((await counts("sales")).c).toBe(30); // @once ran once
  });

  it("a file uploaded later is loaded by the next tick, and only it", async () => {
    await putFiles("events/late.ndjson", "JSONEachRow", "SELECT number + 50000, 'late', 1 FROM numbers(7)");
    expect(await tick()).toBe(1);
    await settled();
    expect(await counts("events")).toEqual({ c: 10007, ids: 10007, files: 51 });
  });

  it("a redeploy that changes the datasource's table loads no file again", async () => {
    const files = project();
    files["events.datasource"] = files["events.datasource"]!.replace("`amount` Float64", "`amount` Float64,\n    `extra` String DEFAULT 'x'");
    const before = await tableOf("events");
    const res = await deploy(files, "auto_promote=true&allow_destructive_operations=true", ws.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await tableOf("events")).not.toBe(before);
    expect(await tick()).toBe(1);
    await settled();
    const [latest] = await importJobs("events");
    expect(await ended(latest!.id, ws.token)).toMatchObject({ status: "done", statistics: { files: 0 } });
    expect(await counts("events")).toEqual({ c: 10007, ids: 10007, files: 51 });
  });
});

describe("the runner, called as the jobs runtime calls it", () => {
  it("a run delivered twice (the Worker stopped after the first attempt wrote) loads each new file once", async () => {
    await putFiles("events/redelivered.ndjson", "JSONEachRow", "SELECT number + 70000, 'redelivered', 1 FROM numbers(9)");
    const before = await counts("events");
    const platform = platformFor(env, createExecutionContext());
    const catalog = platform.catalog.workspace(ws.id);
    const created = await catalog.beginRun(
      { id: crypto.randomUUID(), kind: "s3_sync", lock: "import:events", datasource: "events", details: { trigger: "request", job_timestamp: new Date().toISOString(), params: "{}", options: "{}" } },
      { kinds: ["copy", "sink", "s3_sync", "gcs_sync"], maxUnfinished: 10, staleAfterMs: 300_000 },
    );
    const working = (await catalog.startJob(created.id))!;
    const run = (attempt: number) => ({
      record: working, workspaceId: ws.id, queryId: working.id, pipe: "", params: {}, options: {}, jobTimestamp: working.created_at, trigger: "request" as const, attempt,
    });
    expect(await runImportJob(platform, run(1), new AbortController().signal)).toMatchObject({ rows: 9, files: 1 });
    expect(await runImportJob(platform, run(2), new AbortController().signal)).toMatchObject({ rows: 0, files: 0 });
    await catalog.endJob(created.id, { status: "done" });
    expect(await counts("events")).toEqual({ c: before.c + 9, ids: before.ids + 9, files: before.files + 1 });
  });
});

describe("POST /v0/datasources/<ds>/scheduling/runs (tb datasource sync)", () => {
  it("runs an @on-demand import now and answers its job", async () => {
    const res = await api("/v0/datasources/manual/scheduling/runs", { method: "POST", token: ws.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as JobJson;
    expect(body).toMatchObject({ kind: "s3_sync", status: "waiting" });
    expect(await ended(body.id, ws.token)).toMatchObject({ status: "done", statistics: { rows: 5, files: 1 } });
    expect((await counts("manual")).c).toBe(5);
  });

  it("NDJSON by JSONPaths: the lines that fit land (a missing value gets its type's default or the column's DEFAULT), the others go to the quarantine with their reasons", async () => {
    const res = await api("/v0/datasources/nested/scheduling/runs", { method: "POST", token: ws.token });
    expect(res.status).toBe(200);
    expect(await ended(((await res.json()) as JobJson).id, ws.token)).toMatchObject({ status: "done", statistics: { rows: 2, quarantine_rows: 2, files: 1, files_loaded: 1 } });
    expect(await sql("SELECT id, file, amount, tag FROM nested ORDER BY id")).toEqual([{ id: 1, file: "n", amount: 1.5, tag: "n-1" }, { id: 3, file: "n", amount: 0, tag: "x" }]);
    expect(await sql("SELECT c__error_column, c__error, id, amount FROM nested_quarantine ORDER BY length(c__error_column) DESC")).toEqual([
      { c__error_column: ["amount"], c__error: ["value 'abc' on column 'amount' is not Float64"], id: "2", amount: "abc" },
      { c__error_column: [], c__error: ["the message value is not a JSON object"], id: null, amount: null },
    ]);
    const q = "SELECT rows, rows_quarantine, error FROM tinybird.datasources_ops_log WHERE datasource_name = 'nested'";
    await vi.waitUntil(async () => (await sql(q)).length === 1, { timeout: 20_000, interval: 250 });
    expect(await sql(q)).toEqual([{ rows: 2, rows_quarantine: 2, error: `s3://${s3.bucket}/${P}/nested/n.ndjson: 2 rows in quarantine: value 'abc' on column 'amount' is not Float64` }]);
  });

  it("CSV: the rows whose values cast land, the others go to the quarantine with their reasons", async () => {
    const res = await api("/v0/datasources/csvq/scheduling/runs", { method: "POST", token: ws.token });
    expect(res.status).toBe(200);
    expect(await ended(((await res.json()) as JobJson).id, ws.token)).toMatchObject({ status: "done", statistics: { rows: 2, quarantine_rows: 2, files: 1, files_loaded: 1 } });
    expect(await sql("SELECT id, amount FROM csvq ORDER BY id")).toEqual([{ id: 1, amount: 1.5 }, { id: 4, amount: 4 }]);
    expect(await sql("SELECT c__error_column, c__error, id FROM csvq_quarantine ORDER BY id")).toEqual([
      { c__error_column: ["amount"], c__error: ["value '' on column 'amount' is not Float64"], id: "3" },
      { c__error_column: ["id"], c__error: ["value 'not-a-number' on column 'id' is not UInt64"], id: "not-a-number" },
    ]);
  });

  it("reads gzipped CSV and Parquet files by their extension", async () => {
    for (const [ds, rows] of [["gz_csv", 40], ["parq", 25]] as const) {
      const res = await api(`/v0/datasources/${ds}/scheduling/runs`, { method: "POST", token: ws.token });
      expect(res.status).toBe(200);
      expect(await ended(((await res.json()) as JobJson).id, ws.token)).toMatchObject({ status: "done", statistics: { rows, files: 1, files_loaded: 1 } });
      expect(await counts(ds)).toEqual({ c: rows, ids: rows, files: 1 });
    }
  });

  it("IMPORT_FROM_TIMESTAMP: files modified before it are left out", async () => {
    const sync = async (ds: string) => {
      const res = await api(`/v0/datasources/${ds}/scheduling/runs`, { method: "POST", token: ws.token });
      expect(res.status).toBe(200);
      return ended(((await res.json()) as JobJson).id, ws.token);
    };
    expect(await sync("future_only")).toMatchObject({ status: "done", statistics: { rows: 0, files: 0 } });
    expect(await sync("since_2000")).toMatchObject({ status: "done", statistics: { rows: 5, files: 1 } });
    expect((await counts("future_only")).c).toBe(0);
    expect((await counts("since_2000")).c).toBe(5);
  });

  it("a working import can be cancelled (its lock is freed: the next sync starts); while one is unfinished another is a 409", async () => {
    const platform = platformFor(env, createExecutionContext());
    const catalog = platform.catalog.workspace(ws.id);
    const created = await catalog.beginRun(
      { id: crypto.randomUUID(), kind: "s3_sync", lock: "import:manual", datasource: "manual", details: { trigger: "request", job_timestamp: new Date().toISOString(), params: "{}", options: "{}" } },
      { kinds: ["copy", "sink", "s3_sync", "gcs_sync"], maxUnfinished: 10, staleAfterMs: 300_000 },
    );
    await catalog.startJob(created.id);
    expect(await (await api(`/v0/jobs/${created.id}`, { token: ws.token })).json()).toMatchObject({ kind: "s3_sync", status: "working", is_cancellable: true });
    const refused = await api("/v0/datasources/manual/scheduling/runs", { method: "POST", token: ws.token });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^A run of 'manual' is already in progress/);
    const cancelled = await api(`/v0/jobs/${created.id}/cancel`, { method: "POST", token: ws.token });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: "cancelled" });
    const next = await api("/v0/datasources/manual/scheduling/runs", { method: "POST", token: ws.token });
    expect(next.status).toBe(200);
    expect(await ended(((await next.json()) as JobJson).id, ws.token)).toMatchObject({ status: "done", statistics: { files: 0 } });
  });

  it("a datasource that is not connected to a bucket is a 400", async () => {
    const res = await api("/v0/datasources/plain/scheduling/runs", { method: "POST", token: ws.token });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Data Source 'plain' is not connected to S3 or GCS (IMPORT_CONNECTION_NAME with an s3 or gcs connection, and IMPORT_BUCKET_URI); nothing to sync" });
  });

  it("an unknown datasource is a 404", async () => {
    const res = await api("/v0/datasources/nope/scheduling/runs", { method: "POST", token: ws.token });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Data Source 'nope' not found" });
  });

  it("a token that may only read the datasource is refused (403) and starts no job", async () => {
    const created = await api("/v0/tokens?name=reader_imports&scope=DATASOURCES:READ:manual", { method: "POST", token: ws.token });
    expect(created.status).toBe(200);
    const reader = ((await created.json()) as { token: string }).token;
    const before = (await importJobs("manual")).length;
    const res = await api("/v0/datasources/manual/scheduling/runs", { method: "POST", token: reader });
    expect(res.status).toBe(403);
    expect((await importJobs("manual")).length).toBe(before);
  });
});

describe("a run whose bucket cannot be listed", () => {
  const wrong = "Wr0ng-Run-Secret-7731";
  let ws2: { id: string; token: string };

  beforeAll(async () => {
    ws2 = await createWorkspace("imports_bad");
    const res = await deploy({
      "bad.connection": `TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY {{ tb_secret("TEST_S3_KEY") }}\nS3_SECRET {{ tb_secret("NOT_SET_RUN", "${wrong}") }}\n`,
      "s3_local.connection": S3_CONNECTION,
      "refused.datasource": importDatasource(`s3://${s3.bucket}/${P}/events/*.ndjson`, "@on-demand", "bad"),
      "nobucket.datasource": importDatasource(`s3://no-such-bucket-tern/${P}/*.ndjson`, "@on-demand"),
    }, "auto_promote=true", ws2.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  async function sync(ds: string): Promise<JobJson> {
    const res = await api(`/v0/datasources/${ds}/scheduling/runs`, { method: "POST", token: ws2.token });
    expect(res.status).toBe(200);
    return ended(((await res.json()) as JobJson).id, ws2.token);
  }

  it("a refused secret ends the job in error saying which connection, and no credential is in the job, the ops log or jobs_log", async () => {
    const job = await sync("refused");
    expect(job.status).toBe("error");
    expect(job.error).toMatch(/^The import of 'refused' could not list its files: bucket 'tern-test' refused the credentials of connection 'bad' \(S3_ACCESS_KEY and S3_SECRET\)/);
    const ops = await sql<{ result: string; error: string }>("SELECT result, error FROM tinybird.datasources_ops_log WHERE datasource_name = 'refused'", ws2.token);
    await vi.waitUntil(async () => (await sql(`SELECT 1 FROM tinybird.jobs_log WHERE job_id = '${job.id}'`, ws2.token)).length > 0, { timeout: 20_000, interval: 250 });
    const logged = await sql(`SELECT * FROM tinybird.jobs_log WHERE job_id = '${job.id}'`, ws2.token);
    for (const text of [JSON.stringify(job), JSON.stringify(ops), JSON.stringify(logged)]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(s3.secret);
    }
    expect(ops).toEqual([{ result: "error", error: job.error }]);
  });

  it("a missing bucket ends the job in error naming it; nothing is loaded", async () => {
    const job = await sync("nobucket");
    expect(job.status).toBe("error");
    expect(job.error).toMatch(/^The import of 'nobucket' could not list its files: bucket 'no-such-bucket-tern' does not exist/);
    const [row] = await rows<{ c: string }>(`SELECT count() AS c FROM ${await tableOf("nobucket", ws2.id)}`);
    expect(Number(row!.c)).toBe(0);
  });
});

describe("IMPORT_SCHEDULE as a cron", () => {
  let ws3: { id: string; token: string };
  const at = (iso: string) => Date.parse(iso);
  const runsOf = async () => (await allJobs(ws3.token)).filter((j) => j.kind === "s3_sync");

  beforeAll(async () => {
    ws3 = await createWorkspace("imports_cron");
    await putFiles("hourly/a.ndjson", "JSONEachRow", "SELECT number, 'h', 1 FROM numbers(4)");
    const res = await deploy({
      "s3_local.connection": S3_CONNECTION,
      "hourly.datasource": importDatasource(`s3://${s3.bucket}/${P}/hourly/*.ndjson`, "0 * * * *"),
    }, "auto_promote=true", ws3.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it("runs at its fire times only: not at 00:59, at 01:00, not at 01:01, again at 02:00", async () => {
    const fire = async (iso: string) => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: at(iso), cron: "* * * * *" }), env, ctx);
      await waitOnExecutionContext(ctx);
      for (const j of await runsOf()) await ended(j.id, ws3.token, 60_000);
      return (await runsOf()).length;
    };
    expect(await fire("2026-07-01T00:59:00Z")).toBe(0);
    expect(await fire("2026-07-01T01:00:00Z")).toBe(1);
    expect(await fire("2026-07-01T01:01:00Z")).toBe(1);
    expect(await fire("2026-07-01T02:00:00Z")).toBe(2);
    const [latest, first] = await runsOf();
    expect(first).toMatchObject({ status: "done", statistics: { rows: 4, files: 1 } });
    expect(latest).toMatchObject({ status: "done", statistics: { rows: 0, files: 0 } });
  });
});
