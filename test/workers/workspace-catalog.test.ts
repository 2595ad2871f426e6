import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeploymentChanges, DeploymentManifest } from "../../shared/deploy/manifest.js";
import { unwrap } from "../../workers/catalog/result.js";

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
