/**
 * @module testing/scratch
 * A throwaway workspace for `tern test`: created with the user token, the
 * project deployed into it, fixtures loaded, removed at the end.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { CliIO } from "../command.js";
import { failedBody, failureLines, type Deployment, type DeployResponse } from "../deployments.js";
import { ApiError, createApi, type Api } from "../http.js";
import type { ProjectFile } from "../project-files.js";
import { projectForm } from "../project-files.js";
import { uploadFile } from "../upload.js";

export interface Scratch {
  id: string;
  name: string;
  api: Api;
}

/** `tern_test_<time>_<random>`: a valid workspace name, unique enough. */
export function scratchName(): string {
  return `tern_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function createScratch(userApi: Api, fetchFn: typeof fetch): Promise<Scratch> {
  const name = scratchName();
  const ws = await userApi.request<{ id: string; name: string; token: string }>("POST", "/v1/workspaces", { json: { name } });
  return { id: ws.id, name: ws.name, api: createApi(userApi.host, ws.token, fetchFn) };
}

export async function deleteScratch(userApi: Api, scratch: Scratch): Promise<void> {
  await userApi.request("DELETE", `/v1/workspaces/${encodeURIComponent(scratch.id)}`);
}

/** Deploys the project and waits until it is live; a failure lists each file's error. */
export async function deployInto(api: Api, files: readonly ProjectFile[]): Promise<void> {
  let res: DeployResponse;
  try {
    res = await api.request<DeployResponse>("POST", "/v1/deploy", { query: { auto_promote: true }, form: projectForm(files) });
  } catch (e) {
    const body = failedBody(e);
    if (e instanceof ApiError && body) throw new Error(["the project does not deploy:", ...failureLines(body, e.message).map((l) => `  ${l}`)].join("\n"));
    throw e;
  }
  if (res.result === "failed") throw new Error(["the project does not deploy:", ...failureLines(res, "the server gave no reason").map((l) => `  ${l}`)].join("\n"));
  let d = res.deployment;
  const deadline = Date.now() + 10 * 60_000;
  while (d && !(d.status === "data_ready" && d.live)) {
    if (d.status === "failed" || d.status === "deleted" || d.status === "deleting") {
      throw new Error(["the project does not deploy:", ...failureLines({ result: "failed", deployment: d }, `deployment ${d.id} is ${d.status}`).map((l) => `  ${l}`)].join("\n"));
    }
    if (Date.now() > deadline) throw new Error(`deployment ${d.id} is still ${d.status} after 10 minutes`);
    await new Promise((r) => setTimeout(r, 300));
    d = (await api.request<{ deployment: Deployment }>("GET", `/v1/deployments/${encodeURIComponent(d.id)}`)).deployment;
  }
}

const FIXTURE_EXT = /\.(ndjson|jsonl|csv)(\.gz)?$/;

/** `fixtures/<datasource>.ndjson|jsonl|csv[.gz]` files whose datasource is in the project, by name. */
export async function findFixtures(root: string, datasources: ReadonlySet<string>): Promise<Array<{ datasource: string; path: string }>> {
  let names: string[];
  try {
    names = await readdir(join(root, "fixtures"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names
    .filter((n) => FIXTURE_EXT.test(n))
    .map((n) => ({ datasource: n.replace(FIXTURE_EXT, ""), path: join(root, "fixtures", n) }))
    .filter((f) => datasources.has(f.datasource))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Appends each fixture; rows the datasource refuses make the load fail. */
export async function loadFixtures(io: CliIO, api: Api, fixtures: ReadonlyArray<{ datasource: string; path: string }>): Promise<number> {
  let rows = 0;
  for (const f of fixtures) {
    const r = await uploadFile({ ...io, errIsTTY: false }, api, f.datasource, f.path, "append");
    if (r.quarantined_rows > 0) throw new Error(`fixture ${f.path}: ${r.quarantined_rows} of its rows do not fit '${f.datasource}' (they went to ${f.datasource}_quarantine)`);
    rows += r.successful_rows;
  }
  return rows;
}

/**
 * One case's call, as Tinybird runs it: an endpoint through
 * `/v0/pipes/<pipe>.ndjson?<parameters>`, any other pipe through
 * `/v0/sql?q=SELECT * FROM _ FORMAT JSONEachRow&pipeline=<pipe>&<parameters>`.
 */
export async function runCase(api: Api, pipe: string, isEndpoint: boolean, parameters: string): Promise<{ status: number; body: string }> {
  const extra = parameters === "" ? "" : `&${parameters}`;
  const path = isEndpoint
    ? `/v0/pipes/${encodeURIComponent(pipe)}.ndjson${parameters === "" ? "" : `?${parameters}`}`
    : `/v0/sql?${new URLSearchParams({ q: "SELECT * FROM _ FORMAT JSONEachRow", pipeline: pipe }).toString()}${extra}`;
  const res = await api.raw("GET", path);
  return { status: res.status, body: await res.text() };
}
