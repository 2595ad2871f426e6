/**
 * `/v1/user/workspaces` (and `/v0/…`) with Tinybird's `only_environments` and
 * `with_environments` flags, as `tb branch` and `tb workspace` call them: a
 * workspace without branches lists none, a branch is listed with `is_branch`
 * and its workspace in `main`, and the plain list never shows branches.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace, credentials } from "./helpers/api.js";

let ws: { id: string; name: string; token: string };

async function list(query: string, version = "v1"): Promise<{ workspaces: Array<{ id: string; name: string; is_branch: boolean; main: string | null }> }> {
  const res = await api(`/${version}/user/workspaces/?${query}`, { token: credentials().userToken });
  expect(res.status).toBe(200);
  return res.json();
}
const mine = (ws_: { workspaces: Array<{ id: string; main: string | null }> }, id: string) => ws_.workspaces.filter((w) => w.id === id || w.main === id);

beforeAll(async () => {
  ws = await createWorkspace("envs");
});

describe("only_environments and with_environments", () => {
  it("a workspace without branches: only_environments=true lists none of its own, on v0 and v1", async () => {
    expect(mine(await list("with_environments=true&only_environments=true"), ws.id)).toEqual([]);
    expect(mine(await list("with_environments=true&only_environments=true", "v0"), ws.id)).toEqual([]);
  });

  it("a branch is listed with is_branch and main; the plain list leaves it out; with_environments adds it", async () => {
    const created = await api("/v1/environments?name=envs_branch", { method: "POST", token: ws.token });
    expect(created.status, await created.clone().text()).toBe(200);
    const branchId = ((await created.json()) as { workspace: { id: string } }).workspace.id;

    const only = mine(await list("with_environments=true&only_environments=true"), ws.id);
    expect(only).toEqual([expect.objectContaining({ id: branchId, name: "envs_branch", is_branch: true, main: ws.id, token: expect.any(String) })]);
    expect(mine(await list(""), ws.id)).toEqual([expect.objectContaining({ id: ws.id, is_branch: false, main: null })]);
    expect(mine(await list("with_environments=true"), ws.id).map((w) => [w.id, w.main])).toEqual([[ws.id, null], [branchId, ws.id]]);
  });
});
