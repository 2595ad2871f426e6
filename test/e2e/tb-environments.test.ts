// Tinybird's own CLI, `tb` (PyPI `tinybird`, pinned by test/setup/tinybird-cli.ts), against
// `npm run dev` with only TB_HOST and TB_TOKEN (and `--cloud`): `tb secret set|ls|rm` (a
// value never printed back), `tb --staging` reading the staging deployment, and `tb branch
// create --last-partition|ls|rm`. Outbound calls go to a dead proxy, so nothing reaches
// Tinybird or PyPI. Without Python 3.11-3.13 the file is skipped, with the reason.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPython, installTinybirdCli, runTb, type TbRun, type TinybirdCli } from "../setup/tinybird-cli.js";
import { deployFiles } from "./helpers/deploy-files.js";
import { sharedWorkspace, type SharedWorkspace } from "./helpers/shared-workspace.js";

const DS = `SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`page\` String \`json:$.page\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(ts)"
ENGINE_SORTING_KEY "ts"
`;
const PIPE = "NODE n\nSQL >\n    SELECT page, count() AS c FROM hits GROUP BY page ORDER BY page\n\nTYPE endpoint\n";
const VALUE = "tb-SeCrEt-VaLuE-91c4";

const python = findPython();
let platform: SharedWorkspace;
let cli: TinybirdCli;
let work: string;

function tb(args: string[]): Promise<TbRun> {
  // A proxy nobody listens on: anything tb tries to send outside fails instead of leaving.
  const dead = "http://127.0.0.1:9";
  return runTb(cli, ["--cloud", ...args], {
    cwd: join(work, "project"),
    home: join(work, "home"),
    env: { HTTP_PROXY: dead, HTTPS_PROXY: dead, http_proxy: dead, https_proxy: dead, NO_PROXY: "localhost,127.0.0.1", no_proxy: "localhost,127.0.0.1", TB_HOST: platform.baseUrl, TB_TOKEN: platform.adminToken },
  });
}

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${platform.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${platform.adminToken}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe.skipIf(!python.ok)(`tb's secrets, staging and branches on Tern${python.ok ? "" : ` (skipped: ${python.reason})`}`, () => {
  beforeAll(async () => {
    cli = await installTinybirdCli(python);
    platform = await sharedWorkspace("e2e_tb_environments");
    work = await mkdtemp(join(tmpdir(), "tern-e2e-tb-env-"));
    await mkdir(join(work, "project"));
    await mkdir(join(work, "home"));
    await deployFiles(platform, { "hits.datasource": DS, "by_page.pipe": PIPE });
    const rows = [{ ts: "2026-01-10 10:00:00", page: "jan" }, { ts: "2026-02-10 10:00:00", page: "feb" }];
    expect((await call("/v0/events?name=hits&wait=true", { method: "POST", body: rows.map((r) => JSON.stringify(r)).join("\n") })).status).toBe(200);
  }, 600_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("tb secret set, ls, set again (an update), rm: the value is never printed", async () => {
    const set = await tb(["secret", "set", "API_KEY", VALUE]);
    expect(set.code, set.out + set.err).toBe(0);
    expect(set.out).toMatch(/Secret 'API_KEY' set/);
    const ls = await tb(["secret", "ls"]);
    expect(ls.code, ls.out + ls.err).toBe(0);
    expect(ls.out).toMatch(/API_KEY/);
    const again = await tb(["secret", "set", "API_KEY", `${VALUE}-2`]);
    expect(again.out).toMatch(/Secret 'API_KEY' set/);
    for (const r of [set, ls, again]) expect(r.out + r.err).not.toContain(VALUE);
    const removed = await tb(["secret", "rm", "API_KEY"]);
    expect(removed.code, removed.out + removed.err).toBe(0);
    expect((await call("/v0/variables")).body.variables).toEqual([]);
  }, 120_000);

  it("tb --staging reads the staging deployment; without --staging, live", async () => {
    // A staging deployment whose endpoint answers differently.
    const form = new FormData();
    form.append("data_project://", new File([DS], "hits.datasource"));
    form.append("data_project://", new File([PIPE.replace("count() AS c", "count() * 100 AS c")], "by_page.pipe"));
    const staged = await fetch(`${platform.baseUrl}/v1/deploy`, { method: "POST", body: form, headers: { authorization: `Bearer ${platform.adminToken}` } });
    expect(staged.status, await staged.clone().text()).toBe(200);
    const stagingRun = await tb(["--staging", "endpoint", "data", "by_page", "--format", "json"]);
    expect(stagingRun.code, stagingRun.out + stagingRun.err).toBe(0);
    expect(stagingRun.out).toMatch(/"c": 100/);
    const liveRun = await tb(["endpoint", "data", "by_page", "--format", "json"]);
    expect(liveRun.code, liveRun.out + liveRun.err).toBe(0);
    expect(liveRun.out).not.toMatch(/"c": 100/);
    expect(liveRun.out).toMatch(/"c": 1/);
    // Discarded: staging is gone again.
    const list = await call("/v1/deployments");
    const stagingId = list.body.deployments.find((d: { live: boolean }) => !d.live).id;
    expect((await call(`/v1/deployments/${stagingId}`, { method: "DELETE" })).status).toBe(200);
  }, 120_000);

  it("tb branch create --last-partition, ls, rm", async () => {
    const created = await tb(["branch", "create", "tb_feat", "--last-partition"]);
    expect(created.code, created.out + created.err).toBe(0);
    const got = await call("/v0/environments/tb_feat?with_token=true");
    expect(got.status).toBe(200);
    const branchSql = await fetch(`${platform.baseUrl}/v0/sql?q=${encodeURIComponent("SELECT count() AS c FROM hits FORMAT JSON")}`, { headers: { authorization: `Bearer ${got.body.token}` } });
    expect(Number(((await branchSql.json()) as any).data[0].c)).toBe(1);
    const ls = await tb(["branch", "ls"]);
    expect(ls.code, ls.out + ls.err).toBe(0);
    expect(ls.out).toMatch(/tb_feat/);
    const removed = await tb(["branch", "rm", "tb_feat", "--yes"]);
    expect(removed.code, removed.out + removed.err).toBe(0);
    expect((await call("/v1/environments")).body.environments).toEqual([]);
  }, 120_000);
});
