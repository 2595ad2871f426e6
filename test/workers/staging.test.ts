// `?__tb__deployment=staging` (tb --staging): reads (endpoints, /v0/sql, datasources) and
// writes (events, queued events, appends) go to the staging deployment's tables, live is
// untouched until the promote, and asking for staging when there is none is a 400.
import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../workers/index.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import type { IngestMessage } from "../../workers/ingest/message.js";

const V1 = "SCHEMA >\n    `id` UInt32 `json:$.id`,\n    `v` String `json:$.v`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"id\"\n";
// The staging version changes the sorting key: a table of its own, filled from live at deploy.
const V2 = "SCHEMA >\n    `id` UInt32 `json:$.id`,\n    `v` String `json:$.v`\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"v, id\"\n";
const PIPE = "NODE n\nSQL >\n    SELECT v, count() AS c FROM things GROUP BY v ORDER BY v\n\nTYPE endpoint\n";

let ws: { id: string; token: string };
let stagingId: string;

const STAGING = "__tb__deployment=staging";

async function endpoint(query = ""): Promise<Array<{ v: string; c: number }>> {
  const res = await api(`/v0/pipes/counts.json${query}`, { token: ws.token });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { data: Array<{ v: string; c: number }> }).data;
}

async function sqlCount(query = ""): Promise<number> {
  const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT count() AS c FROM things FORMAT JSON")}${query}`, { token: ws.token });
  expect(res.status, await res.clone().text()).toBe(200);
  return Number(((await res.json()) as { data: Array<{ c: number | string }> }).data[0]!.c);
}

async function events(rows: unknown[], query: string): Promise<Response> {
  return api(`/v0/events?name=things&wait=true${query}`, { method: "POST", token: ws.token, body: rows.map((r) => JSON.stringify(r)).join("\n") });
}

beforeAll(async () => {
  ws = await createWorkspace("stg");
  expect((await deploy({ "things.datasource": V1, "counts.pipe": PIPE }, "auto_promote=true", ws.token)).status).toBe(200);
  expect((await events([{ id: 1, v: "live" }, { id: 2, v: "live" }], "")).status).toBe(200);
});

describe("__tb__deployment=staging", () => {
  it("is refused with a 400 while there is no deployment in staging", async () => {
    const res = await api(`/v0/pipes/counts.json?${STAGING}`, { token: ws.token });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/no deployment in staging/);
    const write = await events([{ id: 9, v: "nowhere" }], `&${STAGING}`);
    expect(write.status).toBe(400);
    expect(await sqlCount()).toBe(2);
  });

  it("refuses a value it does not know", async () => {
    const res = await api("/v0/pipes/counts.json?__tb__deployment=blue", { token: ws.token });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/__tb__deployment must be/);
  });

  it("writes events and appends into staging, read back from staging while live stays as it was", async () => {
    const staged = await deploy({ "things.datasource": V2, "counts.pipe": PIPE }, "", ws.token);
    expect(staged.status, JSON.stringify(staged.body)).toBe(200);
    expect(staged.body.deployment).toMatchObject({ status: "data_ready", live: false });
    stagingId = String(staged.body.deployment.id);

    // Staging starts with live's rows (copied at deploy).
    expect(await endpoint(`?${STAGING}`)).toEqual([{ v: "live", c: 2 }]);

    const ev = await events([{ id: 3, v: "staged" }], `&${STAGING}`);
    expect(ev.status, await ev.clone().text()).toBe(200);
    const form = new FormData();
    form.append("ndjson", new File([`{"id":4,"v":"appended"}\n{"id":5,"v":"appended"}\n`], "rows.ndjson"));
    const appended = await api(`/v0/datasources?name=things&mode=append&format=ndjson&${STAGING}`, { method: "POST", token: ws.token, body: form });
    expect(appended.status, await appended.clone().text()).toBe(200);

    expect(await endpoint(`?${STAGING}`)).toEqual([{ v: "appended", c: 2 }, { v: "live", c: 2 }, { v: "staged", c: 1 }]);
    expect(await sqlCount(`&${STAGING}`)).toBe(5);
    // Live has none of it.
    expect(await endpoint()).toEqual([{ v: "live", c: 2 }]);
    expect(await sqlCount()).toBe(2);

    // The datasource as staging has it: its staging table.
    const described = await api(`/v0/datasources/things?${STAGING}`, { token: ws.token });
    const live = await api("/v0/datasources/things", { token: ws.token });
    expect(described.status).toBe(200);
    expect(((await described.json()) as { engine: { sorting_key?: string } }).engine).not.toEqual(((await live.json()) as { engine: unknown }).engine);
  });

  it("lands queued events sent to staging in staging's table, even when consumed after other traffic", async () => {
    const body = (importId: string, id: number, deployment?: string): IngestMessage => ({
      v: 1, workspaceId: ws.id, datasource: "things", importId, part: 0, receivedAt: new Date().toISOString(),
      rows: 1, lines: JSON.stringify({ id, v: deployment ? "queued-staging" : "queued-live" }), quarantined: 0, quarantineLines: "",
      ...(deployment ? { deployment } : {}),
    });
    const batch = createMessageBatch("tern-events", [
      { id: "s1", timestamp: new Date(), attempts: 1, body: body("stg-q1", 6, stagingId) },
      { id: "l1", timestamp: new Date(), attempts: 1, body: body("live-q1", 7) },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    await waitOnExecutionContext(ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["l1", "s1"]);
    // Live's writes reach staging too (the deployment's forward), staging's never reach live before the promote.
    expect(await endpoint(`?${STAGING}`)).toEqual([
      { v: "appended", c: 2 }, { v: "live", c: 2 }, { v: "queued-live", c: 1 }, { v: "queued-staging", c: 1 }, { v: "staged", c: 1 },
    ]);
    expect(await endpoint()).toEqual([{ v: "live", c: 2 }, { v: "queued-live", c: 1 }]);
  });

  it("after the promote, live serves what was written to staging, and staging is gone", async () => {
    const promoted = await api(`/v1/deployments/${stagingId}/set-live`, { method: "POST", token: ws.token });
    expect(promoted.status).toBe(200);
    expect(await endpoint()).toEqual([
      { v: "appended", c: 2 },
      { v: "live", c: 2 },
      { v: "queued-live", c: 1 },
      { v: "queued-staging", c: 1 },
      { v: "staged", c: 1 },
    ]);
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT 1 FORMAT JSON")}&${STAGING}`, { token: ws.token });
    expect(res.status).toBe(400);
  });

  it("leaves the routes that do not read a deployment alone (tb --staging sends it on every call)", async () => {
    const res = await api(`/v1/deployments?${STAGING}`, { token: ws.token });
    expect(res.status).toBe(200);
  });
});
