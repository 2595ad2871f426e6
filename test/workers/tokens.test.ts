// The Token API: list, create (static and JWT), get, refresh, delete, and who may call it.
import { env, listDurableObjectIds } from "cloudflare:test";
import { decodeJwt, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { deployProject, EVENTS, type Deployed } from "./endpoints-project.js";
import { decodeToken, signToken } from "../../shared/tokens/format.js";
import type { LocalCredentials } from "../../shared/tokens/local.js";

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

// ------------------------------------------------------------------------
// As an attacker: no token mints or reveals a token stronger than itself, and
// no token acts outside its workspace. Rules: docs/workspaces.md.

const creds = JSON.parse(env.TERN_CREDENTIALS!) as LocalCredentials;
const JWT_DENIED = "JWT tokens are only accepted by API endpoints (/v0/pipes) and the Query API (/v0/sql)";
const MANAGE_DENIED = "Permission denied: this operation needs the TOKENS or ADMIN scope";
const cannotGrant = (scope: string) => `Permission denied: a token can only grant scopes it holds, and yours does not hold '${scope}'`;
const holdsMore = (name: string) => `Permission denied: token '${name}' holds more than your token does`;

async function send(method: string, path: string, token: string, init: { form?: Array<[string, string]>; json?: unknown } = {}): Promise<{ status: number; body: any }> {
  const res = await api(path, {
    method,
    token,
    ...(init.form ? { headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(init.form) } : {}),
    ...(init.json !== undefined ? { headers: { "content-type": "application/json" }, body: JSON.stringify(init.json) } : {}),
  });
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}

/** POST /v0/tokens as `token`: a static token named `name` with `scopes`. */
const createAs = (token: string, name: string, ...scopes: string[]) =>
  send("POST", "/v0/tokens", token, { form: [["name", name], ...scopes.map((s) => ["scope", s] as [string, string])] });

const mintAs = (token: string, scopes: unknown[]) =>
  send("POST", `/v0/tokens/?expiration_time=${Math.floor(Date.now() / 1000) + 600}`, token, { json: { name: "tenant_jwt", scopes } });

describe("a token grants only scopes it holds", () => {
  let tokensOnly: any;
  let manager: any;
  beforeAll(async () => {
    tokensOnly = await create("g_tokens_only", "TOKENS");
    manager = await create("g_manager", "TOKENS", "PIPES:READ:top_pages", "DATASOURCES:READ:events:tenant = 'acme'");
  });

  it("ADMIN cannot grant ADMIN_USER, the user token's own scope", async () => {
    expect(await createAs(ws.token, "g_user", "ADMIN_USER")).toEqual({
      status: 403,
      body: { error: "Permission denied: ADMIN_USER is the user token's own scope and cannot be granted" },
    });
  });

  it("TOKENS alone grants TOKENS", async () => {
    const res = await createAs(tokensOnly.token, "g_tokens_child", "TOKENS");
    expect(res.status).toBe(200);
    expect(res.body.scopes).toEqual([{ type: "TOKENS" }]);
  });

  it("TOKENS alone cannot grant ADMIN", async () => {
    expect(await createAs(tokensOnly.token, "g_admin", "ADMIN")).toEqual({ status: 403, body: { error: cannotGrant("ADMIN") } });
  });

  it("TOKENS alone cannot grant a read", async () => {
    expect(await createAs(tokensOnly.token, "g_read", "PIPES:READ:top_pages")).toEqual({ status: 403, body: { error: cannotGrant("PIPES:READ:top_pages") } });
  });

  it("a token grants a read it holds, and the new token reads", async () => {
    const res = await createAs(manager.token, "g_reader", "PIPES:READ:top_pages");
    expect(res.status).toBe(200);
    expect((await call("/v0/pipes/top_pages.json", { token: res.body.token })).status).toBe(200);
  });

  it("a filtered read grants the very same filter", async () => {
    const res = await createAs(manager.token, "g_acme", "DATASOURCES:READ:events:tenant = 'acme'");
    expect(res.status).toBe(200);
    expect(res.body.scopes).toEqual([{ type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'acme'" }]);
  });

  it("a filtered read cannot grant the unfiltered read", async () => {
    expect(await createAs(manager.token, "g_all", "DATASOURCES:READ:events")).toEqual({ status: 403, body: { error: cannotGrant("DATASOURCES:READ:events") } });
  });

  it("a filtered read cannot grant another filter", async () => {
    expect(await createAs(manager.token, "g_globex", "DATASOURCES:READ:events:tenant = 'globex'")).toEqual({
      status: 403,
      body: { error: cannotGrant("DATASOURCES:READ:events:tenant = 'globex'") },
    });
  });

  it("a filtered read cannot widen its own filter", async () => {
    expect(await createAs(manager.token, "g_wide", "DATASOURCES:READ:events:tenant = 'acme' OR 1 = 1")).toEqual({
      status: 403,
      body: { error: cannotGrant("DATASOURCES:READ:events:tenant = 'acme' OR 1 = 1") },
    });
  });

  it("a read on one pipe cannot grant another pipe", async () => {
    expect(await createAs(manager.token, "g_other", "PIPES:READ:echo")).toEqual({ status: 403, body: { error: cannotGrant("PIPES:READ:echo") } });
  });

  it("DATASOURCES:CREATE grants APPEND on a datasource", async () => {
    const creator = await create("g_creator", "TOKENS", "DATASOURCES:CREATE");
    expect((await createAs(creator.token, "g_appender", "DATASOURCES:APPEND:events")).status).toBe(200);
  });

  it("WORKSPACE:READ_ALL grants a filtered read but not an append", async () => {
    const all = await create("g_read_all", "TOKENS", "WORKSPACE:READ_ALL");
    expect((await createAs(all.token, "g_ra_read", "DATASOURCES:READ:events:tenant = 'x'")).status).toBe(200);
    expect(await createAs(all.token, "g_ra_append", "DATASOURCES:APPEND:events")).toEqual({ status: 403, body: { error: cannotGrant("DATASOURCES:APPEND:events") } });
  });

  it("one scope it does not hold refuses the whole token, and nothing is stored", async () => {
    expect((await createAs(manager.token, "g_mixed", "PIPES:READ:top_pages", "WORKSPACE:READ_ALL")).status).toBe(403);
    expect((await call("/v0/tokens/g_mixed")).status).toBe(404);
  });

  it("scope objects in a JSON body follow the same rule", async () => {
    expect(await send("POST", "/v0/tokens", manager.token, { json: { name: "g_json", scopes: [{ type: "DATASOURCES:READ", resource: "events" }] } })).toEqual({
      status: 403,
      body: { error: cannotGrant("DATASOURCES:READ:events") },
    });
  });

  it("no token raises its own scopes", async () => {
    expect(await createAs(tokensOnly.token, "g_tokens_only", "TOKENS", "ADMIN")).toEqual({ status: 403, body: { error: cannotGrant("ADMIN") } });
    expect((await (await call("/v0/tokens/g_tokens_only")).json()) as any).toMatchObject({ scopes: [{ type: "TOKENS" }] });
  });

  it("no token rewrites a token it does not cover (its secret would come back)", async () => {
    const reader = await create("g_victim", "PIPES:READ:top_pages");
    expect(await createAs(tokensOnly.token, "g_victim", "TOKENS")).toEqual({ status: 403, body: { error: holdsMore("g_victim") } });
    expect((await call("/v0/pipes/top_pages.json", { token: reader.token })).status).toBe(200);
  });

  it("a token may narrow a token it covers", async () => {
    await createAs(manager.token, "g_narrowed", "PIPES:READ:top_pages", "TOKENS");
    const res = await createAs(manager.token, "g_narrowed", "PIPES:READ:top_pages");
    expect(res.status).toBe(200);
    expect(res.body.scopes).toEqual([{ type: "PIPES:READ", resource: "top_pages" }]);
  });
});

describe("a JWT carries only scopes its minter holds", () => {
  let tokensOnly: any;
  let manager: any;
  beforeAll(async () => {
    tokensOnly = await create("j_tokens_only", "TOKENS");
    manager = await create("j_manager", "TOKENS", "PIPES:READ:top_pages", "DATASOURCES:READ:events:tenant = 'acme'");
  });

  it("a token mints a JWT for a pipe it reads, with fixed params, and the JWT reads", async () => {
    const res = await mintAs(manager.token, [{ type: "PIPES:READ", resource: "top_pages", fixed_params: { tenant: "acme" } }]);
    expect(res.status).toBe(200);
    expect((await call("/v0/pipes/top_pages.json", { token: res.body.token })).status).toBe(200);
  });

  it("a filtered read mints a JWT with the same filter", async () => {
    const res = await mintAs(manager.token, [{ type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'acme'" }]);
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.token).scopes).toEqual([{ type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'acme'" }]);
  });

  it("a filtered read cannot mint an unfiltered JWT", async () => {
    expect(await mintAs(manager.token, [{ type: "DATASOURCES:READ", resource: "events" }])).toEqual({ status: 403, body: { error: cannotGrant("DATASOURCES:READ:events") } });
  });

  it("a filtered read cannot mint a JWT with another filter", async () => {
    expect(await mintAs(manager.token, [{ type: "DATASOURCES:READ", resource: "events", filter: "1 = 1" }])).toEqual({
      status: 403,
      body: { error: cannotGrant("DATASOURCES:READ:events:1 = 1") },
    });
  });

  it("cannot mint a JWT for a pipe it does not read", async () => {
    expect(await mintAs(manager.token, [{ type: "PIPES:READ", resource: "echo" }])).toEqual({ status: 403, body: { error: cannotGrant("PIPES:READ:echo") } });
  });

  it("cannot mint an appending JWT without an append scope", async () => {
    expect(await mintAs(manager.token, [{ type: "DATASOURCES:APPEND", resource: "events" }])).toEqual({ status: 403, body: { error: cannotGrant("DATASOURCES:APPEND:events") } });
  });

  it("TOKENS alone mints no JWT", async () => {
    expect(await mintAs(tokensOnly.token, [{ type: "PIPES:READ", resource: "top_pages" }])).toEqual({ status: 403, body: { error: cannotGrant("PIPES:READ:top_pages") } });
  });

  it("the `scope` string form follows the same rule", async () => {
    const res = await send("POST", `/v0/tokens/?expiration_time=${Math.floor(Date.now() / 1000) + 600}`, manager.token, { json: { name: "s", scope: "PIPES:READ:echo" } });
    expect(res).toEqual({ status: 403, body: { error: cannotGrant("PIPES:READ:echo") } });
  });
});

describe("listing shows a secret only to a token that covers it", () => {
  let lw: { id: string; name: string; token: string };
  const secrets: Record<string, string> = {};
  beforeAll(async () => {
    lw = await createWorkspace("tok_list");
    for (const [name, scopes] of [
      ["l_tokens", ["TOKENS"]],
      ["l_manager", ["TOKENS", "PIPES:READ:a"]],
      ["l_a", ["PIPES:READ:a"]],
      ["l_b", ["PIPES:READ:b"]],
      ["l_admin", ["ADMIN"]],
    ] as Array<[string, string[]]>) {
      secrets[name] = (await createAs(lw.token, name, ...scopes)).body.token;
    }
  });
  /** name → whether the list shows its secret. */
  const shown = (body: any) => Object.fromEntries(body.tokens.map((t: any) => [t.name, "token" in t]));

  it("ADMIN sees every secret of its workspace", async () => {
    const { body } = await send("GET", "/v0/tokens", lw.token);
    expect(shown(body)).toEqual({ "workspace admin token": true, l_tokens: true, l_manager: true, l_a: true, l_b: true, l_admin: true });
  });

  it("a TOKENS token sees the secrets of the tokens it covers only", async () => {
    const { body } = await send("GET", "/v0/tokens", secrets.l_manager!);
    expect(shown(body)).toEqual({ "workspace admin token": false, l_tokens: true, l_manager: true, l_a: true, l_b: false, l_admin: false });
  });

  it("a token it does not cover is listed with its name and scopes, without its secret", async () => {
    const { body } = await send("GET", "/v0/tokens", secrets.l_tokens!);
    expect(body.tokens.find((t: any) => t.name === "l_b")).toEqual({ id: expect.any(String), name: "l_b", description: "", scopes: [{ type: "PIPES:READ", resource: "b" }], origin: "api" });
  });

  it("a workspace admin token does not see the secrets of its user's tokens", async () => {
    const { body } = await send("GET", "/v0/tokens", creds.workspaceAdminToken);
    expect(shown(body)).toMatchObject({ "workspace admin token": true, "admin token": false, "user token": false });
  });

  it("the user's admin token sees its own secret, not the user token's", async () => {
    const { body } = await send("GET", "/v0/tokens", creds.adminToken);
    expect(shown(body)).toMatchObject({ "workspace admin token": true, "admin token": true, "user token": false });
  });
});

describe("reading, refreshing and deleting a token need to cover it", () => {
  let tokensOnly: any;
  let manager: any;
  let reader: any;
  beforeAll(async () => {
    tokensOnly = await create("r_tokens_only", "TOKENS");
    manager = await create("r_manager", "TOKENS", "PIPES:READ:top_pages");
    reader = await create("r_reader", "PIPES:READ:top_pages");
  });

  it("TOKENS cannot read the workspace admin token", async () => {
    expect(await send("GET", "/v0/tokens/workspace%20admin%20token", tokensOnly.token)).toEqual({ status: 403, body: { error: holdsMore("workspace admin token") } });
  });

  it("TOKENS cannot read a token by its secret either", async () => {
    expect(await send("GET", `/v0/tokens/${ws.token}`, tokensOnly.token)).toEqual({ status: 403, body: { error: holdsMore("workspace admin token") } });
  });

  it("a token reads a token it covers, secret included", async () => {
    expect(await send("GET", "/v0/tokens/r_reader", manager.token)).toEqual({ status: 200, body: expect.objectContaining({ name: "r_reader", token: reader.token }) });
  });

  it("TOKENS cannot refresh a token it does not cover, which keeps working", async () => {
    expect(await send("POST", "/v0/tokens/r_reader/refresh", tokensOnly.token)).toEqual({ status: 403, body: { error: holdsMore("r_reader") } });
    expect((await call("/v0/pipes/top_pages.json", { token: reader.token })).status).toBe(200);
  });

  it("TOKENS cannot refresh the workspace admin token, which keeps working", async () => {
    expect(await send("POST", "/v0/tokens/workspace%20admin%20token/refresh", tokensOnly.token)).toEqual({ status: 403, body: { error: holdsMore("workspace admin token") } });
    expect((await call("/v0/tokens")).status).toBe(200);
  });

  it("TOKENS cannot delete a token it does not cover, which keeps working", async () => {
    expect(await send("DELETE", "/v0/tokens/r_reader", tokensOnly.token)).toEqual({ status: 403, body: { error: holdsMore("r_reader") } });
    expect((await call("/v0/pipes/top_pages.json", { token: reader.token })).status).toBe(200);
  });

  it("a token refreshes itself", async () => {
    const self = await create("r_self", "TOKENS");
    const res = await send("POST", "/v0/tokens/r_self/refresh", self.token);
    expect(res.status).toBe(200);
    expect(res.body.token).not.toBe(self.token);
    expect((await call("/v0/tokens", { token: res.body.token })).status).toBe(200);
  });

  it("a token deletes a token it covers", async () => {
    await create("r_doomed", "PIPES:READ:top_pages");
    expect(await send("DELETE", "/v0/tokens/r_doomed", manager.token)).toEqual({ status: 204, body: null });
  });

  it("a workspace admin token cannot read the user token", async () => {
    expect(await send("GET", "/v0/tokens/user%20token", creds.workspaceAdminToken)).toEqual({ status: 403, body: { error: holdsMore("user token") } });
  });

  it("a workspace admin token cannot read the user's admin token", async () => {
    expect(await send("GET", "/v0/tokens/admin%20token", creds.workspaceAdminToken)).toEqual({ status: 403, body: { error: holdsMore("admin token") } });
  });

  it("a workspace admin token cannot refresh the user's admin token", async () => {
    expect(await send("POST", "/v0/tokens/admin%20token/refresh", creds.workspaceAdminToken)).toEqual({ status: 403, body: { error: holdsMore("admin token") } });
  });

  it("a workspace admin token cannot delete the user token", async () => {
    expect(await send("DELETE", "/v0/tokens/user%20token", creds.workspaceAdminToken)).toEqual({ status: 403, body: { error: holdsMore("user token") } });
  });

  it("the user's admin token cannot read the user token", async () => {
    expect(await send("GET", "/v0/tokens/user%20token", creds.adminToken)).toEqual({ status: 403, body: { error: holdsMore("user token") } });
  });
});

describe("tokens that cannot manage tokens", () => {
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    tokens.READ = (await create("m_read", "PIPES:READ:top_pages", "DATASOURCES:READ:events")).token;
    tokens.APPEND = (await create("m_append", "DATASOURCES:APPEND:events")).token;
    tokens.user = creds.userToken;
    tokens.JWT = (await mintAs(ws.token, [{ type: "PIPES:READ", resource: "top_pages" }])).body.token;
  });
  const routes: Array<[string, string, string]> = [
    ["list", "GET", "/v0/tokens"],
    ["create", "POST", "/v0/tokens?name=m_new&scope=PIPES:READ:top_pages"],
    ["read", "GET", "/v0/tokens/m_read"],
    ["refresh", "POST", "/v0/tokens/m_read/refresh"],
    ["delete", "DELETE", "/v0/tokens/m_read"],
  ];
  const cases = ["READ", "APPEND", "user", "JWT"].flatMap((kind) => routes.map(([what, method, path]) => [kind, what, method, path] as const));

  it.each(cases)("a %s token cannot %s tokens", async (kind, _what, method, path) => {
    expect(await send(method, path, tokens[kind]!)).toEqual({ status: 403, body: { error: kind === "JWT" ? JWT_DENIED : MANAGE_DENIED } });
  });
});

describe("a token acts only in the workspace it was minted for", () => {
  /** A static token for `payload`, signed with `secret`. */
  const forge = (payload: { u: string; id: string }, secret: string) => signToken(payload, secret);
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

  it("a token whose payload is rewritten to name another workspace is refused", async () => {
    const [, , signature] = ws.token.split(".");
    const moved = `p.${b64({ u: creds.workspaceId, id: decodeToken(ws.token)!.id })}.${signature}`;
    expect(await send("GET", "/v0/tokens", moved)).toEqual({ status: 403, body: { error: "Invalid token" } });
  });

  it("a token signed with one workspace's secret but naming another is refused", async () => {
    const token = await forge({ u: ws.id, id: decodeToken(ws.token)!.id }, creds.signingSecret);
    expect(await send("GET", "/v0/tokens", token)).toEqual({ status: 403, body: { error: "Invalid token" } });
  });

  it("an unsigned token is refused", async () => {
    const [head, payload] = ws.token.split(".");
    expect(await send("GET", "/v0/tokens", `${head}.${payload}.`)).toEqual({ status: 403, body: { error: "Invalid token" } });
  });

  it("a token with a made-up signature is refused", async () => {
    const [head, payload] = ws.token.split(".");
    expect(await send("GET", "/v0/tokens", `${head}.${payload}.${"A".repeat(43)}`)).toEqual({ status: 403, body: { error: "Invalid token" } });
  });

  it("a token signed with another workspace's secret is refused even when planted in this workspace's catalog", async () => {
    const planted = await forge({ u: ws.id, id: "planted" }, creds.signingSecret);
    await env.WORKSPACE.get(env.WORKSPACE.idFromName(ws.id)).upsertToken({ id: "planted", name: "planted", token: planted, scopes: ["ADMIN"], origin: "api" });
    expect(await send("GET", "/v0/tokens", planted)).toEqual({ status: 403, body: { error: "Invalid token" } });
  });

  it("a token naming a workspace that does not exist is refused without bringing a catalog into being", async () => {
    const u = crypto.randomUUID();
    expect(await send("GET", "/v0/tokens", await forge({ u, id: "x" }, "any-secret-at-all"))).toEqual({ status: 403, body: { error: "Invalid token" } });
    const made = (await listDurableObjectIds(env.WORKSPACE)).map((id) => id.toString());
    expect(made).not.toContain(env.WORKSPACE.idFromName(u).toString());
  });

  it("a JWT naming a workspace that does not exist is refused without bringing a catalog into being", async () => {
    const u = crypto.randomUUID();
    const jwt = await new SignJWT({ workspace_id: u, name: "x", exp: Math.floor(Date.now() / 1000) + 600, scopes: [{ type: "PIPES:READ", resource: "top_pages" }] })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode("any-key"));
    expect(await send("GET", "/v0/pipes/top_pages.json", jwt)).toEqual({ status: 403, body: { error: "Invalid token" } });
    const made = (await listDurableObjectIds(env.WORKSPACE)).map((id) => id.toString());
    expect(made).not.toContain(env.WORKSPACE.idFromName(u).toString());
  });

  it("a JWT signed with one workspace's admin token but naming another is refused", async () => {
    const jwt = await new SignJWT({ workspace_id: creds.workspaceId, name: "x", exp: Math.floor(Date.now() / 1000) + 600, scopes: [{ type: "PIPES:READ", resource: "top_pages" }] })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(ws.token));
    expect(await send("GET", "/v0/pipes/top_pages.json", jwt)).toEqual({ status: 403, body: { error: "Invalid token" } });
  });

  it("a workspace admin token lists only its own workspace's tokens", async () => {
    const { body } = await send("GET", "/v0/tokens", ws.token);
    expect(body.tokens.map((t: any) => t.name)).not.toContain("user token");
    expect(body.tokens.every((t: any) => !("token" in t) || decodeToken(t.token)?.u === ws.id)).toBe(true);
  });
});

describe("a deployment's TOKEN lines widen existing tokens only within the deployer's scopes", () => {
  const pipe = (token: string) => `TOKEN "${token}" READ\n\nNODE endpoint\nSQL >\n    SELECT count() AS c FROM events\n\nTYPE endpoint\n`;
  const project = (token: string) => ({ "events.datasource": EVENTS, "counted.pipe": pipe(token) });
  const widenDenied = (name: string) =>
    `Permission denied: this deployment gives token '${name}' scopes your token does not hold (PIPES:READ:counted); deploy it with a token that holds them, such as an ADMIN token`;

  it("a DEPLOY token cannot name itself to gain a read, and nothing is deployed", async () => {
    const dw = await createWorkspace("tok_deploy");
    const ci = (await createAs(dw.token, "ci", "WORKSPACE:DEPLOY")).body;
    expect(await deploy(project("ci"), "auto_promote=true", ci.token)).toEqual({ status: 403, body: { error: widenDenied("ci") } });
    expect((await send("GET", "/v0/tokens/ci", dw.token)).body.scopes).toEqual([{ type: "WORKSPACE:DEPLOY" }]);
    expect((await send("GET", "/v1/deployments", dw.token)).body).toEqual({ deployments: [] });
  });

  it("a DEPLOY token cannot set live a staged deployment that widens it", async () => {
    const dw = await createWorkspace("tok_stage");
    const ci = (await createAs(dw.token, "ci", "WORKSPACE:DEPLOY")).body;
    const staged = await deploy(project("ci"), "auto_promote=false", dw.token);
    expect(staged.status).toBe(200);
    expect(await send("POST", `/v1/deployments/${staged.body.deployment.id}/set-live`, ci.token)).toEqual({ status: 403, body: { error: widenDenied("ci") } });
  });

  it("a DEPLOY token declares new tokens", async () => {
    const dw = await createWorkspace("tok_new");
    const ci = (await createAs(dw.token, "ci", "WORKSPACE:DEPLOY")).body;
    expect((await deploy(project("fresh_reader"), "auto_promote=true", ci.token)).status).toBe(200);
    expect((await send("GET", "/v0/tokens/fresh_reader", dw.token)).body.scopes).toEqual([{ type: "PIPES:READ", resource: "counted" }]);
  });

  it("an ADMIN deployment adds declared scopes to a hand-made token, which reads at once", async () => {
    const dw = await createWorkspace("tok_hand");
    const hand = (await createAs(dw.token, "hand", "DATASOURCES:READ:events")).body;
    expect((await call("/v0/pipes/counted.json", { token: hand.token })).status).toBe(403); // now cached with its old scopes
    expect((await deploy(project("hand"), "auto_promote=true", dw.token)).status).toBe(200);
    expect((await call("/v0/pipes/counted.json", { token: hand.token })).status).toBe(200);
  });
});
