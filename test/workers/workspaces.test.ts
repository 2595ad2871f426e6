import { describe, expect, it } from "vitest";
import { api, createWorkspace, credentials } from "./helpers/api.js";
import { decodeToken } from "../../shared/tokens/format.js";

describe("workspaces API", () => {
  it("creates a workspace with its own admin token", async () => {
    const ws = await createWorkspace("made");
    expect(ws.name).toMatch(/^made_/);
    expect(decodeToken(ws.token)?.u).toBe(ws.id);
    const res = await api("/v1/workspace", { token: ws.token });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: ws.id, name: ws.name });
  });

  it("lists workspaces with their tokens, the default one included", async () => {
    const ws = await createWorkspace("listed");
    const res = await api("/v1/user/workspaces?with_organization=true", { token: credentials().adminToken });
    const body = (await res.json()) as { organization_id: string; workspaces: Array<{ id: string; name: string; token: string }> };
    expect(body.workspaces.map((w) => w.id)).toEqual(expect.arrayContaining([credentials().workspaceId, ws.id]));
    expect(body.workspaces.find((w) => w.id === ws.id)?.token).toBe(ws.token);
  });

  it("refuses a duplicate name with 409", async () => {
    const ws = await createWorkspace("dup");
    const res = await api("/v1/workspaces", {
      method: "POST",
      token: credentials().userToken,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: ws.name }),
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: `A workspace named '${ws.name}' already exists` });
  });

  it("refuses a bad name with 400", async () => {
    const res = await api("/v1/workspaces?name=bad-name", { method: "POST", token: credentials().userToken });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/letters, digits and _/);
  });

  it("refuses a workspace token that lacks admin rights", async () => {
    const res = await api("/v1/workspaces?name=x1", { method: "POST", token: "p.bm9wZQ.x" });
    expect(res.status).toBe(403);
  });

  it("deletes a workspace and its token stops working", async () => {
    const ws = await createWorkspace("gone");
    const del = await api(`/v1/workspaces/${ws.id}?hard_delete_confirmation=yes`, { method: "DELETE", token: credentials().userToken });
    expect(del.status).toBe(200);
    const after = await api("/v1/user/workspaces", { token: credentials().userToken });
    const body = (await after.json()) as { workspaces: Array<{ id: string }> };
    expect(body.workspaces.map((w) => w.id)).not.toContain(ws.id);
  });
});
