import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";

const ORDERS = `DESCRIPTION >
    Orders placed in the shop

SCHEMA >
    \`order_id\` UInt64 \`json:$.id\`,
    \`country\` LowCardinality(String) \`json:$.country\`,
    \`amount\` Float64 \`json:$.amount\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "country, order_id"
`;

let ws: { id: string; token: string };
let table: string;

async function count(): Promise<number> {
  const rs = await testClickHouse().query({ query: `SELECT count() AS c FROM ${table}`, format: "JSONEachRow" });
  return Number(((await rs.json()) as Array<{ c: string }>)[0]!.c);
}

beforeAll(async () => {
  ws = await createWorkspace("dsapi");
  const res = await deploy({ "orders.datasource": ORDERS }, "auto_promote=true", ws.token);
  expect(res.status).toBe(200);
  const live = await liveManifest(env, ws.id);
  table = `${live!.manifest.database}.${live!.manifest.datasources.orders!.table}`;
  await testClickHouse().command({
    query: `INSERT INTO ${table} SELECT number, ['ES', 'FR', 'DE'][number % 3 + 1], number * 1.5 FROM numbers(30)`,
  });
});

describe("Data Sources API", () => {
  it("lists the live datasources with schema, engine and row count", async () => {
    const res = await api("/v0/datasources", { token: ws.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { datasources: Array<Record<string, any>> };
    expect(body.datasources).toHaveLength(1);
    expect(body.datasources[0]).toMatchObject({
      name: "orders",
      description: "Orders placed in the shop",
      engine: { engine: "MergeTree", sorting_key: "country, order_id" },
      statistics: { row_count: 30 },
    });
    expect(body.datasources[0]!.schema.columns[0]).toEqual({
      name: "order_id", type: "UInt64", nullable: false, default_value: null, jsonpath: "$.id", codec: null,
    });
  });

  it("gives the datafile text with .datasource", async () => {
    const res = await api("/v0/datasources/orders.datasource", { token: ws.token });
    expect(await res.text()).toBe(ORDERS);
  });

  it("answers 404 for an unknown datasource", async () => {
    const res = await api("/v0/datasources/nope", { token: ws.token });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Data Source 'nope' not found" });
  });

  it("counts the rows a delete would remove with dry_run", async () => {
    const res = await api("/v0/datasources/orders/delete", {
      method: "POST",
      token: ws.token,
      body: new URLSearchParams({ delete_condition: "country = 'ES'", dry_run: "true" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ rows_to_be_deleted: 10 });
  });

  it("refuses a delete condition that reads another table", async () => {
    const res = await api("/v0/datasources/orders/delete", {
      method: "POST",
      token: ws.token,
      body: new URLSearchParams({ delete_condition: "order_id IN (SELECT number FROM system.numbers LIMIT 5)" }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^Invalid delete_condition: /);
  });

  it("deletes rows in a job that reports done", async () => {
    const res = await api("/v0/datasources/orders/delete", {
      method: "POST",
      token: ws.token,
      body: new URLSearchParams({ delete_condition: "country = 'FR'" }),
    });
    expect(res.status).toBe(200);
    const job = (await res.json()) as { id: string; status: string; job_url: string; delete_id: string };
    expect(job.delete_id).toBe(job.id);
    await vi.waitUntil(async () => {
      const j = (await (await api(`/v0/jobs/${job.id}`, { token: ws.token })).json()) as { status: string };
      return j.status === "done";
    }, { timeout: 10_000, interval: 100 });
    expect(await count()).toBe(20);
    const list = (await (await api("/v0/jobs", { token: ws.token })).json()) as { jobs: Array<{ id: string; kind: string; statistics: Record<string, number> }> };
    expect(list.jobs.find((j) => j.id === job.id)).toMatchObject({ kind: "delete_data", statistics: { rows_affected: 10 } });
  });

  it("truncates", async () => {
    const res = await api("/v0/datasources/orders/truncate", { method: "POST", token: ws.token });
    expect(res.status).toBe(200);
    expect(await count()).toBe(0);
  });
});

describe("appending files", () => {
  const CSV_DS = "SCHEMA >\n    `id` UInt32,\n    `name` String,\n    `score` Nullable(Float32),\n    `day` Date DEFAULT toDate('2026-01-01')\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
  let w: { id: string; token: string };
  let t: { table: string; quarantine: string };
  beforeAll(async () => {
    w = await createWorkspace("append");
    expect((await deploy({ "scores.datasource": CSV_DS }, "auto_promote=true", w.token)).status).toBe(200);
    const live = await liveManifest(env, w.id);
    const ds = live!.manifest.datasources.scores!;
    t = { table: `${live!.manifest.database}.${ds.table}`, quarantine: `${live!.manifest.database}.${ds.quarantineTable}` };
  });

  function upload(text: string, filename: string, query = "") {
    const form = new FormData();
    form.append("csv", new File([text], filename, { type: "application/octet-stream" }));
    return api(`/v0/datasources?name=scores&mode=append${query}`, { method: "POST", token: w.token, body: form });
  }

  it("appends a CSV with a header, quarantining rows that do not fit", async () => {
    const res = await upload("id,name,score,day\n1,ana,1.5,2026-02-01\n2,bo,,\nx,cy,2.5,2026-02-03\n3,di,abc,2026-02-04\n", "scores.csv");
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: "done", successful_rows: 2, quarantined_rows: 2, datasource: { name: "scores" } });
    expect(await rowsOf(`SELECT id, name, score, day FROM ${t.table} ORDER BY id`)).toEqual([
      { id: 1, name: "ana", score: 1.5, day: "2026-02-01" },
      { id: 2, name: "bo", score: null, day: "2026-01-01" },
    ]);
    expect(await rowsOf(`SELECT c__error_column, c__error, id, score FROM ${t.quarantine} ORDER BY name`)).toEqual([
      { c__error_column: ["id"], c__error: ["value 'x' on column 'id' is not UInt32"], id: "x", score: "2.5" },
      { c__error_column: ["score"], c__error: ["value 'abc' on column 'score' is not Nullable(Float32)"], id: "3", score: "abc" },
    ]);
  });

  it("appends a headerless CSV by column position", async () => {
    const res = await upload("10,ed,3,2026-03-01\n", "more.csv");
    expect(await res.json()).toMatchObject({ successful_rows: 1, quarantined_rows: 0 });
  });

  it("appends an NDJSON file with the Events API's validation", async () => {
    const res = await upload('{"id":20,"name":"fy","score":1}\n{"id":"bad","name":"gu"}\n', "rows.ndjson");
    expect(await res.json()).toMatchObject({ successful_rows: 1, quarantined_rows: 1 });
  });

  it("replaces the whole contents", async () => {
    const form = new FormData();
    form.append("csv", new File(["100,only,1,2026-04-01\n"], "r.csv"));
    const res = await api("/v0/datasources?name=scores&mode=replace", { method: "POST", token: w.token, body: form });
    expect(res.status).toBe(200);
    expect(await rowsOf(`SELECT id FROM ${t.table}`)).toEqual([{ id: 100 }]);
  });

  it("answers 400 without a file or url", async () => {
    const res = await api("/v0/datasources?name=scores", { method: "POST", token: w.token });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Send a file (multipart part 'csv', or the whole body) or a url= to import from" });
  });
});

describe("appending CSV into Array, Map, Tuple and LowCardinality(Nullable) columns", () => {
  // What @tinybirdco/sdk's generated datafiles carry (t.array, t.map, t.tuple, .lowCardinality()).
  const DS = "SCHEMA >\n    `id` UInt32,\n    `tags` Array(String),\n    `attrs` Map(String, UInt8),\n    `pair` Tuple(UInt8, String),\n    `country` LowCardinality(Nullable(String))\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
  let w: { id: string; token: string };
  let t: { table: string; quarantine: string };
  beforeAll(async () => {
    w = await createWorkspace("appendcomposite");
    const deployed = await deploy({ "things.datasource": DS }, "auto_promote=true", w.token);
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
    const live = await liveManifest(env, w.id);
    const ds = live!.manifest.datasources.things!;
    t = { table: `${live!.manifest.database}.${ds.table}`, quarantine: `${live!.manifest.database}.${ds.quarantineTable}` };
  });

  it("casts valid values and quarantines the ones that do not parse", async () => {
    const csv = [
      `1,"['a','b']","{'k':1}","(1,'x')",ES`,
      `2,[],{},"(0,'')",`,
      `3,not-an-array,{},"(0,'')",FR`,
      `4,[],"{'k':300}","(0,'')",FR`,
    ].join("\n");
    const form = new FormData();
    form.append("csv", new File([csv], "things.csv", { type: "application/octet-stream" }));
    const res = await api("/v0/datasources?name=things&mode=append&format=csv", { method: "POST", token: w.token, body: form });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ successful_rows: 2, quarantined_rows: 2 });
    expect(await rowsOf(`SELECT id, tags, attrs, pair, country FROM ${t.table} ORDER BY id`)).toEqual([
      { id: 1, tags: ["a", "b"], attrs: { k: 1 }, pair: [1, "x"], country: "ES" },
      { id: 2, tags: [], attrs: {}, pair: [0, ""], country: "" }, // an empty field stays "" in a string column, as before
    ]);
    expect(await rowsOf(`SELECT id, c__error_column FROM ${t.quarantine} ORDER BY id`)).toEqual([
      { id: "3", c__error_column: ["tags"] },
      { id: "4", c__error_column: ["attrs"] },
    ]);
  });
});

async function rowsOf(sql: string): Promise<unknown[]> {
  const rs = await testClickHouse().query({ query: sql, format: "JSONEachRow" });
  return rs.json();
}
