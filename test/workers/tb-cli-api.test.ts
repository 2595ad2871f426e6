// What Tinybird's own CLI, `tb` 5.0.3, calls and reads beyond Tern's own
// clients, answered as Tinybird does (test/e2e/tb-cli-*.test.ts drive tb
// itself): deploy answers always carry an `errors` list; /v1/deployments is
// oldest first and leaves out the deployment kept for rollback (tb waits for
// every other listed one to be deleted); datasources carry created_at and
// updated_at; /v1/datasources/<name>/append|replace take the file as the body,
// and a replace_condition replaces only the matching rows; an import job adds
// up its rows in `blocks`; a JWT's name may come in the query string;
// /v1/user/workspaces/ with its trailing slash, with the fields tb reads;
// /v0/auth, /v0/connectors, /examples/query.http and /v1/pipes/<pipe>.pipe.
import { beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace, credentials, deploy } from "./helpers/api.js";
import { S3_CONNECTION } from "./helpers/sinks.js";

const EVENTS = `SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`page\` String \`json:$.page\`,
    \`n\` UInt32 \`json:$.n\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "ts, page"
`;

const TOP = (extra = "") => `NODE top
SQL >
    SELECT page, sum(n) AS views${extra} FROM events GROUP BY page ORDER BY page

TYPE endpoint
`;

const FILES = { "events.datasource": EVENTS, "top_pages.pipe": TOP(), "lake.connection": S3_CONNECTION };

let ws: { id: string; name: string; token: string };

async function send(path: string, init: RequestInit = {}, token: string | null = ws.token): Promise<{ status: number; body: any; type: string | null }> {
  const res = await api(path, { ...init, token });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // plain text
  }
  return { status: res.status, body, type: res.headers.get("content-type") };
}

async function rows(): Promise<Array<{ ts: string; page: string; n: number }>> {
  const q = encodeURIComponent("SELECT ts, page, n FROM events ORDER BY ts, page FORMAT JSON");
  const res = await send(`/v0/sql?q=${q}`);
  if (res.status !== 200) throw new Error(`sql: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

const TB_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;

beforeAll(async () => {
  ws = await createWorkspace("tbcli");
  const res = await deploy(FILES, "auto_promote=true", ws.token);
  if (res.status !== 200) throw new Error(`deploy: ${res.status} ${JSON.stringify(res.body)}`);
});

describe("deployments as tb reads them", () => {
  it("a deploy, a check and a refused deploy all carry an errors list", async () => {
    const deployed = await deploy({ ...FILES, "top_pages.pipe": TOP(", count() AS hits") }, "auto_promote=true", ws.token);
    expect(deployed.status).toBe(200);
    expect(deployed.body.deployment).toMatchObject({ id: "2", live: true, errors: [] });
    const checked = await deploy(FILES, "check=true", ws.token);
    expect(checked.status).toBe(200);
    expect(checked.body.deployment).toMatchObject({ id: "check", errors: [] });
    const refused = await deploy({ ...FILES, "top_pages.pipe": "NODE top\nSQL >\n    SELECT nope FROM events\n\nTYPE endpoint\n" }, "auto_promote=true", ws.token);
    expect(refused.status).toBe(400);
    expect(refused.body.deployment.errors).toEqual([expect.stringContaining("nope")]);
  });

  it("lists oldest first, without the deployment kept for rollback nor failed ones unless include_deleted=true", async () => {
    // 1 was live, 2 went live over it (1 kept for rollback); 3 failed; 4 is staging.
    const staged = await deploy(FILES, "auto_promote=false", ws.token);
    expect(staged.status).toBe(200);
    const id = staged.body.deployment.id as string;
    const listed = await send("/v1/deployments");
    expect(listed.body.deployments.map((d: any) => [d.id, d.live, d.status])).toEqual([["2", true, "data_ready"], [id, false, "data_ready"]]);
    const all = await send("/v1/deployments?include_deleted=true");
    expect(all.body.deployments.map((d: any) => [d.id, d.live, d.status, d.rollback_target])).toEqual([
      ["1", false, "data_ready", true],
      ["2", true, "data_ready", false],
      ["3", false, "failed", false],
      [id, false, "data_ready", false],
    ]);
    // tb deployment promote: deployments[1] goes live over deployments[0], which tb then deletes.
    expect((await send(`/v1/deployments/${id}/set-live`, { method: "POST" })).status).toBe(200);
    expect((await send("/v1/deployments/2", { method: "DELETE" })).body.deployment.status).toBe("deleted");
    expect((await send("/v1/deployments")).body.deployments.map((d: any) => [d.id, d.live])).toEqual([[id, true]]);
  });
});

describe("datasources as tb reads and writes them", () => {
  it("lists datasources with Tinybird's created_at and updated_at", async () => {
    const { body } = await send("/v0/datasources");
    expect(body.datasources).toHaveLength(1);
    expect(body.datasources[0].created_at).toMatch(TB_TIME);
    expect(body.datasources[0].updated_at).toMatch(TB_TIME);
    expect((await send("/v0/datasources/events")).body.updated_at).toMatch(TB_TIME);
  });

  it("appends a CSV sent as the whole body to /v1/datasources/<name>/append, and the job adds up its rows", async () => {
    const res = await send("/v1/datasources/events/append?format=csv", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "2026-01-01 00:00:00,/a,1\n2026-01-01 00:00:00,/b,2\n2026-01-02 00:00:00,/a,3\n",
    });
    expect(res.status).toBe(200);
    expect(res.body.successful_rows).toBe(3);
    const job = await send(`/v0/jobs/${res.body.id}`);
    expect(job.body).toMatchObject({ kind: "import", status: "done", blocks: [{ process_return: [{ lines: 3, quarantine: 0 }] }] });
    expect(await rows()).toEqual([
      { ts: "2026-01-01 00:00:00", page: "/a", n: 1 },
      { ts: "2026-01-01 00:00:00", page: "/b", n: 2 },
      { ts: "2026-01-02 00:00:00", page: "/a", n: 3 },
    ]);
  });

  it("replaces only the rows matching replace_condition: the file's rows that match come in, the others stay", async () => {
    const body = ['{"ts":"2026-01-05 00:00:00","page":"/a","n":9}', '{"ts":"2026-01-05 00:00:00","page":"/z","n":8}'].join("\n");
    const res = await send(`/v1/datasources/events/replace?format=ndjson&replace_condition=${encodeURIComponent("page = '/a'")}`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
    });
    expect(res.status).toBe(200);
    expect(await rows()).toEqual([
      { ts: "2026-01-01 00:00:00", page: "/b", n: 2 },
      { ts: "2026-01-05 00:00:00", page: "/a", n: 9 },
    ]);
  });

  it("replaces everything without a condition", async () => {
    const res = await send("/v1/datasources/events/replace?format=csv", { method: "POST", headers: { "content-type": "text/csv" }, body: "2026-02-01 00:00:00,/r,4\n" });
    expect(res.status).toBe(200);
    expect(await rows()).toEqual([{ ts: "2026-02-01 00:00:00", page: "/r", n: 4 }]);
  });

  it("refuses a replace_condition that reaches past the datasource, or on an append, and changes nothing", async () => {
    const post = (query: string) =>
      send(`/v1/datasources/events/${query}`, { method: "POST", headers: { "content-type": "text/csv" }, body: "2026-03-01 00:00:00,/x,1\n" });
    const other = await post(`replace?format=csv&replace_condition=${encodeURIComponent("page IN (SELECT name FROM system.tables)")}`);
    expect(other.status).toBe(400);
    expect(other.body.error).toMatch(/^Invalid replace_condition: /);
    const unknown = await post(`replace?format=csv&replace_condition=${encodeURIComponent("nope = 1")}`);
    expect(unknown.status).toBe(400);
    const onAppend = await post(`append?format=csv&replace_condition=${encodeURIComponent("page = '/r'")}`);
    expect(onAppend).toMatchObject({ status: 400, body: { error: "replace_condition applies to mode=replace only" } });
    expect(await rows()).toEqual([{ ts: "2026-02-01 00:00:00", page: "/r", n: 4 }]);
  });

  it("needs the same scopes as /v0/datasources: a read token cannot append", async () => {
    const created = await send("/v0/tokens?name=reader_only&scope=DATASOURCES:READ:events", { method: "POST" });
    const res = await send("/v1/datasources/events/append?format=csv", { method: "POST", headers: { "content-type": "text/csv" }, body: "2026-03-01 00:00:00,/x,1\n" }, created.body.token);
    expect(res.status).toBe(403);
  });
});

describe("tokens, workspaces, connections, endpoints as tb calls them", () => {
  it("takes a JWT's name from the query string", async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const res = await send(`/v0/tokens?name=from_query&expiration_time=${exp}`, { method: "POST", body: JSON.stringify({ scopes: [{ type: "PIPES:READ", resource: "top_pages" }] }) });
    expect(res.status).toBe(200);
    const payload = JSON.parse(atob(res.body.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expect(payload).toMatchObject({ name: "from_query", exp });
    const data = await send("/v0/pipes/top_pages.json", {}, res.body.token);
    expect(data.status).toBe(200);
  });

  it("lists a user's workspaces at /v1/user/workspaces/ with the fields tb reads", async () => {
    const res = await send("/v1/user/workspaces/?with_environments=false", {}, credentials().adminToken);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(credentials().workspaceId);
    const mine = res.body.workspaces.find((w: any) => w.id === ws.id);
    expect(mine).toMatchObject({ name: ws.name, role: "admin", plan: "dev", is_branch: false, organization: { id: "local", name: "local", role: "admin" } });
    // A workspace admin token sees its own workspace only, with or without the slash.
    const own = await send("/v1/user/workspaces/");
    expect(own.body.workspaces.map((w: any) => w.id)).toEqual([ws.id]);
  });

  it("/v0/auth says whether a token is a user token", async () => {
    expect((await send("/v0/auth", {}, credentials().userToken)).body).toEqual({ is_valid: true, is_user: true });
    expect((await send("/v0/auth")).body).toEqual({ is_valid: true, is_user: false });
    expect((await send("/v0/auth", {}, "p.nope")).status).toBe(403);
  });

  it("lists the live connections at /v0/connectors with the datasources they feed, without settings; admins only", async () => {
    const res = await send("/v0/connectors");
    expect(res.body).toEqual({ connectors: [{ id: "lake", name: "lake", service: "s3", linkers: [], settings: {} }] });
    const reader = await send("/v0/tokens?name=pipe_reader&scope=PIPES:READ:top_pages", { method: "POST" });
    expect((await send("/v0/connectors", {}, reader.body.token)).status).toBe(403);
  });

  it("/examples/query.http answers the endpoint's URL with the token; /v1/pipes/<pipe>.pipe its datafile as exactly text/plain", async () => {
    const url = await api(`/examples/query.http?format=json&pipe=top_pages&q=&token=${ws.token}`, { token: null });
    expect(url.status).toBe(200);
    expect(await url.text()).toBe(`http://tern.test/v0/pipes/top_pages.json?token=${ws.token}`);
    const csv = await api(`/examples/query.http?format=csv&pipe=top_pages&q=&token=${ws.token}`, { token: null });
    expect(await csv.text()).toBe(`http://tern.test/v0/pipes/top_pages.csv?token=${ws.token}`);
    expect((await send("/examples/query.http?pipe=nope")).status).toBe(404);
    const file = await send("/v1/pipes/top_pages.pipe");
    expect(file).toMatchObject({ status: 200, type: "text/plain" });
    expect(file.body).toContain("NODE top");
  });
});

describe("tb build and tb test run's workspaces, as Tinybird Local", () => {
  it("creates workspaces with the names tb makes (85 characters), where /v1/build deploys; unchanged files are a success that changes nothing", async () => {
    const name = `Tinybird_Local_Build_${"ab12".repeat(16)}`;
    expect(name).toHaveLength(85);
    const created = await send("/v1/workspaces", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ name }) }, credentials().userToken);
    expect(created.status).toBe(200);
    const token = created.body.token as string;
    const form = new FormData();
    for (const [file, text] of Object.entries({ "events.datasource": EVENTS, "top_pages.pipe": TOP() })) form.append("data_project://", new File([text], file));
    const built = await send("/v1/build", { method: "POST", body: form }, token);
    expect(built.status).toBe(200);
    expect(built.body).toMatchObject({ result: "success", build: { live: true, new_datasource_names: ["events"], new_pipe_names: ["top_pages"] } });
    expect((await send("/v1/datasources/events/append?format=csv", { method: "POST", body: "2026-01-01 00:00:00,/a,2\n" }, token)).status).toBe(200);
    expect((await send("/v0/pipes/top_pages.json", {}, token)).body.data).toEqual([{ page: "/a", views: 2 }]);
    const again = new FormData();
    for (const [file, text] of Object.entries({ "events.datasource": EVENTS, "top_pages.pipe": TOP() })) again.append("data_project://", new File([text], file));
    const rebuilt = await send("/v1/build", { method: "POST", body: again }, token);
    expect(rebuilt.body).toMatchObject({ result: "success", build: { new_datasource_names: [], new_pipe_names: [], changed_pipe_names: [] } });
  });

  it("leaves any other workspace's live deployment alone on /v1/build", async () => {
    const before = (await send("/v1/deployments")).body.deployments;
    const form = new FormData();
    for (const [file, text] of Object.entries({ ...FILES, "top_pages.pipe": TOP(", 1 AS one") })) form.append("data_project://", new File([text], file));
    const built = await send("/v1/build", { method: "POST", body: form });
    expect(built.body).toMatchObject({ result: "success", build: { id: "check", changed_pipe_names: ["top_pages"] } });
    expect((await send("/v1/deployments")).body.deployments).toEqual(before);
  });
});
