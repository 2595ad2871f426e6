import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeploymentChanges, DeploymentManifest } from "../../shared/deploy/manifest.js";
import { BadRequestError, ConflictError, NotFoundError } from "../../shared/errors.js";
import { unwrap } from "../../workers/catalog/result.js";
import { catalogClient } from "../../workers/catalog/client.js";
import { WorkspaceCatalog } from "../../workers/catalog/workspace-catalog.js";

const workspace = (id: string, name: string) => ({
  id,
  name,
  database: `tern_${id}`,
  signingSecret: "secret-".repeat(4),
  tokens: [{ id: "t-admin", name: "workspace admin token", token: `p.admin-${id}`, scopes: ["ADMIN"] }],
});

const noChanges: DeploymentChanges = {
  new_datasource_names: [], changed_datasource_names: [], deleted_datasource_names: [],
  new_pipe_names: [], changed_pipe_names: [], deleted_pipe_names: [],
  new_data_connector_names: [], changed_data_connector_names: [], deleted_data_connector_names: [],
};

const manifest = (tokens: DeploymentManifest["tokens"] = []): DeploymentManifest => ({
  database: "tern_ws",
  datasources: {},
  pipes: {},
  connections: {},
  tokens,
  files: {},
  objects: { tables: [], views: [] },
});

describe("WorkspaceCatalog Durable Object", () => {
  it("records the workspace and its default tokens once", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("ws-1"));
    const first = await stub.ensureWorkspace(workspace("ws1", "analytics"));
    const again = await stub.ensureWorkspace(workspace("ws1", "renamed"));
    expect(first).toMatchObject({ id: "ws1", name: "analytics", database: "tern_ws1" });
    expect(again).toEqual(first);
    expect((await stub.resolveToken("p.admin-ws1"))?.scopes).toEqual(["ADMIN"]);
  });

  it("has no workspace before it is created", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("empty"));
    expect(await stub.info()).toBeUndefined();
  });

  it("allows one deployment in progress or staging at a time", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("ws-2"));
    await stub.ensureWorkspace(workspace("ws2", "w"));
    const d1 = unwrap(await stub.beginDeployment(manifest(), noChanges));
    expect(await stub.beginDeployment(manifest(), noChanges)).toEqual({
      ok: false,
      status: 409,
      error: "Deployment 1 is in progress; promote or discard it before creating another",
    });
    await stub.setDeploymentStatus(d1.id, "data_ready");
    expect(await stub.beginDeployment(manifest(), noChanges)).toMatchObject({ ok: false, status: 409, error: expect.stringMatching(/in staging/) });
  });

  it("promotes atomically, retires the previous live one and can roll back to it", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("ws-3"));
    await stub.ensureWorkspace(workspace("ws3", "w"));
    const d1 = unwrap(await stub.beginDeployment(manifest(), noChanges));
    await stub.setDeploymentStatus(d1.id, "data_ready");
    await stub.promote(d1.id, {});
    const d2 = unwrap(await stub.beginDeployment(manifest(), noChanges));
    await stub.setDeploymentStatus(d2.id, "data_ready");
    const { live, previous } = unwrap(await stub.promote(d2.id, {}));
    expect(live.id).toBe(d2.id);
    expect(previous?.id).toBe(d1.id);
    expect((await stub.live())?.id).toBe(d2.id);
    const back = unwrap(await stub.rollback());
    expect(back.live.id).toBe(d1.id);
    expect((await stub.getDeployment(d2.id))?.live).toBe(false);
  });

  it("creates tokens declared by TOKEN lines on promote and removes them when undeclared", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("ws-4"));
    await stub.ensureWorkspace(workspace("ws4", "w"));
    const d1 = unwrap(await stub.beginDeployment(manifest([{ name: "tracker", scopes: ["DATASOURCES:APPEND:events"] }]), noChanges));
    await stub.setDeploymentStatus(d1.id, "data_ready");
    await stub.promote(d1.id, { tracker: { id: "tok-1", token: "p.tracker" } });
    expect(await stub.resolveToken("p.tracker")).toMatchObject({ name: "tracker", scopes: ["DATASOURCES:APPEND:events"], origin: "resource" });
    const d2 = unwrap(await stub.beginDeployment(manifest([]), noChanges));
    await stub.setDeploymentStatus(d2.id, "data_ready");
    await stub.promote(d2.id, {});
    expect(await stub.resolveToken("p.tracker")).toBeUndefined();
  });

  it("refuses to delete the live deployment", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("ws-5"));
    await stub.ensureWorkspace(workspace("ws5", "w"));
    const d1 = unwrap(await stub.beginDeployment(manifest(), noChanges));
    await stub.setDeploymentStatus(d1.id, "data_ready");
    await stub.promote(d1.id, {});
    expect(await stub.markDeleted(d1.id)).toEqual({ ok: false, status: 400, error: `Deployment ${d1.id} is live; promote another one before deleting it` });
  });
});

/**
 * The tables exactly as the catalog created them before it was split into
 * stores (one class, one CREATE block, `user_id` added by ALTER), with rows
 * written the way that code wrote them.
 */
function writeUnsplitCatalog(sql: SqlStorage): void {
  for (const table of ["workspace", "tokens", "jobs", "deployments"]) sql.exec(`DROP TABLE IF EXISTS ${table}`);
  sql.exec(`
      CREATE TABLE IF NOT EXISTS workspace (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        database_name TEXT NOT NULL,
        signing_secret TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        token TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        origin TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        datasource TEXT,
        statistics TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT
      );
      CREATE TABLE IF NOT EXISTS deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        status TEXT NOT NULL,
        live INTEGER NOT NULL DEFAULT 0,
        retired INTEGER NOT NULL DEFAULT 0,
        manifest TEXT,
        changes TEXT NOT NULL,
        feedback TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `);
  sql.exec("ALTER TABLE tokens ADD COLUMN user_id TEXT");
  const at = "2026-01-01T00:00:00.000Z";
  sql.exec("INSERT INTO workspace VALUES ('old', 'before stores', 'tern_old', 'old-secret-0123456789', ?)", at);
  sql.exec(
    "INSERT INTO tokens (id, name, token, scopes, origin, user_id, created_at, updated_at) VALUES ('t-admin', 'workspace admin token', 'p.old-admin', '[\"ADMIN\"]', 'default', NULL, ?, ?)",
    at, at,
  );
  sql.exec(
    "INSERT INTO tokens (id, name, token, scopes, origin, description, created_at, updated_at) VALUES ('t-tracker', 'tracker', 'p.old-tracker', '[\"DATASOURCES:APPEND:events\"]', 'resource', '', ?, ?)",
    at, at,
  );
  sql.exec(
    "INSERT INTO jobs (id, kind, status, datasource, statistics, error, created_at, updated_at, started_at) VALUES ('j1', 'import', 'done', 'events', '{\"rows\":3}', NULL, ?, ?, ?)",
    at, at, at,
  );
  const insertDeployment = "INSERT INTO deployments (status, live, retired, manifest, changes, feedback, created_at, updated_at) VALUES ('data_ready', ?, ?, ?, ?, '[]', ?, ?)";
  // Deployment 1 was retired by 2, which is live and declares the tracker token.
  sql.exec(insertDeployment, 0, 1, JSON.stringify(manifest([])), JSON.stringify(noChanges), at, at);
  sql.exec(insertDeployment, 1, 0, JSON.stringify(manifest([{ name: "tracker", scopes: ["DATASOURCES:APPEND:events"] }])), JSON.stringify(noChanges), at, at);
}

describe("a catalog written before the split into stores", () => {
  it("opens and answers: workspace, tokens, jobs, deployments and manifests as they were; new writes continue them", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("unsplit"));
    await runInDurableObject(stub, (_instance, state) => {
      writeUnsplitCatalog(state.storage.sql);
      new WorkspaceCatalog(state, env);
    });
    expect(await stub.info()).toEqual({ id: "old", name: "before stores", database: "tern_old", createdAt: "2026-01-01T00:00:00.000Z" });
    expect(await stub.signingSecret()).toBe("old-secret-0123456789");
    expect(await stub.resolveToken("p.old-admin")).toMatchObject({ name: "workspace admin token", scopes: ["ADMIN"], origin: "default", user_id: null, description: "" });
    expect((await stub.listTokens()).map((t) => t.name)).toEqual(["tracker", "workspace admin token"]);
    expect(await stub.getJob("j1")).toMatchObject({ kind: "import", status: "done", datasource: "events", statistics: { rows: 3 }, error: null });
    expect((await stub.listDeployments()).map((d) => [d.id, d.live, d.retired])).toEqual([["2", true, false], ["1", false, true]]);
    expect((await stub.live())?.manifest?.tokens).toEqual([{ name: "tracker", scopes: ["DATASOURCES:APPEND:events"] }]);
    expect((await stub.activeManifests()).map((m) => m.id).sort()).toEqual(["1", "2"]);

    // Writes go on from what is there: a rollback (deployment 1 declares no token, so the tracker goes), the next deployment id, a job's statistics.
    expect((await stub.rollbackTarget())?.id).toBe("1");
    const back = unwrap(await stub.rollback());
    expect([back.live.id, back.previous?.id]).toEqual(["1", "2"]);
    expect(await stub.resolveToken("p.old-tracker")).toBeUndefined();
    expect(unwrap(await stub.beginDeployment(manifest(), noChanges)).id).toBe("3");
    expect(await stub.updateJob("j1", { statistics: { bytes: 10 } })).toMatchObject({ statistics: { rows: 3, bytes: 10 } });
  });

  it("an older one still, whose tokens have no user_id, gains the column, keeps its tokens and binds them to a user", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("unsplit-no-users"));
    await runInDurableObject(stub, (_instance, state) => {
      writeUnsplitCatalog(state.storage.sql);
      state.storage.sql.exec("ALTER TABLE tokens DROP COLUMN user_id");
      new WorkspaceCatalog(state, env);
    });
    expect(await stub.getToken("workspace admin token")).toMatchObject({ token: "p.old-admin", user_id: null });
    const info = await stub.ensureWorkspace({
      id: "old", name: "before stores", database: "tern_old", signingSecret: "ignored-once-created",
      tokens: [{ id: "t-admin", name: "workspace admin token", token: "p.old-admin", scopes: ["ADMIN"], userId: "default" }],
    });
    expect(info.name).toBe("before stores");
    expect(await stub.getToken("workspace admin token")).toMatchObject({ token: "p.old-admin", user_id: "default" });
  });
});

describe("the catalog client", () => {
  const client = catalogClient(env);

  it("throws a refusal as the TernError of its status, with the refusal as the catalog answered it as cause", async () => {
    const catalog = client.workspace("client-refusals");
    await catalog.ensureWorkspace(workspace("cr", "w"));
    const missing = await catalog.deleteToken("nope").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, message: "Token 'nope' not found", cause: { ok: false, status: 404, error: "Token 'nope' not found" } });

    const builtIn = await catalog.deleteToken("workspace admin token").catch((e: unknown) => e);
    expect(builtIn).toBeInstanceOf(BadRequestError);
    expect(builtIn).toMatchObject({ status: 400, message: "Token 'workspace admin token' is a default token and cannot be deleted" });

    const first = await catalog.beginDeployment(manifest(), noChanges);
    expect(first).toMatchObject({ id: "1", status: "creating_schema" });
    const busy = await catalog.beginDeployment(manifest(), noChanges).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ConflictError);
    expect((busy as ConflictError).cause).toEqual({ ok: false, status: 409, error: "Deployment 1 is in progress; promote or discard it before creating another" });
  });

  it("answers plain values for what cannot be refused", async () => {
    const catalog = client.workspace("client-values");
    expect(await catalog.info()).toBeUndefined();
    await catalog.ensureWorkspace(workspace("cv", "w"));
    expect(await catalog.getToken("workspace admin token")).toMatchObject({ token: "p.admin-cv" });
    expect(await catalog.createJob({ id: "job-1", kind: "import" })).toMatchObject({ id: "job-1", status: "waiting" });
  });

  it("throws the Directory's name clash as a ConflictError", async () => {
    const name = `clash-${crypto.randomUUID()}`;
    await client.directory().register(crypto.randomUUID(), name, "someone");
    const clash = await client.directory().register(crypto.randomUUID(), name, "someone").catch((e: unknown) => e);
    expect(clash).toBeInstanceOf(ConflictError);
    expect(clash).toMatchObject({ status: 409, message: `A workspace named '${name}' already exists` });
  });
});

describe("token caches", () => {
  it("stop honouring a deleted token at once, in this isolate and in KV", async () => {
    const { api, createWorkspace } = await import("./helpers/api.js");
    const ws = await createWorkspace("tokcache");
    const created = await api("/v0/tokens?name=temp&scope=DATASOURCES:CREATE", { method: "POST", token: ws.token });
    expect(created.status).toBe(200);
    const { token } = (await created.json()) as { token: string };
    expect((await api("/v1/workspace", { token })).status).toBe(200);
    const keys = await env.CACHE.list({ prefix: "token:" });
    expect(keys.keys.length).toBeGreaterThan(0);
    expect((await api("/v0/tokens/temp", { method: "DELETE", token: ws.token })).status).toBe(204);
    expect((await api("/v1/workspace", { token })).status).toBe(403);
  });
});
