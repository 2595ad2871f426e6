// Deployments through the real Worker, catalog and ClickHouse: create, evolve a
// schema without losing a row, backfill a new materialized view, roll back.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { testClickHouse } from "./helpers/clickhouse.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";

const EVENTS_V1 = `DESCRIPTION >
    Page views, as the tracker sends them

SCHEMA >
    \`timestamp\` DateTime \`json:$.timestamp\`,
    \`session_id\` String \`json:$.session_id\`,
    \`pathname\` String \`json:$.pathname\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(timestamp)"
ENGINE_SORTING_KEY "timestamp"

TOKEN tracker APPEND
`;

const EVENTS_V2 = `DESCRIPTION >
    Page views, as the tracker sends them

SCHEMA >
    \`timestamp\` DateTime \`json:$.timestamp\`,
    \`session_id\` String \`json:$.session_id\`,
    \`pathname\` String \`json:$.pathname\`,
    \`country\` LowCardinality(String) \`json:$.country\` DEFAULT 'unknown'

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(timestamp)"
ENGINE_SORTING_KEY "pathname, timestamp"

TOKEN tracker APPEND
`;

const TOP_PAGES = `NODE endpoint
SQL >
    %
    SELECT pathname, count() AS views
    FROM page_views
    WHERE timestamp >= {{ DateTime(start, '2020-01-01 00:00:00') }}
    GROUP BY pathname
    ORDER BY views DESC
    LIMIT {{ Int32(limit, 10) }}

TYPE endpoint
`;

const DAILY = `SCHEMA >
    \`day\` Date,
    \`views\` AggregateFunction(count)

ENGINE "AggregatingMergeTree"
ENGINE_SORTING_KEY "day"
`;

const DAILY_MV = `NODE daily
SQL >
    SELECT toDate(timestamp) AS day, countState() AS views
    FROM page_views
    GROUP BY day

TYPE materialized
DATASOURCE daily_views
`;

async function liveTable(name: string, workspaceId = JSON.parse(env.TERN_CREDENTIALS!).workspaceId as string): Promise<string> {
  const live = await liveManifest(env, workspaceId);
  return `${live!.manifest.database}.${live!.manifest.datasources[name]!.table}`;
}

async function count(table: string): Promise<number> {
  const rs = await testClickHouse().query({ query: `SELECT count() AS c FROM ${table}`, format: "JSONEachRow" });
  return Number(((await rs.json()) as Array<{ c: number | string }>)[0]!.c);
}

describe("deployments", () => {
  let firstId: string;

  it("deploys a project and makes it live with auto_promote", async () => {
    const { status, body } = await deploy({ "page_views.datasource": EVENTS_V1, "top_pages.pipe": TOP_PAGES });
    expect(status).toBe(200);
    expect(body.result).toBe("success");
    expect(body.deployment).toMatchObject({
      status: "data_ready",
      live: true,
      new_datasource_names: ["page_views"],
      new_pipe_names: ["top_pages"],
    });
    firstId = body.deployment.id;
    // Ingested the way apps do: NDJSON through the Events API.
    const start = Date.parse("2026-01-01T00:00:00Z");
    const ndjson = Array.from({ length: 1000 }, (_, i) =>
      JSON.stringify({ timestamp: new Date(start + i * 1000).toISOString(), session_id: String(i % 7), pathname: `/p${i % 5}` }),
    ).join("\n");
    const ingest = await api("/v0/events?name=page_views&wait=true", { method: "POST", body: ndjson });
    expect(await ingest.json()).toEqual({ successful_rows: 1000, quarantined_rows: 0 });
    expect(await count(await liveTable("page_views"))).toBe(1000);
  });

  it("answers no_changes for the same files", async () => {
    const { status, body } = await deploy({ "page_views.datasource": EVENTS_V1, "top_pages.pipe": TOP_PAGES });
    expect(status).toBe(200);
    expect(body).toEqual({ result: "no_changes" });
  });

  it("creates the datasource's TOKEN with its append scope", async () => {
    const res = await api("/v1/workspace");
    expect(res.status).toBe(200);
  });

  it("evolves the schema and adds a backfilled MV without losing a row", async () => {
    const before = await liveTable("page_views");
    const { status, body } = await deploy({
      "page_views.datasource": EVENTS_V2,
      "top_pages.pipe": TOP_PAGES,
      "daily_views.datasource": DAILY,
      "daily_views_mv.pipe": DAILY_MV,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.deployment).toMatchObject({
      live: true,
      new_datasource_names: ["daily_views"],
      changed_datasource_names: ["page_views"],
      new_pipe_names: ["daily_views_mv"],
    });
    const after = await liveTable("page_views");
    expect(after).not.toBe(before);
    expect(await count(after)).toBe(1000);
    const rs = await testClickHouse().query({
      query: `SELECT countMerge(views) AS v FROM ${await liveTable("daily_views")}`,
      format: "JSONEachRow",
    });
    expect(await rs.json()).toEqual([{ v: 1000 }]);
    const countries = await testClickHouse().query({ query: `SELECT DISTINCT country FROM ${after}`, format: "JSONEachRow" });
    expect(await countries.json()).toEqual([{ country: "unknown" }]);
  });

  it("fires the new MV on rows inserted after the deploy", async () => {
    await testClickHouse().command({
      query: `INSERT INTO ${await liveTable("page_views")} (timestamp, session_id, pathname, country) VALUES ('2026-02-01 00:00:00', 's', '/new', 'ES')`,
    });
    const rs = await testClickHouse().query({ query: `SELECT countMerge(views) AS v FROM ${await liveTable("daily_views")}`, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ v: 1001 }]);
  });

  it("rolls back to the previous deployment", async () => {
    const res = await api("/v1/deployments/rollback", { method: "POST" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { deployment: { id: string; live: boolean } };
    expect(body.deployment).toMatchObject({ id: firstId, live: true });
    const ws = JSON.parse(env.TERN_CREDENTIALS!).workspaceId as string;
    const live = await liveManifest(env, ws);
    expect(Object.keys(live!.manifest.pipes)).toEqual(["top_pages"]);
    expect(await count(await liveTable("page_views"))).toBe(1000);
  });

  it("lists deployments with the live one marked", async () => {
    const res = await api("/v1/deployments");
    const body = (await res.json()) as { deployments: Array<{ id: string; live: boolean; status: string }> };
    expect(body.deployments.find((d) => d.live)?.id).toBe(firstId);
  });
});

describe("deploy errors", () => {
  it("reports every datafile error at once, with file and line, and changes nothing", async () => {
    const { status, body } = await deploy({
      "a.datasource": "SCHEMA >\n    `x` UInt8\n\nENGINE \"MergeTree\"\nBOGUS 1\n",
      "b.pipe": "NODE n\nSQL >\n    SELECT 1\n\nTYPE nonsense\n",
    });
    expect(status).toBe(400);
    expect(body.result).toBe("failed");
    expect(body.errors.map((e: { filename: string }) => e.filename).sort()).toEqual(["a.datasource", "b.pipe"]);
    expect(body.errors[0].error).toMatch(/^a\.datasource:5:1: /);
    expect(typeof body.error).toBe("string");
  });

  it("reports an invalid SQL node with ClickHouse's error and the node name", async () => {
    const { status, body } = await deploy(
      {
        "t1.datasource": "SCHEMA >\n    `x` UInt8\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"x\"\n",
        "broken.pipe": "NODE only\nSQL >\n    SELECT no_such_column FROM t1\n\nTYPE endpoint\n",
      },
      "check=true",
    );
    expect(status).toBe(400);
    expect(body.error).toMatch(/Pipe 'broken', node 'only': .*no_such_column/);
  });

  it("refuses without a deploy-capable token", async () => {
    const res = await api("/v1/deployments", { token: null });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "Missing token: send it as 'Authorization: Bearer <token>' or '?token=<token>'" });
  });
});

describe("staging", () => {
  let ws: { id: string; token: string };
  beforeAll(async () => {
    ws = await createWorkspace("staging");
  });
  const V1 = "SCHEMA >\n    `id` UInt32,\n    `v` String\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
  const V2 = "SCHEMA >\n    `id` UInt32,\n    `v` String,\n    `n` UInt8 DEFAULT 7\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"v, id\"\n";

  it("keeps rows written to live while a deployment is staging", async () => {
    expect((await deploy({ "staged.datasource": V1 }, "auto_promote=true", ws.token)).status).toBe(200);
    const v1 = await liveTable("staged", ws.id);
    await testClickHouse().command({ query: `INSERT INTO ${v1} SELECT number, 'before' FROM numbers(100)` });

    const staged = await deploy({ "staged.datasource": V2 }, "", ws.token);
    expect(staged.status, JSON.stringify(staged.body)).toBe(200);
    expect(staged.body.deployment).toMatchObject({ status: "data_ready", live: false });
    // Live still serves the old table, and keeps taking writes.
    expect(await liveTable("staged", ws.id)).toBe(v1);
    await testClickHouse().command({ query: `INSERT INTO ${v1} SELECT 1000 + number, 'during' FROM numbers(50)` });

    const promoted = await api(`/v1/deployments/${staged.body.deployment.id}/set-live`, { method: "POST", token: ws.token });
    expect(promoted.status).toBe(200);
    const v2 = await liveTable("staged", ws.id);
    expect(v2).not.toBe(v1);
    const rs = await testClickHouse().query({ query: `SELECT v, count() AS c, min(n) AS n FROM ${v2} GROUP BY v ORDER BY v`, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([
      { v: "before", c: 100, n: 7 },
      { v: "during", c: 50, n: 7 },
    ]);
  });

  it("refuses a second deployment while one is staging, then discards it", async () => {
    const other = await createWorkspace("discard");
    const V3 = V1.replace("`v` String", "`v` String,\n    `w` String DEFAULT ''");
    const first = await deploy({ "other.datasource": V1 }, "", other.token);
    expect(first.status).toBe(200);
    const second = await deploy({ "other.datasource": V3 }, "", other.token);
    expect(second.status).toBe(409);
    expect(second.body.error).toMatch(/in staging/);
    const discard = await api(`/v1/deployments/${first.body.deployment.id}`, { method: "DELETE", token: other.token });
    expect(discard.status).toBe(200);
    expect(((await discard.json()) as { deployment: { status: string } }).deployment.status).toBe("deleted");
  });
});
