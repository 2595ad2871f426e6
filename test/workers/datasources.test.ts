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
      description: "Page views".length ? "Orders placed in the shop" : "",
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
