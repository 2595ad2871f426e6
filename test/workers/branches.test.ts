// Branches (/v1/environments, /v0/environments/<name>?with_token=true) through the real Worker,
// catalog and ClickHouse: a branch is a workspace with its parent's resources, secrets and
// (data=last_partition) last partitions, its own token that reaches it alone, a build that
// deploys in it, and a delete that drops its data and tokens.
import { beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace, credentials, deploy, projectForm } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";

const DS = `SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`page\` String \`json:$.page\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(ts)"
ENGINE_SORTING_KEY "ts"
`;
const PIPE = "NODE n\nSQL >\n    SELECT page, count() AS c FROM hits GROUP BY page ORDER BY page\n\nTYPE endpoint\n";
const PIPE_V2 = "NODE n\nSQL >\n    SELECT page, count() * 10 AS c FROM hits GROUP BY page ORDER BY page\n\nTYPE endpoint\n";

let parent: { id: string; token: string };

async function json(path: string, token: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await api(path, { ...init, token });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function pages(token: string): Promise<Array<{ page: string; c: number }>> {
  const res = await json("/v0/pipes/by_page.json", token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}

async function databaseExists(name: string): Promise<boolean> {
  const rs = await testClickHouse().query({ query: `SELECT count() AS c FROM system.databases WHERE name = {n:String}`, query_params: { n: name }, format: "JSONEachRow" });
  return Number(((await rs.json()) as Array<{ c: string }>)[0]!.c) === 1;
}

beforeAll(async () => {
  parent = await createWorkspace("branches");
  expect((await deploy({ "hits.datasource": DS, "by_page.pipe": PIPE }, "auto_promote=true", parent.token)).status).toBe(200);
  const rows = [
    { ts: "2026-01-10 10:00:00", page: "jan" },
    { ts: "2026-01-11 10:00:00", page: "jan" },
    { ts: "2026-02-10 10:00:00", page: "feb" },
  ];
  const ev = await api("/v0/events?name=hits&wait=true", { method: "POST", token: parent.token, body: rows.map((r) => JSON.stringify(r)).join("\n") });
  expect(ev.status).toBe(200);
  const secret = await api("/v0/variables", { method: "POST", token: parent.token, headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "PARENT_SECRET", value: "pv-123456" }) });
  expect(secret.status).toBe(200);
});

describe("branches", () => {
  let branch: { id: string; token: string };

  it("creates a branch with the last partition (the SDK's flow: a job, polled, then the branch with its token)", async () => {
    const created = await json("/v1/environments?name=feature_a&data=last_partition", parent.token, { method: "POST" });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.job).toMatchObject({ status: "done", kind: "branch_creation" });
    expect(created.body.workspace.id).toEqual(expect.any(String));
    const job = await json(`/v0/jobs/${created.body.job.id}`, parent.token);
    expect(job.body.status).toBe("done");

    const got = await json("/v0/environments/feature_a?with_token=true", parent.token);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: created.body.workspace.id, name: "feature_a", token: expect.any(String), created_at: expect.any(String) });
    branch = { id: got.body.id, token: got.body.token };
    expect(branch.token).not.toBe(parent.token);
    // Without with_token, no token.
    expect((await json("/v0/environments/feature_a", parent.token)).body.token).toBeUndefined();
  });

  it("lists the parent's branches, without tokens", async () => {
    const list = await json("/v1/environments", parent.token);
    expect(list.status).toBe(200);
    expect(list.body.environments).toEqual([expect.objectContaining({ id: branch.id, name: "feature_a" })]);
    expect(list.body.environments[0].token).toBeUndefined();
  });

  it("has the parent's resources, its secrets (names), and only the last partition of its data", async () => {
    expect(await pages(branch.token)).toEqual([{ page: "feb", c: 1 }]);
    expect(await pages(parent.token)).toEqual([{ page: "feb", c: 1 }, { page: "jan", c: 2 }]);
    const vars = await json("/v0/variables", branch.token);
    expect(vars.body.variables.map((v: { name: string }) => v.name)).toEqual(["PARENT_SECRET"]);
  });

  it("keeps its writes and builds to itself: the parent does not change", async () => {
    const ev = await api("/v0/events?name=hits&wait=true", { method: "POST", token: branch.token, body: JSON.stringify({ ts: "2026-02-12 10:00:00", page: "branch_only" }) });
    expect(ev.status).toBe(200);
    const built = await api("/v1/build", { method: "POST", token: branch.token, body: projectForm({ "hits.datasource": DS, "by_page.pipe": PIPE_V2 }) });
    const body = (await built.json()) as any;
    expect(built.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ result: "success", build: { id: expect.any(String) } });
    expect(await pages(branch.token)).toEqual([{ page: "branch_only", c: 10 }, { page: "feb", c: 10 }]);
    expect(await pages(parent.token)).toEqual([{ page: "feb", c: 1 }, { page: "jan", c: 2 }]);
  });

  it("its token cannot manage branches nor reach the parent's data", async () => {
    expect((await json("/v1/environments", branch.token)).status).toBe(403);
    expect((await json("/v1/environments?name=nested", branch.token, { method: "POST" })).status).toBe(403);
    expect((await json(`/v0/environments/${branch.id}`, branch.token, { method: "DELETE" })).status).toBe(403);
    // `hits` in the branch's SQL is the branch's table: the parent's 3 rows are not there.
    const sql = await api(`/v0/sql?q=${encodeURIComponent("SELECT count() AS c FROM hits FORMAT JSON")}`, { token: branch.token });
    expect(Number(((await sql.json()) as any).data[0].c)).toBe(2);
    // Nor can it name the parent's database.
    const parentDb = `tern_${parent.id.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}`;
    const cross = await api(`/v0/sql?q=${encodeURIComponent(`SELECT count() FROM ${parentDb}.hits FORMAT JSON`)}`, { token: branch.token });
    expect(cross.status).not.toBe(200);
  });

  it("refuses a duplicate (409), a bad name or data mode (400), and an unknown branch (404)", async () => {
    expect((await json("/v1/environments?name=feature_a", parent.token, { method: "POST" })).status).toBe(409);
    expect((await json("/v1/environments?name=bad-name", parent.token, { method: "POST" })).status).toBe(400);
    expect((await json("/v1/environments?name=ok_name&data=everything", parent.token, { method: "POST" })).status).toBe(400);
    expect((await json("/v0/environments/nope?with_token=true", parent.token)).status).toBe(404);
    expect((await json("/v0/environments/nope", parent.token, { method: "DELETE" })).status).toBe(404);
  });

  it("a branch without data has the resources and empty tables", async () => {
    const created = await json("/v1/environments?name=empty_one", parent.token, { method: "POST" });
    expect(created.status).toBe(200);
    const got = await json("/v0/environments/empty_one?with_token=true", parent.token);
    expect(await pages(got.body.token)).toEqual([]);
    expect((await json(`/v0/environments/${got.body.id}`, parent.token, { method: "DELETE" })).status).toBe(200);
  });

  it("is deleted with its data and its tokens", async () => {
    const database = `tern_${branch.id.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}`;
    expect(await databaseExists(database)).toBe(true);
    const deleted = await json(`/v0/environments/${branch.id}`, parent.token, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await databaseExists(database)).toBe(false);
    const after = await api("/v0/pipes/by_page.json", { token: branch.token });
    expect([401, 403, 404]).toContain(after.status);
    expect((await json("/v1/environments", parent.token)).body.environments).toEqual([]);
    // The parent is untouched.
    expect(await pages(parent.token)).toEqual([{ page: "feb", c: 1 }, { page: "jan", c: 2 }]);
  });

  it("goes with its parent: deleting a workspace deletes its branches", async () => {
    const other = await createWorkspace("branch_parent");
    expect((await deploy({ "hits.datasource": DS, "by_page.pipe": PIPE }, "auto_promote=true", other.token)).status).toBe(200);
    expect((await json("/v1/environments?name=child", other.token, { method: "POST" })).status).toBe(200);
    const child = (await json("/v0/environments/child?with_token=true", other.token)).body;
    const database = `tern_${child.id.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}`;
    expect(await databaseExists(database)).toBe(true);
    const gone = await api(`/v1/workspaces/${other.id}`, { method: "DELETE", token: credentials().userToken });
    expect(gone.status, await gone.clone().text()).toBe(200);
    expect(await databaseExists(database)).toBe(false);
    expect((await api("/v0/pipes/by_page.json", { token: child.token })).status).not.toBe(200);
  });
});
