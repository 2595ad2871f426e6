// The Token API: list, create (static and JWT), get, refresh, delete, and who may call it.
import { decodeJwt } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./helpers/api.js";
import { deployProject, type Deployed } from "./endpoints-project.js";

let ws: Deployed;

beforeAll(async () => {
  ws = await deployProject("tokens");
});

const call = (path: string, init: RequestInit & { token?: string | null } = {}) => api(path, { token: ws.token, ...init });

async function create(name: string, ...scopes: string[]): Promise<any> {
  const form = new URLSearchParams([["name", name], ...scopes.map((s) => ["scope", s] as [string, string])]);
  const res = await call("/v0/tokens", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

describe("static tokens", () => {
  it("lists the workspace's tokens with their scopes and secrets", async () => {
    const body = (await (await call("/v0/tokens")).json()) as any;
    const admin = body.tokens.find((t: any) => t.name === "workspace admin token");
    expect(admin).toMatchObject({ name: "workspace admin token", scopes: [{ type: "ADMIN" }], token: ws.token, origin: "default" });
  });

  it("creates a token from repeated scope= fields", async () => {
    const t = await create("dashboard", "PIPES:READ:top_pages", "DATASOURCES:READ:events:tenant = 'acme'");
    expect(t).toMatchObject({
      name: "dashboard",
      description: "",
      scopes: [
        { type: "PIPES:READ", resource: "top_pages" },
        { type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'acme'" },
      ],
      origin: "api",
    });
    expect(t.token).toMatch(/^p\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect((await call("/v0/pipes/top_pages.json", { token: t.token })).status).toBe(200);
  });

  it("creates a token from query-string params", async () => {
    const res = await call("/v0/tokens?name=qs_token&scope=PIPES:READ:metrics", { method: "POST" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).scopes).toEqual([{ type: "PIPES:READ", resource: "metrics" }]);
  });

  it("400 for an unknown scope", async () => {
    const res = await call("/v0/tokens?name=bad&scope=PIPES:WRITE:x", { method: "POST" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Invalid scope 'PIPES:WRITE:x': Unknown scope 'PIPES:WRITE:x'" });
  });

  it("400 without a name", async () => {
    const res = await call("/v0/tokens?scope=ADMIN", { method: "POST" });
    expect(res.status).toBe(400);
  });

  it("gets a token by name", async () => {
    await create("to_get", "PIPES:READ:metrics");
    const res = await call("/v0/tokens/to_get");
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).name).toBe("to_get");
  });

  it("404 for an unknown token", async () => {
    const res = await call("/v0/tokens/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Token 'nope' not found" });
  });

  it("refresh gives a new secret and the old one stops working", async () => {
    const before = await create("to_refresh", "PIPES:READ:metrics");
    const res = await call("/v0/tokens/to_refresh/refresh", { method: "POST" });
    expect(res.status).toBe(200);
    const after = (await res.json()) as any;
    expect(after.token).not.toBe(before.token);
    expect(after.scopes).toEqual(before.scopes);
    expect((await call("/v0/pipes/metrics.json", { token: before.token })).status).toBe(403);
    expect((await call("/v0/pipes/metrics.json", { token: after.token })).status).toBe(200);
  });

  it("delete removes the token", async () => {
    const t = await create("to_delete", "PIPES:READ:metrics");
    expect((await call("/v0/tokens/to_delete", { method: "DELETE" })).status).toBe(204);
    expect((await call("/v0/pipes/metrics.json", { token: t.token })).status).toBe(403);
    expect((await call("/v0/tokens/to_delete")).status).toBe(404);
  });

  it("refuses to delete a default token", async () => {
    const res = await call("/v0/tokens/workspace%20admin%20token", { method: "DELETE" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Token 'workspace admin token' is a default token and cannot be deleted" });
  });
});

describe("who may manage tokens", () => {
  it("403 without TOKENS or ADMIN", async () => {
    const t = await create("no_tokens_scope", "PIPES:READ:metrics");
    const res = await call("/v0/tokens", { token: t.token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Permission denied: this operation needs the TOKENS or ADMIN scope" });
  });

  it("a TOKENS token manages tokens", async () => {
    const t = await create("token_admin", "TOKENS");
    expect((await call("/v0/tokens", { token: t.token })).status).toBe(200);
  });
});

describe("JWTs", () => {
  it("mints a JWT at /v0/tokens/ (the TS SDK's trailing slash)", async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const res = await call(`/v0/tokens/?expiration_time=${exp}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "user_42",
        scopes: [{ type: "PIPES:READ", resource: "top_pages", fixed_params: { tenant: "acme" } }],
        limits: { rps: 5 },
      }),
    });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as any;
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      workspace_id: ws.id,
      name: "user_42",
      exp,
      scopes: [{ type: "PIPES:READ", resource: "top_pages", fixed_params: { tenant: "acme" } }],
      limits: { rps: 5 },
    });
    const data = (await (await call("/v0/pipes/top_pages.json?tenant=globex", { token })).json()) as any;
    expect(data.data).toEqual([
      { pathname: "/p0", views: 2, total: 6 },
      { pathname: "/p1", views: 1, total: 4 },
      { pathname: "/p2", views: 2, total: 10 },
    ]);
  });

  it("400 for an expiration in the past", async () => {
    const res = await call("/v0/tokens/?expiration_time=1000", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", scopes: [{ type: "PIPES:READ", resource: "top_pages" }] }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Invalid JWT token request: expiration_time must be a future Unix time in seconds" });
  });

  it("400 for a scope a JWT cannot carry", async () => {
    const res = await call(`/v0/tokens/?expiration_time=${Math.floor(Date.now() / 1000) + 60}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", scopes: [{ type: "ADMIN", resource: "x" }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error).toMatch(/^Invalid JWT token request: scopes\.0\.type: /);
  });

  it("403 when minting without TOKENS or ADMIN", async () => {
    const t = await create("cannot_mint", "PIPES:READ:top_pages");
    const res = await call(`/v0/tokens/?expiration_time=${Math.floor(Date.now() / 1000) + 60}`, {
      method: "POST",
      token: t.token,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x", scopes: [{ type: "PIPES:READ", resource: "top_pages" }] }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Permission denied: this operation needs the TOKENS or ADMIN scope" });
  });
});
