// JWTs on endpoints and the Query API: signature, expiry, scopes, fixed params, filters, key rotation.
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "./helpers/api.js";
import { deployProject, type Deployed } from "./endpoints-project.js";

let ws: Deployed;

beforeAll(async () => {
  ws = await deployProject("jwt");
});

const now = () => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>, key = ws.token): Promise<string> {
  return new SignJWT({ workspace_id: ws.id, name: "tester", exp: now() + 600, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(key));
}

const pipeScope = (resource: string, extra: Record<string, unknown> = {}) => ({ type: "PIPES:READ", resource, ...extra });

async function rows(res: Response): Promise<unknown> {
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as any).data;
}

describe("JWTs on endpoints", () => {
  it("calls the endpoint its scope names", async () => {
    const token = await sign({ scopes: [pipeScope("top_pages")] });
    expect(await rows(await api("/v0/pipes/top_pages.json?limit=1", { token }))).toEqual([{ pathname: "/p0", views: 4, total: 18 }]);
  });

  it("works as ?token= too", async () => {
    const token = await sign({ scopes: [pipeScope("top_pages")] });
    expect((await api(`/v0/pipes/top_pages.json?token=${token}`, { token: null })).status).toBe(200);
  });

  it("403 for another pipe", async () => {
    const token = await sign({ scopes: [pipeScope("top_pages")] });
    const res = await api("/v0/pipes/metrics.json", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Permission denied: this operation needs the PIPES:READ scope on 'metrics'" });
  });

  it("fixed_params win over request params", async () => {
    const token = await sign({ scopes: [pipeScope("top_pages", { fixed_params: { tenant: "globex", limit: 1 } })] });
    expect(await rows(await api("/v0/pipes/top_pages.json?tenant=acme&limit=5", { token }))).toEqual([{ pathname: "/p0", views: 2, total: 12 }]);
  });

  it("fixed_params win over a JSON body", async () => {
    const token = await sign({ scopes: [pipeScope("top_pages", { fixed_params: { tenant: "globex" } })] });
    const res = await api("/v0/pipes/top_pages.json", {
      token,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant: "acme", limit: 1 }),
    });
    expect(await rows(res)).toEqual([{ pathname: "/p0", views: 2, total: 12 }]);
  });

  it("a DATASOURCES:READ filter restricts what the endpoint reads", async () => {
    const token = await sign({
      scopes: [pipeScope("top_pages"), { type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'acme'" }],
    });
    expect(await rows(await api("/v0/pipes/top_pages.json", { token }))).toEqual([
      { pathname: "/p0", views: 2, total: 6 },
      { pathname: "/p1", views: 1, total: 4 },
      { pathname: "/p2", views: 2, total: 10 },
    ]);
  });

  it("403 once expired", async () => {
    const token = await sign({ exp: now() - 10, scopes: [pipeScope("top_pages")] });
    const res = await api("/v0/pipes/top_pages.json", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Invalid token: the JWT has expired" });
  });

  it("403 when signed with another key", async () => {
    const token = await sign({ scopes: [pipeScope("top_pages")] }, "not-the-admin-token");
    const res = await api("/v0/pipes/top_pages.json", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Invalid token" });
  });

  it("403 for a workspace that does not exist", async () => {
    const token = await new SignJWT({ workspace_id: "nope", name: "x", exp: now() + 60, scopes: [pipeScope("top_pages")] })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(ws.token));
    expect((await api("/v0/pipes/top_pages.json", { token })).status).toBe(403);
  });

  it("403 outside endpoints and the Query API", async () => {
    const token = await sign({ scopes: [pipeScope("top_pages")] });
    const res = await api("/v0/tokens", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "JWT tokens are only accepted by API endpoints (/v0/pipes) and the Query API (/v0/sql)" });
  });
});

describe("JWTs on the Query API", () => {
  it("reads a datasource through its filter", async () => {
    const token = await sign({ scopes: [{ type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'globex'" }] });
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT count() AS c, sum(value) AS s FROM events")}`, { token });
    expect(await rows(res)).toEqual([{ c: 5, s: 25 }]);
  });

  it("403 for a datasource it has no scope on", async () => {
    const token = await sign({ scopes: [pipeScope("top_pages")] });
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT count() FROM events")}`, { token });
    expect(res.status).toBe(403);
  });

  it("logs the JWT name in pipe_stats_rt", async () => {
    const token = await sign({ name: "tenant_7", scopes: [pipeScope("metrics")] });
    const res = await api("/v0/pipes/metrics.json", { token });
    await res.arrayBuffer();
    const q = `SELECT token_name FROM tinybird.pipe_stats_rt WHERE request_id = '${res.headers.get("x-request-id")}'`;
    const logged = await vi.waitUntil(
      async () => {
        const d = ((await (await api(`/v0/sql?q=${encodeURIComponent(q)}`, { token: ws.token })).json()) as any).data;
        return d.length ? d : undefined;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(logged).toEqual([{ token_name: "tenant_7" }]);
  });
});

describe("key rotation", () => {
  it("refreshing the workspace admin token invalidates JWTs signed with the old one", async () => {
    const token = await sign({ scopes: [pipeScope("metrics")] });
    expect((await api("/v0/pipes/metrics.json", { token })).status).toBe(200);
    const refreshed = await api("/v0/tokens/workspace%20admin%20token/refresh", { method: "POST", token: ws.token });
    expect(refreshed.status).toBe(200);
    const newAdmin = ((await refreshed.json()) as any).token;
    expect((await api("/v0/pipes/metrics.json", { token })).status).toBe(403);
    const fresh = await sign({ scopes: [pipeScope("metrics")] }, newAdmin);
    expect((await api("/v0/pipes/metrics.json", { token: fresh })).status).toBe(200);
  });
});
