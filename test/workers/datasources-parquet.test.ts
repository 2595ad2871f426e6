// Parquet files into datasources through `POST /v0/datasources`: uploaded as
// multipart parts (as Tinybird's clients send them) and matched to the schema
// by column name. The Parquet bytes are made by the test's ClickHouse
// (`SELECT … FORMAT Parquet`); rows are checked by querying ClickHouse.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import { mapParquetColumns, parquetColumnNames, parquetTableFunction, toBase64 } from "../../workers/write/parquet.js";

const SCORES = [
  "SCHEMA >",
  "    `id` UInt32,",
  "    `name` String,",
  "    `score` Nullable(Float32),",
  "    `day` Date DEFAULT toDate('2026-01-01'),",
  "    `tags` Array(String)",
  "",
  'ENGINE "MergeTree"',
  'ENGINE_SORTING_KEY "id"',
  "",
].join("\n");

// Tinybird's Parquet datasources carry JSONPaths: `$.field` names the file's column.
const EVENTS = [
  "SCHEMA >",
  "    `event_id` UInt64 `json:$.id`,",
  "    `kind` LowCardinality(String) `json:$.kind`,",
  "    `at` DateTime `json:$.at`",
  "",
  'ENGINE "MergeTree"',
  'ENGINE_SORTING_KEY "event_id"',
  "",
].join("\n");

/** Parquet bytes of a SELECT, written by ClickHouse. */
async function parquet(select: string, settings: Record<string, string | number> = {}): Promise<Uint8Array> {
  const res = await testClickHouse().exec({ query: `${select} FORMAT Parquet`, clickhouse_settings: settings });
  return new Uint8Array(await new Response(res.stream).arrayBuffer());
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
}

async function rowsOf(sql: string): Promise<unknown[]> {
  const rs = await testClickHouse().query({ query: sql, format: "JSONEachRow" });
  return rs.json();
}

let w: { id: string; token: string };
let scores: string;
let events: string;

beforeAll(async () => {
  w = await createWorkspace("parquet");
  const deployed = await deploy({ "scores.datasource": SCORES, "events.datasource": EVENTS }, "auto_promote=true", w.token);
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
  const live = (await liveManifest(env, w.id))!.manifest;
  scores = `${live.database}.${live.datasources.scores!.table}`;
  events = `${live.database}.${live.datasources.events!.table}`;
});

function upload(bytes: Uint8Array, filename: string, opts: { query?: string; field?: string; requestId?: string; ds?: string } = {}) {
  const form = new FormData();
  form.append(opts.field ?? "csv", new File([bytes], filename, { type: "application/octet-stream" }));
  return api(`/v0/datasources?name=${opts.ds ?? "scores"}${opts.query ?? "&mode=append"}`, {
    method: "POST",
    token: w.token,
    body: form,
    ...(opts.requestId ? { headers: { "x-request-id": opts.requestId } } : {}),
  });
}

async function job(id: string): Promise<{ status: string; error?: string; statistics?: Record<string, number> }> {
  return (await api(`/v0/jobs/${id}`, { token: w.token })).json();
}

/** Every row of `scores`. */
const all = () => rowsOf(`SELECT id, name, score, day, tags FROM ${scores} ORDER BY id`);

describe("uploading Parquet", () => {
  it("appends an uploaded file: exactly its rows land, and the count is the file's", async () => {
    await testClickHouse().command({ query: `INSERT INTO ${scores} (id, name, tags) VALUES (1, 'already', [])` });
    const file = await parquet(
      "SELECT toUInt32(number + 10) AS id, concat('n', toString(number)) AS name, if(number = 1, NULL, toFloat32(number) / 2) AS score, toDate('2026-05-01') + number AS day, [toString(number)] AS tags FROM numbers(3)",
    );
    const res = await upload(file, "scores.parquet", { requestId: "parquet-append-1" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ status: "done", successful_rows: 3, quarantined_rows: 0, import_id: "parquet-append-1", datasource: { name: "scores" } });
    expect(await all()).toEqual([
      { id: 1, name: "already", score: null, day: "2026-01-01", tags: [] },
      { id: 10, name: "n0", score: 0, day: "2026-05-01", tags: ["0"] },
      { id: 11, name: "n1", score: null, day: "2026-05-02", tags: ["1"] },
      { id: 12, name: "n2", score: 1, day: "2026-05-03", tags: ["2"] },
    ]);
    expect(await job("parquet-append-1")).toMatchObject({ status: "done", statistics: { rows: 3, quarantine_rows: 0, bytes: file.byteLength } });
    // No stage table is left behind.
    const [database] = scores.split(".");
    expect(await rowsOf(`SELECT name FROM system.tables WHERE database = '${database}' AND name LIKE '%parquet%'`)).toEqual([]);
  });

  it("matches columns by name, not position; missing Nullable and DEFAULT columns get NULL and the default", async () => {
    await testClickHouse().command({ query: `TRUNCATE TABLE ${scores}` });
    // Columns in another order than the schema, no `score` and no `day`, and an extra column.
    const file = await parquet("SELECT ['x', 'y'] AS tags, 'by-name' AS name, 'ignored' AS extra, toUInt32(7) AS id");
    const res = await upload(file, "reordered.parquet");
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ successful_rows: 1 });
    expect(await all()).toEqual([{ id: 7, name: "by-name", score: null, day: "2026-01-01", tags: ["x", "y"] }]);
  });

  it("replaces the contents with an uploaded file (part 'parquet')", async () => {
    const file = await parquet("SELECT toUInt32(100 + number) AS id, 'r' AS name, 1.5 AS score, toDate('2026-07-01') AS day, [] :: Array(String) AS tags FROM numbers(2)");
    const res = await upload(file, "r.parquet", { query: "&mode=replace", field: "parquet" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ status: "done", successful_rows: 2 });
    expect(await all()).toEqual([
      { id: 100, name: "r", score: 1.5, day: "2026-07-01", tags: [] },
      { id: 101, name: "r", score: 1.5, day: "2026-07-01", tags: [] },
    ]);
  });

  it("takes a gzipped file (.parquet.gz)", async () => {
    const file = await gzip(await parquet("SELECT toUInt32(200 + number) AS id, 'gz' AS name, [] :: Array(String) AS tags FROM numbers(5)"));
    expect([file[0], file[1]]).toEqual([0x1f, 0x8b]);
    const res = await upload(file, "rows.parquet.gz");
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ successful_rows: 5 });
    expect(await rowsOf(`SELECT count() AS n FROM ${scores} WHERE name = 'gz'`)).toEqual([{ n: 5 }]);
  });

  it("knows a Parquet file by format=parquet, or by its bytes, whatever the part and file are named", async () => {
    const file = await parquet("SELECT toUInt32(300) AS id, 'fmt' AS name, [] :: Array(String) AS tags");
    expect((await (await upload(file, "blob", { field: "file", query: "&mode=append&format=parquet" })).json())).toMatchObject({ successful_rows: 1 });
    expect((await (await upload(file, "upload", { field: "csv" })).json())).toMatchObject({ successful_rows: 1 });
    expect(await rowsOf(`SELECT count() AS n FROM ${scores} WHERE name = 'fmt'`)).toEqual([{ n: 2 }]);
  });

  it("refuses a file missing a column that is neither Nullable nor with a DEFAULT: 400, job in error, no rows", async () => {
    const before = await all();
    const file = await parquet("SELECT toUInt32(400) AS id, ['t'] AS tags"); // no `name`
    const res = await upload(file, "missing.parquet", { requestId: "parquet-missing-1" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body).toEqual({
      error: "The Parquet file has no column 'name' of 'scores', which is neither Nullable nor with a DEFAULT. Columns in the file: id, tags",
    });
    expect(await job("parquet-missing-1")).toMatchObject({ status: "error", error: body.error });
    expect(await all()).toEqual(before);
  });

  it("refuses a file whose values do not convert: 400 with ClickHouse's error, nothing half-landed", async () => {
    const before = await all();
    // 5,000 rows in row groups of 500; only the very last `id` is not a number.
    const file = await parquet(
      "SELECT if(number = 4999, 'not-a-number', toString(500 + number)) AS id, 'bad' AS name, [] :: Array(String) AS tags FROM numbers(5000)",
      { output_format_parquet_row_group_size: 500 },
    );
    const res = await upload(file, "bad-type.parquet", { requestId: "parquet-badtype-1" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/^\[Error\] .*not-a-number.*UInt32/);
    expect(await job("parquet-badtype-1")).toMatchObject({ status: "error" });
    expect(await all()).toEqual(before);
    // A replace that fails leaves the live contents as they were.
    const replaced = await upload(file, "bad-type.parquet", { query: "&mode=replace" });
    expect(replaced.status).toBe(400);
    expect(await all()).toEqual(before);
  });

  it("takes a file far over ClickHouse's default max_query_size (256 KiB) once inlined", async () => {
    await testClickHouse().command({ query: `TRUNCATE TABLE ${scores}` });
    const file = await parquet("SELECT toUInt32(number) AS id, randomPrintableASCII(40) AS name, [] :: Array(String) AS tags FROM numbers(100000)");
    expect(file.byteLength).toBeGreaterThan(2_000_000);
    const res = await upload(file, "big.parquet");
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ successful_rows: 100_000 });
    expect(await rowsOf(`SELECT count() AS n, uniqExact(id) AS ids FROM ${scores}`)).toEqual([{ n: 100_000, ids: 100_000 }]);
    await testClickHouse().command({ query: `TRUNCATE TABLE ${scores}` });
  });

  it("refuses bytes that are not Parquet with a 400", async () => {
    const res = await upload(new TextEncoder().encode("id,name\n1,a\n"), "fake.parquet");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^\[Error\] /);
  });

  it("reads the file's columns by the schema's JSONPaths ($.field)", async () => {
    const file = await parquet("SELECT toDateTime('2026-02-03 04:05:06', 'UTC') AS at, 'click' AS kind, toUInt64(number + 1) AS id FROM numbers(2)");
    const res = await upload(file, "events.parquet", { ds: "events" });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ successful_rows: 2 });
    expect(await rowsOf(`SELECT event_id, kind, toString(at, 'UTC') AS at FROM ${events} ORDER BY event_id`)).toEqual([
      { event_id: 1, kind: "click", at: "2026-02-03 04:05:06" },
      { event_id: 2, kind: "click", at: "2026-02-03 04:05:06" },
    ]);
  });
});

describe("Parquet helpers", () => {
  it("reads the top-level column names from the footer, nested types included", async () => {
    const file = await parquet(
      "SELECT 1 AS a, tuple(1, 'x') :: Tuple(p UInt8, q String) AS t, [[1, 2]] AS arr, map('k', 1) AS m, CAST(NULL, 'Nullable(String)') AS `odd name`, 'é' AS `ünï`",
    );
    expect(parquetColumnNames(file)).toEqual(["a", "t", "arr", "m", "odd name", "ünï"]);
    expect(parquetColumnNames(new TextEncoder().encode("PAR1 not really PAR1"))).toBeNull();
    expect(parquetColumnNames(new Uint8Array(0))).toBeNull();
  });

  it("encodes base64 as btoa does, across chunk boundaries", () => {
    const bytes = new Uint8Array(100_001).map((_, i) => (i * 7919) % 256);
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    expect(toBase64(bytes)).toBe(btoa(binary));
    expect(toBase64(new Uint8Array(0))).toBe("");
  });

  it("quotes names in the structure and the URL", () => {
    const ds = {
      name: "q",
      file: { columns: [{ name: "we`ird'", type: "String", nullable: false }, { name: "n", type: "Nullable(UInt8)", nullable: true }] },
    } as unknown as Parameters<typeof mapParquetColumns>[0];
    const mapping = mapParquetColumns(ds, ["we`ird'", "n"]);
    expect(mapping.structure).toBe("`we\\`ird'` String, `n` Nullable(UInt8)");
    expect(parquetTableFunction({ url: "https://x.test/a'b.parquet" }, mapping.structure)).toBe(
      "url('https://x.test/a\\'b.parquet', 'Parquet', '`we\\\\`ird\\'` String, `n` Nullable(UInt8)')",
    );
  });
});
