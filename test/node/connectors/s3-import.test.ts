/**
 * S3 imports (shared/connectors/s3-import.ts) against the real local S3 server
 * and a local ClickHouse of this file's own (so it can be restarted): 50 files
 * by glob, each loaded once; a file that is not the declared format recorded
 * with its error while the others load; runs repeated and ClickHouse restarted:
 * nothing loaded twice; a file's insert repeated (a crash between insert and
 * record) is deduplicated; a new file is picked up by the next run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnLocalClickHouse, type SpawnedClickHouse } from "../../../clickhouse-local/spawn.js";
import {
  importDedupSettingSql, importFilesTableSql, listImportFiles, loadImportFile, runS3Import, type ImportExecutor, type S3ImportSpec,
} from "../../../shared/connectors/s3-import.js";

const DB = "ws_s3import";
let dir: string;
let server: SpawnedClickHouse;
let ch: ClickHouseClient;
const prefix = `s3-import-${Date.now()}`;

const exec: ImportExecutor = {
  async query(sql, settings) {
    return (await ch.query({ query: sql, format: "TabSeparated", ...(settings ? { clickhouse_settings: settings as never } : {}) })).text();
  },
  async command(sql, settings) {
    await ch.command({ query: sql, clickhouse_settings: settings as never });
  },
};

function spec(format: "ndjson" | "csv", glob: string, table: string): S3ImportSpec {
  const s3 = inject("s3Url");
  return {
    database: DB, table, format,
    columns: [{ name: "id", type: "UInt64" }, { name: "file", type: "String" }, { name: "amount", type: "Float64" }],
    url: `${s3}/${inject("s3Bucket")}/${prefix}/${glob}`, base: s3, accessKey: inject("s3AccessKey"), secret: inject("s3SecretKey"),
  };
}
async function scalar(sql: string) {
  return (await exec.query(sql)).trim();
}
async function put(key: string, format: string, select: string) {
  const s3 = inject("s3Url");
  await ch.command({
    query: `INSERT INTO FUNCTION s3('${s3}/${inject("s3Bucket")}/${prefix}/${key}', '${inject("s3AccessKey")}', '${inject("s3SecretKey")}', '${format}', 'id UInt64, file String, amount Float64') ${select}`,
    clickhouse_settings: { s3_truncate_on_insert: 1 },
  });
}
async function rawPut(key: string, body: string) {
  // Not the declared format: written through ClickHouse as one raw line.
  const s3 = inject("s3Url");
  await ch.command({
    query: `INSERT INTO FUNCTION s3('${s3}/${inject("s3Bucket")}/${prefix}/${key}', '${inject("s3AccessKey")}', '${inject("s3SecretKey")}', 'RawBLOB', 'b String') SELECT '${body}'`,
    clickhouse_settings: { s3_truncate_on_insert: 1 },
  });
}
async function startClickHouse() {
  server = await spawnLocalClickHouse({ port: server?.port ?? 0, dataDir: join(dir, "clickhouse"), user: "tern", password: "s3-import-password" });
  ch = createClient({ url: server.url, username: "tern", password: "s3-import-password", request_timeout: 120_000 });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tern-s3-import-"));
  await startClickHouse();
  await ch.command({ query: `CREATE DATABASE ${DB}` });
  for (const t of ["events", "sales", "lines"]) {
    await ch.command({ query: `CREATE TABLE ${DB}.${t} (id UInt64, file String, amount Float64) ENGINE = MergeTree ORDER BY id` });
    await ch.command({ query: importDedupSettingSql(DB, t) });
    await ch.command({ query: importFilesTableSql(DB, t) });
  }
  // The quarantine of `lines` (its columns as text, as the deployment makes them).
  await ch.command({
    query: `CREATE TABLE ${DB}.lines_quarantine (c__error_column Array(String), c__error Array(String), c__import_id Nullable(String), id Nullable(String), file Nullable(String), amount Nullable(String), insertion_date DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY tuple()`,
  });
  await ch.command({ query: importDedupSettingSql(DB, "lines_quarantine") });
}, 120_000);

afterAll(async () => {
  await ch?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe("S3 imports on the local engine and the local S3 server", () => {
  it("loads 50 NDJSON files by glob once each, records a file that is not NDJSON with its error, and loads nothing twice across runs and a ClickHouse restart", async () => {
    for (let f = 0; f < 50; f++) {
      await put(`events/part-${String(f).padStart(3, "0")}.ndjson`, "JSONEachRow", `SELECT number + ${f * 1000}, 'part-${f}', number / 10 FROM numbers(200)`);
    }
    await rawPut("events/zz-broken.ndjson", "this is not json");
    await put("events/ignored.csv", "CSVWithNames", "SELECT 1, 'x', 1"); // outside the glob

    const s = spec("ndjson", "events/*.ndjson", "events");
    expect((await listImportFiles(exec, s)).length).toBe(51);
    const first = await runS3Import(exec, s);
    expect(first.length).toBe(51);
    expect(first.filter((r) => r.status === "loaded").map((r) => r.rows)).toEqual(Array(50).fill(200));
    const broken = first.find((r) => r.path.endsWith("zz-broken.ndjson"))!;
    expect(broken.status).toBe("error");
    expect(broken.error).toMatch(/Cannot parse input|CANNOT_PARSE|INCORRECT_DATA/);
    expect(await scalar(`SELECT count(), uniqExact(id), uniqExact(file) FROM ${DB}.events`)).toBe("10000\t10000\t50");

    // Again: nothing new, nothing loaded, the broken file is not retried (same ETag).
    expect(await runS3Import(exec, s)).toEqual([]);
    await ch.close();
    await server.stop();
    await startClickHouse();
    expect(await runS3Import(exec, s)).toEqual([]);
    expect(await scalar(`SELECT count(), uniqExact(id) FROM ${DB}.events`)).toBe("10000\t10000");

    // A new file is picked up by the next run; a repaired file (new ETag) is loaded.
    await put("events/part-050.ndjson", "JSONEachRow", "SELECT number + 50000, 'part-50', 1 FROM numbers(200)");
    await put("events/zz-broken.ndjson", "JSONEachRow", "SELECT number + 60000, 'repaired', 1 FROM numbers(10)");
    const third = await runS3Import(exec, s);
    expect(third.map((r) => [r.path.split("/").pop(), r.status, r.rows]).sort()).toEqual([["part-050.ndjson", "loaded", 200], ["zz-broken.ndjson", "loaded", 10]]);
    expect(await scalar(`SELECT count(), uniqExact(id) FROM ${DB}.events`)).toBe("10210\t10210");
  });

  it("a file's insert repeated after a crash between insert and record is dropped as a duplicate", async () => {
    const s = spec("ndjson", "events/part-00*.ndjson", "events");
    const [file] = await listImportFiles(exec, s);
    const before = await scalar(`SELECT count() FROM ${DB}.events`);
    await loadImportFile(exec, s, file!);
    expect(await scalar(`SELECT count() FROM ${DB}.events`)).toBe(before);
  });

  it("CSV with a header, and a CSV file with a bad value recorded with its error", async () => {
    await put("sales/a.csv", "CSVWithNames", "SELECT number, 'a', number * 2 FROM numbers(30)");
    await put("sales/b.csv", "CSVWithNames", "SELECT number + 100, 'b', 1 FROM numbers(20)");
    await rawPut("sales/c.csv", "id,file,amount\\nnot-a-number,c,1");
    const results = await runS3Import(exec, spec("csv", "sales/*.csv", "sales"));
    expect(results.map((r) => [r.path.split("/").pop(), r.status, r.rows])).toEqual([["a.csv", "loaded", 30], ["b.csv", "loaded", 20], ["c.csv", "error", 0]]);
    expect(results[2]!.error).toContain("not-a-number");
    expect(await scalar(`SELECT count() FROM ${DB}.sales`)).toBe("50");
    expect(await scalar(`SELECT status, rows, error != '' FROM ${DB}.sales_import_files FINAL ORDER BY path`)).toBe("loaded\t30\t0\nloaded\t20\t0\nerror\t0\t1");
  });

  it("NDJSON line by line with a quarantine: fitting lines land, the others are quarantined, and a repeated load (a crash before the record) writes neither twice", async () => {
    await rawPut("lines/a.ndjson", '{"id":1,"file":"a","amount":1}\\n{"id":2,"file":"a","amount":"x"}\\n\\n{"id":3,"file":"a"}\\nnope');
    const s: S3ImportSpec = { ...spec("ndjson", "lines/*.ndjson", "lines"), quarantineTable: "lines_quarantine", importId: "job-1" };
    const [result] = await runS3Import(exec, s);
    expect(result).toMatchObject({ status: "loaded", rows: 2, quarantined: 2, error: "value 'x' on column 'amount' is not Float64" });
    const [file] = await listImportFiles(exec, s);
    expect(await loadImportFile(exec, s, file!)).toEqual({ rows: 2, quarantined: 2, firstReason: "value 'x' on column 'amount' is not Float64" });
    expect(await scalar(`SELECT groupArray(id), groupArray(amount) FROM (SELECT id, amount FROM ${DB}.lines ORDER BY id)`)).toBe("[1,3]\t[1,0]");
    expect(await scalar(`SELECT c__error, c__import_id, id FROM ${DB}.lines_quarantine ORDER BY c__error`)).toBe(
      "['the message value is not a JSON object']\tjob-1\t\\N\n['value \\'x\\' on column \\'amount\\' is not Float64']\tjob-1\t2",
    );
  });
});
