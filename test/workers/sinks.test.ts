/**
 * Bucket sinks to S3 and GCS end to end inside workerd: `POST /v0/pipes/<pipe>/sink`
 * creates a job, Queue `tern-jobs` (the real local queue) delivers it, and the real
 * local ClickHouse writes the files into the real local S3 server (s3-local, started by
 * the test setup; TERN_S3_ENDPOINT and TERN_GCS_ENDPOINT point at it). Files are read
 * back through ClickHouse's s3(): names, contents for each format and compression,
 * partitioned templates, both strategies, and the Bad input of the issue (a bucket that
 * refuses writes, a wrong secret, a missing secret, bucket or connection, a run
 * cancelled halfway), whose job errors, logs and rows never carry a credential.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { platformFor } from "../../workers/platform/platform.js";
import { runSinkJob } from "../../workers/sinks/run.js";
import { beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../workers/index.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { EVENTS_DATASOURCE, S3_CONNECTION, ended, job, rows, runSink, s3, s3Files, s3Table, sinkPipe, sinkRun } from "./helpers/sinks.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import { env } from "cloudflare:test";

/** This file's folder in the bucket. */
const P = `sinks-${crypto.randomUUID().slice(0, 8)}/`;
const AT = `s3://${s3.bucket}/${P}`;
const SELECT = "SELECT customer, n FROM events ORDER BY n";
const WRONG_SECRET = "Wr0ng-Secret-Value-4242";

const project: Record<string, string> = {
  "events.datasource": EVENTS_DATASOURCE,
  "s3_local.connection": S3_CONNECTION,
  "gcs_local.connection": `TYPE gcs\nGCS_HMAC_ACCESS_ID {{ tb_secret("TEST_S3_KEY") }}\nGCS_HMAC_SECRET {{ tb_secret("TEST_S3_SECRET") }}\n`,
  "wrong_secret.connection": `TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY {{ tb_secret("TEST_S3_KEY") }}\nS3_SECRET {{ tb_secret("NO_SUCH_SECRET_A", "${WRONG_SECRET}") }}\n`,
  "unset_secret.connection": `TYPE s3\nS3_REGION us-east-1\nS3_ACCESS_KEY {{ tb_secret("TEST_S3_KEY") }}\nS3_SECRET {{ tb_secret("NOT_SET_ANYWHERE") }}\n`,
  "csv_plain.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}csv/`, "EXPORT_FILE_TEMPLATE plain", "EXPORT_FORMAT csv"]),
  "csv_gzip.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}csv/`, "EXPORT_FILE_TEMPLATE events_{date}", "EXPORT_COMPRESSION gzip"]),
  "csv_snappy.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}csv/`, "EXPORT_FILE_TEMPLATE snappy.csv", "EXPORT_COMPRESSION snappy"]),
  "ndjson.pipe": sinkPipe("SELECT ts, customer, n FROM events ORDER BY n", ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}ndjson`, "EXPORT_FILE_TEMPLATE rows.ndjson", "EXPORT_FORMAT ndjson"]),
  "ndjson_gzip.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}ndjson/`, "EXPORT_FILE_TEMPLATE rows", "EXPORT_FORMAT ndjson", "EXPORT_COMPRESSION gz"]),
  "parquet.pipe": sinkPipe("SELECT ts, customer, n FROM events", ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}parquet/`, "EXPORT_FILE_TEMPLATE all", "EXPORT_FORMAT parquet"]),
  "parquet_gzip.pipe": sinkPipe("SELECT ts, customer, n FROM events", ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}parquet/`, "EXPORT_FILE_TEMPLATE gz", "EXPORT_FORMAT parquet", "EXPORT_COMPRESSION gzip"]),
  "by_customer.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}`, "EXPORT_FILE_TEMPLATE by_customer/{customer}/part", "EXPORT_FORMAT ndjson"]),
  "by_day.pipe": sinkPipe("SELECT ts, n FROM events", ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}`, "EXPORT_FILE_TEMPLATE by_day/day={ts, '%Y-%m-%d'}", "EXPORT_FORMAT csv"]),
  "split.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}`, "EXPORT_FILE_TEMPLATE split/part_{3}.csv"]),
  "truncate.pipe": sinkPipe("%\nSELECT n FROM events WHERE n < {{ UInt64(upto, 3) }} ORDER BY n", [
    "EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}strategy/`, "EXPORT_FILE_TEMPLATE truncated", "EXPORT_STRATEGY truncate",
  ]),
  "create_new.pipe": sinkPipe("SELECT n FROM events WHERE n < 2 ORDER BY n", ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}strategy/`, "EXPORT_FILE_TEMPLATE again", "EXPORT_STRATEGY create_new"]),
  "gcs.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME gcs_local", `EXPORT_BUCKET_URI gs://${s3.bucket}/${P}gcs/`, "EXPORT_FILE_TEMPLATE g", "EXPORT_FORMAT csv"]),
  "read_only.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI s3://${s3.readOnlyBucket}/${P}`, "EXPORT_FILE_TEMPLATE x"]),
  "no_bucket.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI s3://no-such-bucket-tern/${P}`, "EXPORT_FILE_TEMPLATE x"]),
  "wrong_secret.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME wrong_secret", `EXPORT_BUCKET_URI ${AT}wrong/`, "EXPORT_FILE_TEMPLATE x"]),
  "unset_secret.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME unset_secret", `EXPORT_BUCKET_URI ${AT}unset/`, "EXPORT_FILE_TEMPLATE x"]),
  "bad_column.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}`, "EXPORT_FILE_TEMPLATE {client}"]),
  // Daily at 02:00 UTC: the scheduler runs it, with the fire time as job_timestamp ({date}).
  "daily.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}daily/`, "EXPORT_FILE_TEMPLATE {date}", "EXPORT_SCHEDULE 0 2 * * *"]),
  // About 2.6 s of ClickHouse time per 65k-row block, 10 blocks: long enough to cancel halfway.
  "slow.pipe": sinkPipe("SELECT number AS n, sleepEachRow(0.00004) AS z FROM numbers(654090)", ["EXPORT_CONNECTION_NAME s3_local", `EXPORT_BUCKET_URI ${AT}slow/`, "EXPORT_FILE_TEMPLATE slow"]),
};

let ws: { id: string; token: string };

beforeAll(async () => {
  ws = await createWorkspace("sinks");
  const res = await deploy(project, "auto_promote=true", ws.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const live = await liveManifest(env, ws.id);
  const events = `${live!.manifest.database}.${live!.manifest.datasources.events!.table}`;
  await testClickHouse().command({
    query: `INSERT INTO ${events} SELECT toDateTime('2026-01-01 00:00:00') + (number % 3) * 86400, ['acme', 'globex'][number % 2 + 1], number FROM numbers(10)`,
  });
});

const csvRows = (n = 10) => Array.from({ length: n }, (_, i) => ({ customer: i % 2 === 0 ? "acme" : "globex", n: i }));

describe("formats and compression", () => {
  it("csv: one file named from the template, with a header row", async () => {
    const done = await sinkRun("csv_plain", ws.token);
    expect(done).toMatchObject({ kind: "sink", status: "done", pipe_name: "csv_plain", statistics: { rows: 10 } });
    expect((await s3Files(`${P}csv/plain`)).map((f) => f.path)).toEqual([`${s3.bucket}/${P}csv/plain.csv`]);
    const [raw] = await rows<{ text: string }>(`SELECT raw_blob AS text FROM ${s3Table(`${s3.bucket}/${P}csv/plain.csv`, "RawBLOB", ", 'raw_blob String'")}`);
    expect(raw!.text.split("\n").slice(0, 3)).toEqual(['"customer","n"', '"acme",0', '"globex",1']);
    expect(await rows(`SELECT customer, n FROM ${s3Table(`${s3.bucket}/${P}csv/plain.csv`, "CSVWithNames")} ORDER BY n`)).toEqual(csvRows());
  });

  it("csv + gzip: the run's {date} in the name, .csv.gz, gzip bytes", async () => {
    const done = await sinkRun("csv_gzip", ws.token);
    expect(done.status).toBe("done");
    const day = done.created_at.slice(0, 10);
    const path = `${s3.bucket}/${P}csv/events_${day}.csv.gz`;
    expect((await s3Files(`${P}csv/events_`)).map((f) => f.path)).toEqual([path]);
    const [magic] = await rows<{ h: string }>(`SELECT hex(substring(raw_blob, 1, 2)) AS h FROM ${s3Table(path, "RawBLOB", ", 'raw_blob String', 'none'")}`);
    expect(magic!.h).toBe("1F8B");
    expect(await rows(`SELECT customer, n FROM ${s3Table(path, "CSVWithNames", ", 'auto', 'gzip'")} ORDER BY n`)).toEqual(csvRows());
  });

  it("csv + snappy: the template's own .csv kept, .snappy added", async () => {
    expect((await sinkRun("csv_snappy", ws.token)).status).toBe("done");
    const path = `${s3.bucket}/${P}csv/snappy.csv.snappy`;
    expect((await s3Files(`${P}csv/snappy`)).map((f) => f.path)).toEqual([path]);
    expect(await rows(`SELECT customer, n FROM ${s3Table(path, "CSVWithNames", ", 'auto', 'snappy'")} ORDER BY n`)).toEqual(csvRows());
  });

  it("ndjson: one JSON object per line, 64-bit integers as numbers", async () => {
    expect((await sinkRun("ndjson", ws.token)).status).toBe("done");
    const path = `${s3.bucket}/${P}ndjson/rows.ndjson`;
    const [raw] = await rows<{ text: string }>(`SELECT raw_blob AS text FROM ${s3Table(path, "RawBLOB", ", 'raw_blob String'")}`);
    const lines = raw!.text.trim().split("\n");
    expect(lines).toHaveLength(10);
    expect(JSON.parse(lines[1]!)).toEqual({ ts: "2026-01-02 00:00:00", customer: "globex", n: 1 });
  });

  it("ndjson + gz: rows.ndjson.gz", async () => {
    expect((await sinkRun("ndjson_gzip", ws.token)).status).toBe("done");
    const path = `${s3.bucket}/${P}ndjson/rows.ndjson.gz`;
    expect(await rows(`SELECT customer, n FROM ${s3Table(path, "JSONEachRow", ", 'auto', 'gzip'")} ORDER BY n`)).toEqual(csvRows());
  });

  it("parquet, read back through ClickHouse with its types; the compression is Parquet's own codec", async () => {
    expect((await sinkRun("parquet", ws.token)).status).toBe("done");
    expect((await sinkRun("parquet_gzip", ws.token)).status).toBe("done");
    for (const [name, codec] of [["all", "UNCOMPRESSED"], ["gz", "GZIP"]] as const) {
      const path = `${s3.bucket}/${P}parquet/${name}.parquet`;
      const [magic] = await rows<{ h: string }>(`SELECT hex(substring(raw_blob, 1, 4)) AS h FROM ${s3Table(path, "RawBLOB", ", 'raw_blob String', 'none'")}`);
      expect(magic!.h).toBe("50415231"); // PAR1
      expect(await rows(`SELECT toTypeName(n) AS t, count() AS c, sum(n) AS s, groupUniqArray(customer) AS who FROM ${s3Table(path, "Parquet")} GROUP BY t`)).toEqual([
        { t: "UInt64", c: 10, s: 45, who: expect.arrayContaining(["acme", "globex"]) },
      ]);
      const [meta] = await rows<{ codecs: string[] }>(`SELECT columns.compression AS codecs FROM ${s3Table(path, "ParquetMetadata")}`);
      expect(new Set(meta!.codecs)).toEqual(new Set([codec]));
    }
  });

  it("gcs: a TYPE gcs connection with HMAC keys writes gs:// through the S3-compatible API", async () => {
    expect((await sinkRun("gcs", ws.token)).status).toBe("done");
    expect(await rows(`SELECT customer, n FROM ${s3Table(`${s3.bucket}/${P}gcs/g.csv`, "CSVWithNames")} ORDER BY n`)).toEqual(csvRows());
  });
});

describe("partitioned templates", () => {
  it("{customer}: one file per value, each with that value's rows", async () => {
    const done = await sinkRun("by_customer", ws.token);
    expect(done).toMatchObject({ status: "done", statistics: { rows: 10 } });
    expect((await s3Files(`${P}by_customer/`)).map((f) => f.path)).toEqual([
      `${s3.bucket}/${P}by_customer/acme/part.ndjson`,
      `${s3.bucket}/${P}by_customer/globex/part.ndjson`,
    ]);
    expect(await rows(`SELECT _file AS f, count() AS c, groupUniqArray(customer) AS who FROM ${s3Table(`${s3.bucket}/${P}by_customer/*/part.ndjson`, "JSONEachRow")} GROUP BY _path, f ORDER BY who`)).toEqual([
      { f: "part.ndjson", c: 5, who: ["acme"] },
      { f: "part.ndjson", c: 5, who: ["globex"] },
    ]);
  });

  it("{ts, '%Y-%m-%d'}: one file per day, hive-style names kept", async () => {
    expect((await sinkRun("by_day", ws.token)).status).toBe("done");
    expect((await s3Files(`${P}by_day/`)).map((f) => f.path)).toEqual(
      ["2026-01-01", "2026-01-02", "2026-01-03"].map((d) => `${s3.bucket}/${P}by_day/day=${d}.csv`),
    );
    expect(await rows(`SELECT _file AS f, count() AS c FROM ${s3Table(`${s3.bucket}/${P}by_day/*.csv`, "CSVWithNames")} GROUP BY f ORDER BY f`)).toEqual([
      { f: "day=2026-01-01.csv", c: 4 },
      { f: "day=2026-01-02.csv", c: 3 },
      { f: "day=2026-01-03.csv", c: 3 },
    ]);
  });

  it("{3}: rows spread over at most three files, every row once", async () => {
    expect((await sinkRun("split", ws.token)).status).toBe("done");
    const files = (await s3Files(`${P}split/`)).map((f) => f.path);
    expect(files.length).toBeGreaterThan(0);
    expect(files.every((f) => /\/split\/part_[012]\.csv$/.test(f))).toBe(true);
    expect(await rows(`SELECT count() AS c, uniqExact(n) AS u FROM ${s3Table(`${s3.bucket}/${P}split/*.csv`, "CSVWithNames")}`)).toEqual([{ c: 10, u: 10 }]);
  });
});

describe("strategies", () => {
  it("truncate overwrites the file of the same name; params come from the request", async () => {
    const path = `${s3.bucket}/${P}strategy/truncated.csv`;
    expect((await sinkRun("truncate", ws.token)).status).toBe("done");
    expect(await rows(`SELECT n FROM ${s3Table(path, "CSVWithNames")} ORDER BY n`)).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    expect((await sinkRun("truncate", ws.token, "upto=5")).status).toBe("done");
    expect((await s3Files(`${P}strategy/truncated`)).map((f) => f.path)).toEqual([path]);
    expect(await rows(`SELECT n FROM ${s3Table(path, "CSVWithNames")} ORDER BY n`)).toEqual([0, 1, 2, 3, 4].map((n) => ({ n })));
  });

  it("new (create_new) never replaces a file: the second run's name gets .1", async () => {
    expect((await sinkRun("create_new", ws.token)).status).toBe("done");
    expect((await sinkRun("create_new", ws.token)).status).toBe("done");
    expect((await s3Files(`${P}strategy/again`)).map((f) => f.path)).toEqual([`${s3.bucket}/${P}strategy/again.1.csv`, `${s3.bucket}/${P}strategy/again.csv`]);
  });

  it("_mode=replace on the request truncates for that run only", async () => {
    expect((await sinkRun("create_new", ws.token, "_mode=replace")).status).toBe("done");
    expect((await s3Files(`${P}strategy/again`)).map((f) => f.path)).toHaveLength(2);
  });
});

describe("bad input: a job in error with a reason to act on, no file, no credential anywhere", () => {
  async function expectNoSecretIn(text: string): Promise<void> {
    for (const secret of [s3.secret, WRONG_SECRET]) expect(text).not.toContain(secret);
  }

  it("a bucket that refuses writes", async () => {
    const done = await sinkRun("read_only", ws.token);
    expect(done.status).toBe("error");
    expect(done.error).toContain(`The sink 'read_only' could not write its files: bucket '${s3.readOnlyBucket}' refused the write (Access Denied)`);
    await expectNoSecretIn(JSON.stringify(done));
  });

  it("a wrong secret: refused by the bucket, and the secret is in no error, job, log or service row", async () => {
    const done = await sinkRun("wrong_secret", ws.token);
    expect(done.status).toBe("error");
    expect(done.error).toContain(`bucket '${s3.bucket}' refused the credentials of connection 'wrong_secret' (S3_ACCESS_KEY and S3_SECRET) (HTTP 403)`);
    await expectNoSecretIn(JSON.stringify(done));
    await expectNoSecretIn(JSON.stringify(await (await api(`/v0/jobs?pipe_name=wrong_secret`, { token: ws.token })).json()));
    expect(await s3Files(`${P}wrong/`)).toEqual([]);
    // The service rows the run left: tinybird.sinks_ops_log and tinybird.jobs_log.
    await vi.waitUntil(async () => (await rows(`SELECT 1 FROM tern_service.jobs_log WHERE job_id = '${done.id}'`)).length > 0, { timeout: 10_000 });
    const logged = await rows(`SELECT * FROM tern_service.sinks_ops_log WHERE job_id = '${done.id}'`);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ result: "error", pipe_name: "wrong_secret", service: "s3", bucket: s3.bucket, path: `${P}wrong/x` });
    await expectNoSecretIn(JSON.stringify(logged));
    await expectNoSecretIn(JSON.stringify(await rows(`SELECT * FROM tern_service.jobs_log WHERE job_id = '${done.id}'`)));
  });

  it("a secret with no value and no default: named, so it can be set", async () => {
    const done = await sinkRun("unset_secret", ws.token);
    expect(done).toMatchObject({ status: "error", error: `connection 'unset_secret' uses secret "NOT_SET_ANYWHERE" with no value and no default` });
  });

  it("a bucket that does not exist", async () => {
    const done = await sinkRun("no_bucket", ws.token);
    expect(done.status).toBe("error");
    expect(done.error).toContain("bucket 'no-such-bucket-tern' does not exist");
  });

  it("a template placeholder that names no column: the job lists the result's columns", async () => {
    const done = await sinkRun("bad_column", ws.token);
    expect(done).toMatchObject({ status: "error", error: "EXPORT_FILE_TEMPLATE: {client} names no column of the sink's result (its columns: customer, n)" });
  });

  it("a missing connection is refused at deploy, with file and line", async () => {
    const other = await createWorkspace("sinks_deploy");
    const res = await deploy({ "events.datasource": EVENTS_DATASOURCE, "s.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME nowhere", `EXPORT_BUCKET_URI ${AT}`, "EXPORT_FILE_TEMPLATE x"]) }, "auto_promote=true", other.token);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("sink node 'export' uses connection 'nowhere', which is not in the project");
  });

  it("unknown pipes are 404, pipes that are not sinks 404, a bad _mode 400, a non-admin token 403", async () => {
    expect((await runSink("nope", ws.token)).status).toBe(404);
    const bad = await runSink("csv_plain", ws.token, "_mode=upsert");
    expect([bad.status, bad.body.error]).toEqual([400, "_mode must be new, truncate, append or replace"]);
    const tokenRes = await api("/v0/tokens?name=reader&scope=PIPES:READ:csv_plain", { method: "POST", token: ws.token });
    const reader = ((await tokenRes.json()) as { token: string }).token;
    expect((await runSink("csv_plain", reader)).status).toBe(403);
  });

  it("a run cancelled halfway: the query is killed, the job is cancelled, no file appears", async () => {
    const started = await runSink("slow", ws.token);
    const id = started.body.id as string;
    await vi.waitUntil(async () => (await job(id, ws.token)).status === "working", { timeout: 20_000, interval: 100 });
    const res = await api(`/v0/jobs/${id}/cancel`, { method: "POST", token: ws.token });
    expect(res.status).toBe(200);
    expect((await ended(id, ws.token)).status).toBe("cancelled");
    await vi.waitUntil(async () => (await rows(`SELECT 1 FROM tern_service.sinks_ops_log WHERE job_id = '${id}'`)).length > 0, { timeout: 15_000 });
    expect(await rows(`SELECT result FROM tern_service.sinks_ops_log WHERE job_id = '${id}'`)).toEqual([{ result: "cancelled" }]);
    expect(await s3Files(`${P}slow/`)).toEqual([]);
  });
});

describe("the runner, called as the jobs runtime calls it", () => {
  it("a truncate run delivered twice (the Worker stopped after the first attempt wrote) leaves one file with the rows once", async () => {
    const platform = platformFor(env, createExecutionContext());
    const catalog = platform.catalog.workspace(ws.id);
    const created = await catalog.beginRun(
      { id: crypto.randomUUID(), kind: "sink", pipe: "truncate", details: { trigger: "request", job_timestamp: new Date().toISOString(), params: '{"upto":"4"}', options: "{}" } },
      { kinds: ["copy", "sink"], maxUnfinished: 10, staleAfterMs: 300_000 },
    );
    const working = (await catalog.startJob(created.id))!;
    const run = (attempt: number) => ({
      record: working, workspaceId: ws.id, queryId: working.id, pipe: "truncate", params: { upto: "4" }, options: {},
      jobTimestamp: working.created_at, trigger: "request" as const, attempt,
    });
    expect(await runSinkJob(platform, run(1), new AbortController().signal)).toMatchObject({ rows: 4 });
    expect(await runSinkJob(platform, run(2), new AbortController().signal)).toMatchObject({ rows: 4 });
    await catalog.endJob(created.id, { status: "done" });
    const path = `${s3.bucket}/${P}strategy/truncated.csv`;
    expect((await s3Files(`${P}strategy/truncated`)).map((f) => f.path)).toEqual([path]);
    expect(await rows(`SELECT count() AS c FROM ${s3Table(path, "CSVWithNames")}`)).toEqual([{ c: 4 }]);
  });
});

describe("EXPORT_SCHEDULE", () => {
  async function tick(iso: string): Promise<void> {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(iso), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
  }

  it("the cron runs a daily sink at its time, once; {date} is the fire time's", async () => {
    await tick("2026-03-04T01:59:00Z"); // first sight of the pipe
    await tick("2026-03-04T02:00:00Z");
    await tick("2026-03-04T02:01:00Z");
    const list = async () => ((await (await api("/v0/jobs?kind=sink&pipe_name=daily", { token: ws.token })).json()) as { jobs: Array<{ id: string }> }).jobs;
    const runs = await list();
    expect(runs).toHaveLength(1);
    expect((await ended(runs[0]!.id, ws.token)).status).toBe("done");
    expect((await s3Files(`${P}daily/`)).map((f) => f.path)).toEqual([`${s3.bucket}/${P}daily/2026-03-04.csv`]);
    expect(await list()).toHaveLength(1);
  });
});

describe("tinybird.sinks_ops_log", () => {
  it("one row per run, readable by the workspace as tinybird.sinks_ops_log", async () => {
    const q = "SELECT pipe_name, result, written_rows, service, format, strategy, files FROM tinybird.sinks_ops_log " +
      "WHERE pipe_name IN ('csv_plain', 'truncate') ORDER BY timestamp LIMIT 2 FORMAT JSON";
    const res = await api(`/v0/sql?q=${encodeURIComponent(q)}`, { token: ws.token });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([
      // With `new`, ClickHouse may have numbered the name: the row does not guess which file it wrote.
      { pipe_name: "csv_plain", result: "ok", written_rows: 10, service: "s3", format: "csv", strategy: "new", files: [] },
      { pipe_name: "truncate", result: "ok", written_rows: 3, service: "s3", format: "csv", strategy: "truncate", files: [`${P}strategy/truncated.csv`] },
    ]);
  });
});
