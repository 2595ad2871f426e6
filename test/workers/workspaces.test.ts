// The workspaces API as an attacker tries it: two users (the default user of
// TERN_CREDENTIALS and a second one), their workspaces, and every kind of token
// (user, the user's admin token, workspace admin, TOKENS, READ, APPEND, JWT)
// against listing, creating and deleting. Rules: docs/workspaces.md.
import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace } from "./helpers/api.js";
import { decodeToken } from "../../shared/tokens/format.js";
import type { LocalCredentials } from "../../shared/tokens/local.js";
import { createUser } from "../../workers/workspaces/service.js";
import { platformFor } from "../../workers/platform/platform.js";
import { Directory } from "../../workers/catalog/directory.js";
import { WorkspaceCatalog } from "../../workers/catalog/workspace-catalog.js";

const creds = JSON.parse(env.TERN_CREDENTIALS!) as LocalCredentials;

type Workspace = { id: string; name: string; token: string };
type User = Awaited<ReturnType<typeof createUser>>;

const unique = (prefix: string) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 8)}`;
const newUser = (): Promise<User> => createUser(platformFor(env, createExecutionContext()), unique("home"));

/** A list entry as the API answers it. */
// With the fields Tinybird's CLI reads (tb workspace ls|current|create): role, plan, branch-ness, organization.
const listed = (ws: Workspace) => ({
  id: ws.id,
  name: ws.name,
  token: ws.token,
  created_at: expect.any(String),
  role: "admin",
  plan: "dev",
  is_branch: false,
  main: null,
  organization: { id: "local", name: "local", role: "admin" },
});

async function call(method: string, path: string, token: string | null, form?: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await api(path, {
    method,
    token,
    ...(form ? { headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

const list = (token: string, path = "/v1/user/workspaces?with_organization=true") => call("GET", path, token);
const create = (token: string, name: string) => call("POST", "/v1/workspaces", token, { name });
const remove = (token: string, idOrName: string) => call("DELETE", `/v1/workspaces/${encodeURIComponent(idOrName)}?hard_delete_confirmation=yes`, token);
const ids = (body: { workspaces: Array<{ id: string }> }) => body.workspaces.map((w) => w.id);

/** A workspace token with `scopes`, made by the workspace's admin token. */
async function staticToken(ws: Workspace, name: string, ...scopes: string[]): Promise<string> {
  const res = await api("/v0/tokens", {
    method: "POST",
    token: ws.token,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams([["name", name], ...scopes.map((s) => ["scope", s] as [string, string])]),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function jwtFor(ws: Workspace): Promise<string> {
  const res = await api(`/v0/tokens/?expiration_time=${Math.floor(Date.now() / 1000) + 600}`, {
    method: "POST",
    token: ws.token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "browser", scopes: [{ type: "PIPES:READ", resource: "anything" }] }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

const DEFAULT_WS: Workspace = { id: creds.workspaceId, name: creds.workspaceName, token: creds.workspaceAdminToken };
const CREATE_DENIED = "Permission denied: creating a workspace needs a user token (scope ADMIN_USER); a workspace admin token acts on its own workspace only";
const DELETE_DENIED = "Permission denied: deleting a workspace needs a user token (scope ADMIN_USER); a workspace admin token acts on its own workspace only";
const LIST_DENIED = "Permission denied: listing workspaces needs a user token or an admin token";
const JWT_DENIED = "JWT tokens are only accepted by API endpoints (/v0/pipes) and the Query API (/v0/sql)";

let userB: User;
/** The default user's second workspace, made with its user token. */
let a1: Workspace;

beforeAll(async () => {
  userB = await newUser();
  a1 = await createWorkspace("a1");
});

describe("a user token", () => {
  it("lists exactly its user's workspaces, each with its workspace admin token", async () => {
    const user = await newUser();
    const second = (await create(user.userToken, unique("second"))).body as Workspace;
    expect(await list(user.userToken)).toEqual({ status: 200, body: { id: expect.any(String), organization_id: "local", workspaces: [listed(user.workspace), listed(second)] } });
  });

  it("answers the same list on /v1/workspaces", async () => {
    const user = await newUser();
    expect(await list(user.userToken, "/v1/workspaces")).toEqual({ status: 200, body: { id: expect.any(String), organization_id: "local", workspaces: [listed(user.workspace)] } });
  });

  it("of the default user lists the default workspace and the ones it created, none of another user's", async () => {
    const { status, body } = await list(creds.userToken);
    expect(status).toBe(200);
    expect(body.workspaces).toEqual(expect.arrayContaining([listed(DEFAULT_WS), listed(a1)]));
    expect(ids(body)).not.toContain(userB.workspace.id);
  });

  it("creates a workspace with its own workspace admin token", async () => {
    const name = unique("made");
    const { status, body } = await create(userB.userToken, name);
    expect(status).toBe(200);
    expect(body).toEqual({ id: expect.any(String), name, token: expect.stringMatching(/^p\./) });
    expect(decodeToken(body.token)?.u).toBe(body.id);
    const info = await api("/v1/workspace", { token: body.token });
    expect(await info.json()).toMatchObject({ id: body.id, name });
  });

  it("creates a workspace that its user owns and no other user sees", async () => {
    const made = (await create(userB.userToken, unique("owned"))).body as Workspace;
    expect(ids((await list(userB.userToken)).body)).toContain(made.id);
    expect(ids((await list(creds.userToken)).body)).not.toContain(made.id);
  });

  it("lets two users give their workspaces the same name", async () => {
    const name = unique("same");
    const ofA = await create(creds.userToken, name);
    const ofB = await create(userB.userToken, name);
    expect([ofA.status, ofB.status]).toEqual([200, 200]);
    expect(ofA.body.id).not.toBe(ofB.body.id);
  });

  it("refuses a name its user already uses with 409", async () => {
    const name = unique("dup");
    await create(userB.userToken, name);
    expect(await create(userB.userToken, name)).toEqual({ status: 409, body: { error: `A workspace named '${name}' already exists` } });
  });

  it("refuses a bad name with 400", async () => {
    expect(await create(creds.userToken, "bad-name")).toEqual({
      status: 400,
      body: { error: "Workspace names start with a letter or _ and use only letters, digits and _ (at most 128)" },
    });
  });

  it("refuses a missing name with 400", async () => {
    expect(await call("POST", "/v1/workspaces", creds.userToken)).toEqual({ status: 400, body: { error: "The workspace 'name' is required" } });
  });

  it("deletes a workspace of its user, which then leaves the list", async () => {
    const gone = (await create(userB.userToken, unique("gone"))).body as Workspace;
    expect(await remove(userB.userToken, gone.id)).toEqual({ status: 200, body: { result: "success", id: gone.id, name: gone.name } });
    expect(ids((await list(userB.userToken)).body)).not.toContain(gone.id);
  });

  it("deletes a workspace whose tokens then stop working at once", async () => {
    const gone = (await create(userB.userToken, unique("gone"))).body as Workspace;
    expect((await api("/v1/workspace", { token: gone.token })).status).toBe(200);
    await remove(userB.userToken, gone.id);
    expect(await call("GET", "/v1/workspace", gone.token)).toEqual({ status: 403, body: { error: "Invalid token" } });
  });

  it("answers 404 for another user's workspace, exactly as for a missing one, and leaves it alone", async () => {
    expect(await remove(userB.userToken, a1.id)).toEqual({ status: 404, body: { error: `Workspace '${a1.id}' not found` } });
    expect((await api("/v1/workspace", { token: a1.token })).status).toBe(200);
  });

  it("answers 404 for another user's workspace named by its name", async () => {
    expect(await remove(userB.userToken, a1.name)).toEqual({ status: 404, body: { error: `Workspace '${a1.name}' not found` } });
  });

  it("answers 404 for a workspace that does not exist", async () => {
    const id = crypto.randomUUID();
    expect(await remove(creds.userToken, id)).toEqual({ status: 404, body: { error: `Workspace '${id}' not found` } });
  });

  it("cannot delete the workspace it lives in", async () => {
    expect(await remove(userB.userToken, userB.workspace.id)).toEqual({ status: 400, body: { error: "A token cannot delete its own workspace" } });
  });

  it("of the default user cannot delete the default workspace", async () => {
    expect(await remove(creds.userToken, creds.workspaceId)).toEqual({ status: 400, body: { error: "A token cannot delete its own workspace" } });
  });
});

describe("the user's admin token (Tinybird's admin <email> token, the SDK's admin_token)", () => {
  it("lists its user's workspaces with ?token=, as Tinybird's SDK does", async () => {
    const user = await newUser();
    const res = await api(`/v1/user/workspaces?with_organization=true&token=${user.adminToken}`, { token: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: expect.any(String), organization_id: "local", workspaces: [listed(user.workspace)] });
  });

  it("of the default user lists the workspaces its user token created", async () => {
    const body = (await list(creds.adminToken)).body;
    expect(ids(body)).toEqual(expect.arrayContaining([creds.workspaceId, a1.id]));
    expect(ids(body)).not.toContain(userB.workspace.id);
  });

  it("cannot create a workspace", async () => {
    expect(await create(creds.adminToken, unique("nope"))).toEqual({ status: 403, body: { error: CREATE_DENIED } });
  });

  it("cannot delete a workspace, not even one of its user", async () => {
    expect(await remove(creds.adminToken, a1.id)).toEqual({ status: 403, body: { error: DELETE_DENIED } });
  });
});

describe("a workspace admin token", () => {
  it("lists only its own workspace on /v1/user/workspaces", async () => {
    expect(await list(a1.token)).toEqual({ status: 200, body: { id: a1.id, organization_id: "local", workspaces: [listed(a1)] } });
  });

  it("lists only its own workspace on /v1/workspaces", async () => {
    expect(await list(a1.token, "/v1/workspaces")).toEqual({ status: 200, body: { id: a1.id, organization_id: "local", workspaces: [listed(a1)] } });
  });

  it("of the default workspace lists only the default workspace", async () => {
    expect(await list(creds.workspaceAdminToken)).toEqual({ status: 200, body: { id: DEFAULT_WS.id, organization_id: "local", workspaces: [listed(DEFAULT_WS)] } });
  });

  it("of another user's home lists only that home", async () => {
    expect(await list(userB.workspace.token)).toEqual({ status: 200, body: { id: userB.workspace.id, organization_id: "local", workspaces: [listed(userB.workspace)] } });
  });

  it("cannot create a workspace", async () => {
    expect(await create(a1.token, unique("nope"))).toEqual({ status: 403, body: { error: CREATE_DENIED } });
  });

  it("cannot delete another workspace of its user", async () => {
    expect(await remove(a1.token, creds.workspaceId)).toEqual({ status: 403, body: { error: DELETE_DENIED } });
    expect((await api("/v1/workspace", { token: creds.workspaceAdminToken })).status).toBe(200);
  });

  it("cannot delete another user's workspace", async () => {
    expect(await remove(a1.token, userB.workspace.id)).toEqual({ status: 403, body: { error: DELETE_DENIED } });
  });

  it("cannot delete its own workspace", async () => {
    expect(await remove(a1.token, a1.id)).toEqual({ status: 403, body: { error: DELETE_DENIED } });
  });
});

describe("tokens without ADMIN", () => {
  const kinds: Array<[string, string[]]> = [
    ["TOKENS", ["TOKENS"]],
    ["READ", ["DATASOURCES:READ:events", "PIPES:READ:top"]],
    ["APPEND", ["DATASOURCES:APPEND:events"]],
    ["DEPLOY", ["WORKSPACE:DEPLOY"]],
  ];
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    for (const [kind, scopes] of kinds) tokens.set(kind, await staticToken(a1, `ws_${kind.toLowerCase()}`, ...scopes));
  });

  it.each(kinds.map(([k]) => k))("%s cannot list workspaces", async (kind) => {
    expect(await list(tokens.get(kind)!)).toEqual({ status: 403, body: { error: LIST_DENIED } });
  });

  it.each(kinds.map(([k]) => k))("%s cannot create a workspace", async (kind) => {
    expect(await create(tokens.get(kind)!, unique("nope"))).toEqual({ status: 403, body: { error: CREATE_DENIED } });
  });

  it.each(kinds.map(([k]) => k))("%s cannot delete a workspace", async (kind) => {
    expect(await remove(tokens.get(kind)!, userB.workspace.id)).toEqual({ status: 403, body: { error: DELETE_DENIED } });
  });
});

describe("JWTs", () => {
  let jwt: string;
  beforeAll(async () => {
    jwt = await jwtFor(a1);
  });

  it("cannot list workspaces", async () => {
    expect(await list(jwt)).toEqual({ status: 403, body: { error: JWT_DENIED } });
  });

  it("cannot create a workspace", async () => {
    expect(await create(jwt, unique("nope"))).toEqual({ status: 403, body: { error: JWT_DENIED } });
  });

  it("cannot delete a workspace", async () => {
    expect(await remove(jwt, userB.workspace.id)).toEqual({ status: 403, body: { error: JWT_DENIED } });
  });
});

describe("without a token", () => {
  it("listing is 401", async () => {
    expect(await list(null as unknown as string)).toEqual({
      status: 401,
      body: { error: "Missing token: send it as 'Authorization: Bearer <token>' or '?token=<token>'" },
    });
  });
});

describe("ownership in the Directory", () => {
  /** A Directory holding the table as it was before owners, with two rows, then started again. */
  async function upgradedDirectory(name: string): Promise<DirectoryStub> {
    const stub = env.DIRECTORY.get(env.DIRECTORY.idFromName(name));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("DROP TABLE workspaces");
      state.storage.sql.exec("CREATE TABLE workspaces (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)");
      state.storage.sql.exec("INSERT INTO workspaces VALUES ('w1', 'first', '2026-01-01T00:00:00.000Z'), ('w2', 'second', '2026-01-02T00:00:00.000Z')");
      new Directory(state, env);
    });
    return stub;
  }
  type DirectoryStub = DurableObjectStub<Directory>;

  it("gives workspaces recorded before owners existed to the default user", async () => {
    const stub = await upgradedDirectory("legacy-owners");
    expect(await stub.list("default")).toEqual([
      { id: "w1", name: "first", owner: "default", created_at: "2026-01-01T00:00:00.000Z" },
      { id: "w2", name: "second", owner: "default", created_at: "2026-01-02T00:00:00.000Z" },
    ]);
  });

  it("makes names unique per user after the upgrade", async () => {
    const stub = await upgradedDirectory("legacy-names");
    expect(await stub.register("w3", "first", "someone-else")).toMatchObject({ ok: true, value: { id: "w3", owner: "someone-else" } });
    expect(await stub.register("w4", "first", "default")).toEqual({ ok: false, status: 409, error: "A workspace named 'first' already exists" });
  });

  it("binds the default tokens of a catalog made before users to the user ensureWorkspace names", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("legacy-catalog"));
    const workspace = {
      id: "legacy",
      name: "legacy",
      database: "tern_legacy",
      signingSecret: "0123456789abcdef0123",
      tokens: [
        { id: "user-token", name: "user token", token: "p.legacy-user", scopes: ["ADMIN_USER"], userId: "default" },
        { id: "ws-admin", name: "workspace admin token", token: "p.legacy-admin", scopes: ["ADMIN"] },
      ],
    };
    await runInDurableObject(stub, (instance: WorkspaceCatalog, state) => {
      instance.ensureWorkspace({ ...workspace, tokens: workspace.tokens.map(({ userId: _u, ...t }) => t) });
      // The column as older catalogs lack it.
      state.storage.sql.exec("ALTER TABLE tokens DROP COLUMN user_id");
      new WorkspaceCatalog(state, env);
    });
    await stub.ensureWorkspace(workspace);
    expect((await stub.getToken("user token"))?.user_id).toBe("default");
    expect((await stub.getToken("workspace admin token"))?.user_id).toBe(null);
  });
});
