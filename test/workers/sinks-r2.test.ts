/**
 * Sinks into the Worker's own R2 bucket (`TYPE r2` connection, `r2://tern-sinks/…`),
 * end to end inside workerd: the real local queue runs the job, the real local
 * ClickHouse streams each file's rows, the Worker writes them into miniflare's R2
 * (the SINKS binding) a part at a time. Objects are read back from the binding;
 * Parquet through ClickHouse. A stream that fails midway, a cancel and a wrong
 * bucket leave no object; a workspace's files live under its own folder.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { EVENTS_DATASOURCE, ended, job, rows, runSink, sinkPipe, sinkRun } from "./helpers/sinks.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import { clickhouseFailure, PART_BYTES } from "../../workers/sinks/r2-upload.js";
import { numberedKey } from "../../workers/sinks/write-r2.js";

const R2 = "r2://tern-sinks/exports/";
const SELECT = "SELECT customer, n FROM events ORDER BY n";

const project: Record<string, string> = {
  "events.datasource": EVENTS_DATASOURCE,
  "own_bucket.connection": "TYPE r2\n",
  "r2_csv.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}`, "EXPORT_FILE_TEMPLATE plain", "EXPORT_FORMAT csv"]),
  "r2_ndjson_gzip.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}`, "EXPORT_FILE_TEMPLATE rows_{date}", "EXPORT_FORMAT ndjson", "EXPORT_COMPRESSION gzip"]),
  "r2_parquet.pipe": sinkPipe("SELECT ts, customer, n FROM events", ["EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}`, "EXPORT_FILE_TEMPLATE by/{customer}", "EXPORT_FORMAT parquet", "EXPORT_COMPRESSION snappy"]),
  // About 12.7 MB of CSV: three parts of a multipart upload.
  "r2_big.pipe": sinkPipe("SELECT number AS n, repeat('x', 98) AS pad FROM numbers(120000) ORDER BY n", ["EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}big/`, "EXPORT_FILE_TEMPLATE big"]),
  "r2_new.pipe": sinkPipe("SELECT n FROM events WHERE n < 2", ["EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}`, "EXPORT_FILE_TEMPLATE same.csv"]),
  "r2_truncate.pipe": sinkPipe("%\nSELECT n FROM events WHERE n < {{ UInt64(upto, 3) }} ORDER BY n", [
    "EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}`, "EXPORT_FILE_TEMPLATE trunc", "EXPORT_STRATEGY truncate",
  ]),
  "r2_other_bucket.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME own_bucket", "EXPORT_BUCKET_URI r2://someone-elses/x/", "EXPORT_FILE_TEMPLATE x"]),
  "r2_snappy_csv.pipe": sinkPipe(SELECT, ["EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}`, "EXPORT_FILE_TEMPLATE s", "EXPORT_COMPRESSION snappy"]),
  // The row count prunes `t`, so the listing passes; the stream fails at row 250,000, after ~25 MB (five parts).
  "r2_fails_midway.pipe": sinkPipe("SELECT number AS n, repeat('x', 98) AS pad, throwIf(number = 250000) AS t FROM numbers(300000)", [
    "EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}midway/`, "EXPORT_FILE_TEMPLATE f",
  ]),
  // Each 65k-row block takes ClickHouse ~2.6 s (the count prunes the sleep).
  "r2_slow.pipe": sinkPipe("SELECT number AS n, repeat('x', 98) AS pad, sleepEachRow(0.00004) AS z FROM numbers(654090)", [
    "EXPORT_CONNECTION_NAME own_bucket", `EXPORT_BUCKET_URI ${R2}slow/`, "EXPORT_FILE_TEMPLATE slow",
  ]),
};

let ws: { id: string; token: string };
let root: string;

async function keys(prefix: string): Promise<string[]> {
  return (await env.SINKS.list({ prefix: root + prefix })).objects.map((o) => o.key.slice(root.length)).sort();
}

async function text(key: string): Promise<string> {
  const object = await env.SINKS.get(root + key);
  if (!object) throw new Error(`no R2 object ${root + key}`);
  return object.text();
}

async function lineCount(key: string): Promise<number> {
  const object = await env.SINKS.get(root + key);
  let lines = 0;
  for await (const chunk of object!.body as unknown as AsyncIterable<Uint8Array>) for (const b of chunk) if (b === 10) lines++;
  return lines;
}

beforeAll(async () => {
  ws = await createWorkspace("sinks_r2");
  root = `sinks/${ws.id}/`;
  const res = await deploy(project, "auto_promote=true", ws.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const live = await liveManifest(env, ws.id);
  const events = `${live!.manifest.database}.${live!.manifest.datasources.events!.table}`;
  await testClickHouse().command({
    query: `INSERT INTO ${events} SELECT toDateTime('2026-01-01 00:00:00') + (number % 3) * 86400, ['acme', 'globex'][number % 2 + 1], number FROM numbers(10)`,
  });
});

describe("R2 sinks write into the SINKS binding", () => {
  it("csv: one object under the workspace's folder, with the rows and a header", async () => {
    const done = await sinkRun("r2_csv", ws.token);
    expect(done).toMatchObject({ status: "done", statistics: { rows: 10, files: 1, parts: 0 } });
    expect(await keys("exports/plain")).toEqual(["exports/plain.csv"]);
    const lines = (await text("exports/plain.csv")).trim().split("\n");
    expect(lines).toEqual(['"customer","n"', ...Array.from({ length: 10 }, (_, i) => `"${i % 2 === 0 ? "acme" : "globex"}",${i}`)]);
    const object = await env.SINKS.head(`${root}exports/plain.csv`);
    expect(object?.httpMetadata?.contentType).toBe("text/csv");
  });

  it("ndjson + gzip: compressed by the Worker as it streams, the run's {date} in the name", async () => {
    const done = await sinkRun("r2_ndjson_gzip", ws.token);
    expect(done.status).toBe("done");
    const key = `exports/rows_${done.created_at.slice(0, 10)}.ndjson.gz`;
    expect(await keys("exports/rows_")).toEqual([key]);
    const object = await env.SINKS.get(root + key);
    const plain = await new Response(object!.body.pipeThrough(new DecompressionStream("gzip"))).text();
    const lines = plain.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(10);
    expect(lines[3]).toEqual({ customer: "globex", n: 3 });
  });

  it("parquet by {customer}: one object per value, read back through ClickHouse", async () => {
    const done = await sinkRun("r2_parquet", ws.token);
    expect(done).toMatchObject({ status: "done", statistics: { rows: 10, files: 2 } });
    expect(await keys("exports/by/")).toEqual(["exports/by/acme.parquet", "exports/by/globex.parquet"]);
    const ch = testClickHouse();
    const table = `default.r2_parquet_${crypto.randomUUID().replace(/-/g, "").slice(0, 8)}`;
    await ch.command({ query: `CREATE TABLE ${table} (ts DateTime, customer String, n UInt64) ENGINE = Memory` });
    try {
      for (const key of ["exports/by/acme.parquet", "exports/by/globex.parquet"]) {
        const bytes = await (await env.SINKS.get(root + key))!.arrayBuffer();
        const res = await fetch(`${env.CLICKHOUSE_URL}/?query=${encodeURIComponent(`INSERT INTO ${table} FORMAT Parquet`)}`, {
          method: "POST",
          body: bytes,
          headers: { authorization: `Basic ${btoa(`${env.CLICKHOUSE_USER}:${env.CLICKHOUSE_PASSWORD}`)}` },
        });
        expect(res.status, await res.text()).toBe(200);
      }
      expect(await rows(`SELECT customer, count() AS c, sum(n) AS s, min(ts) AS first FROM ${table} GROUP BY customer ORDER BY customer`)).toEqual([
        { customer: "acme", c: 5, s: 20, first: "2026-01-01 00:00:00" },
        { customer: "globex", c: 5, s: 25, first: "2026-01-01 00:00:00" },
      ]);
    } finally {
      await ch.command({ query: `DROP TABLE IF EXISTS ${table}` });
    }
  });

  it("a file larger than a part goes up as a multipart upload, whole and in order", async () => {
    const done = await sinkRun("r2_big", ws.token, undefined);
    expect(done).toMatchObject({ status: "done", statistics: { rows: 120000, files: 1, parts: 3 } });
    const object = await env.SINKS.head(`${root}exports/big/big.csv`);
    expect(object!.size).toBeGreaterThan(2 * PART_BYTES);
    expect(object!.size).toBe(Number(done.statistics.bytes));
    expect(await lineCount("exports/big/big.csv")).toBe(120001);
    const tail = (await text("exports/big/big.csv")).trimEnd().split("\n").at(-1)!;
    expect(tail).toBe(`119999,"${"x".repeat(98)}"`);
  });

  it("new never replaces an object: the second run writes same.1.csv", async () => {
    expect((await sinkRun("r2_new", ws.token)).status).toBe("done");
    expect((await sinkRun("r2_new", ws.token)).status).toBe("done");
    expect(await keys("exports/same")).toEqual(["exports/same.1.csv", "exports/same.csv"]);
  });

  it("truncate overwrites the object of the same name, with the request's params", async () => {
    expect((await sinkRun("r2_truncate", ws.token)).status).toBe("done");
    expect((await sinkRun("r2_truncate", ws.token, "upto=5")).status).toBe("done");
    expect(await keys("exports/trunc")).toEqual(["exports/trunc.csv"]);
    expect((await text("exports/trunc.csv")).trim().split("\n")).toEqual(['"n"', "0", "1", "2", "3", "4"]);
  });
});

describe("R2 bad input: a job in error or cancelled, and no object", () => {
  it("a stream that fails midway (about 25 MB in, past several parts) is aborted: the job has ClickHouse's reason", async () => {
    const done = await sinkRun("r2_fails_midway", ws.token);
    expect(done.status).toBe("error");
    // ClickHouse's reason comes as the stream's closing exception block ("Code: 395. DB::Exception: …")
    // or, when the failing block is reached before the first bytes are sent (a loaded machine), as
    // the error answer the client parses (the message alone): either way it is ClickHouse's text.
    expect(done.error).toMatch(/^The sink 'r2_fails_midway' failed in ClickHouse: (Code: 395\. DB::Exception: )?Value passed to 'throwIf' function is non-zero/);
    expect(await keys("exports/midway/")).toEqual([]);
  });

  it("a bucket other than the binding's is refused, naming the one there is", async () => {
    const done = await sinkRun("r2_other_bucket", ws.token);
    expect(done).toMatchObject({
      status: "error",
      error: "EXPORT_BUCKET_URI names R2 bucket 'someone-elses', but this Worker's R2 bucket (binding SINKS) is 'tern-sinks': write r2://tern-sinks/…",
    });
  });

  it("snappy csv is written by ClickHouse to S3 and GCS only", async () => {
    const done = await sinkRun("r2_snappy_csv", ws.token);
    expect(done.error).toBe("EXPORT_COMPRESSION snappy is written by ClickHouse to S3 and GCS buckets only; an R2 sink of csv files takes gzip or none");
  });

  it("a run cancelled halfway: the stream is stopped, the upload aborted, the job cancelled", async () => {
    const id = (await runSink("r2_slow", ws.token)).body.id as string;
    await vi.waitUntil(async () => (await job(id, ws.token)).status === "working", { timeout: 20_000, interval: 100 });
    expect((await api(`/v0/jobs/${id}/cancel`, { method: "POST", token: ws.token })).status).toBe(200);
    expect((await ended(id, ws.token)).status).toBe("cancelled");
    await vi.waitUntil(async () => (await rows(`SELECT 1 FROM tern_service.sinks_ops_log WHERE job_id = '${id}'`)).length > 0, { timeout: 30_000 });
    expect(await rows(`SELECT result, files FROM tern_service.sinks_ops_log WHERE job_id = '${id}'`)).toEqual([{ result: "cancelled", files: [] }]);
    expect(await keys("exports/slow/")).toEqual([]);
  });
});

describe("R2 helpers", () => {
  it.each([
    ["a/b.csv.gz", 1, "a/b.1.csv.gz"],
    ["a.b/c", 2, "a.b/c.2"],
    ["x.csv", 3, "x.3.csv"],
  ])("numberedKey(%s, %i) = %s (as ClickHouse numbers new files)", (key, n, expected) => {
    expect(numberedKey(key, n)).toBe(expected);
  });

  it("finds ClickHouse's exception block at the end of a body, by its tag or as a last line", () => {
    const tag = "f0499ffad660e1bd";
    const block = `1,x\r\n__exception__\r\n${tag}\nCode: 395. DB::Exception: boom. (X)\n36 ${tag}\r\n__exception__\r\n`;
    expect(clickhouseFailure(block, tag)).toBe("Code: 395. DB::Exception: boom. (X)");
    expect(clickhouseFailure("1,x\n2,y\n", tag)).toBeUndefined();
    expect(clickhouseFailure("1,x\nCode: 241. DB::Exception: Memory limit exceeded\n", undefined)).toBe("Code: 241. DB::Exception: Memory limit exceeded");
  });
});
