// Tinybird's TypeScript SDK (@tinybirdco/sdk) and its CLI against `npm run dev`, branches:
// `tinybird build` on a git feature branch (a branch with the last partition, built into),
// `tinybird branch list`, `tinybird preview` (an ephemeral tmp_ci_ branch deployed with
// its own token), `tinybird branch delete`: changing only host and token.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/dev-platform.js";
import { sharedWorkspace, type SharedWorkspace } from "./helpers/shared-workspace.js";

const V1 = `import { defineDatasource, defineEndpoint, node, t, engine } from "@tinybirdco/sdk";

export const hits = defineDatasource("hits", {
  schema: { ts: t.dateTime(), page: t.string() },
  engine: engine.mergeTree({ sortingKey: ["ts"], partitionKey: "toYYYYMM(ts)" }),
});

export const byPage = defineEndpoint("by_page", {
  nodes: [node({ name: "n", sql: "SELECT page, count() AS c FROM hits GROUP BY page ORDER BY page" })],
  output: { page: t.string(), c: t.uint64() },
});
`;
// The feature branch's change: a second endpoint.
const V2 = `${V1}
export const total = defineEndpoint("total", {
  nodes: [node({ name: "n", sql: "SELECT count() AS c FROM hits" })],
  output: { c: t.uint64() },
});
`;

const run = promisify(execFile);
let platform: SharedWorkspace;
let baseUrl: string;
let token: string;
let dir: string;
let home: string;

function cliEnv(gitBranch: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env, TINYBIRD_URL: baseUrl, TINYBIRD_TOKEN: token, NO_COLOR: "1", FORCE_COLOR: "0", HOME: home,
    // Not a git repository: the SDK takes the branch from CI's variables.
    GITHUB_HEAD_REF: gitBranch,
  };
  delete env.TINYBIRD_BRANCH_TOKEN;
  delete env.GITHUB_REF_NAME;
  delete env.VERCEL_GIT_COMMIT_REF;
  return env;
}

async function tinybird(gitBranch: string, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(join(REPO_ROOT, "node_modules", ".bin", "tinybird"), args, { cwd: dir, env: cliEnv(gitBranch), timeout: 100_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e: any) {
    return { code: e.code ?? 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

async function call(path: string, init: RequestInit & { as?: string } = {}): Promise<{ status: number; body: any }> {
  const { as, ...rest } = init;
  const res = await fetch(`${baseUrl}${path}`, { ...rest, headers: { authorization: `Bearer ${as ?? token}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  platform = await sharedWorkspace("e2e_sdk_branches");
  baseUrl = `http://127.0.0.1:${platform.port}`;
  token = platform.adminToken;
  dir = await mkdtemp(join(tmpdir(), "tern-e2e-sdk-branches-"));
  home = await mkdtemp(join(tmpdir(), "tern-e2e-sdk-home-"));
  await symlink(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  await mkdir(join(dir, "src"));
  await writeFile(join(dir, "src", "tinybird.ts"), V1);
  await writeFile(join(dir, "tinybird.config.json"), JSON.stringify({ include: ["src/tinybird.ts"], token: "${TINYBIRD_TOKEN}", baseUrl: "${TINYBIRD_URL}" }));
  // Main: deploy V1 and ingest two months.
  const deployed = await tinybird("main", "deploy");
  expect(deployed.code, deployed.out).toBe(0);
  const rows = [{ ts: "2026-01-10 10:00:00", page: "jan" }, { ts: "2026-02-10 10:00:00", page: "feb" }, { ts: "2026-02-11 10:00:00", page: "feb" }];
  const ev = await call("/v0/events?name=hits&wait=true", { method: "POST", body: rows.map((r) => JSON.stringify(r)).join("\n") });
  expect(ev.status).toBe(200);
  await writeFile(join(dir, "src", "tinybird.ts"), V2);
}, 300_000);

afterAll(async () => {
  for (const d of [dir, home]) if (d) await rm(d, { recursive: true, force: true });
});

describe("the SDK's branches against Tern", () => {
  let branchToken: string;

  it("tinybird build --last-partition on a feature branch creates the branch and builds into it", async () => {
    const built = await tinybird("feature_x", "build", "--last-partition");
    expect(built.code, built.out).toBe(0);
    const got = await call("/v0/environments/feature_x?with_token=true");
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    branchToken = got.body.token;
    // The branch has the new endpoint and the last partition (February) of main's data.
    const total = await call("/v0/pipes/total.json", { as: branchToken });
    expect(total.status, JSON.stringify(total.body)).toBe(200);
    expect(Number(total.body.data[0].c)).toBe(2);
    // Main is untouched: no `total` there, all three rows.
    expect((await call("/v0/pipes/total.json")).status).toBe(404);
    expect((await call("/v0/pipes/by_page.json")).body.data).toEqual([{ page: "feb", c: 2 }, { page: "jan", c: 1 }]);
  }, 120_000);

  it("tinybird branch list shows it", async () => {
    const listed = await tinybird("feature_x", "branch", "list");
    expect(listed.code, listed.out).toBe(0);
    expect(listed.out).toMatch(/- feature_x \(created: /);
  }, 120_000);

  it("tinybird preview deploys a tmp_ci_ branch with its own token", async () => {
    const preview = await tinybird("feature_y", "preview", "--json");
    expect(preview.code, preview.out).toBe(0);
    const result = JSON.parse(preview.out.slice(preview.out.indexOf("{")));
    expect(result).toMatchObject({ success: true, branch: { name: "tmp_ci_feature_y", token: expect.any(String) } });
    const total = await call("/v0/pipes/total.json", { as: result.branch.token });
    expect(total.status, JSON.stringify(total.body)).toBe(200);
    // No data mode asked: an empty branch.
    expect(Number(total.body.data[0].c)).toBe(0);
    const listed = await call("/v1/environments");
    expect(listed.body.environments.map((e: { name: string }) => e.name).sort()).toEqual(["feature_x", "tmp_ci_feature_y"]);
  }, 120_000);

  it("tinybird branch delete removes a branch with its data and token", async () => {
    for (const name of ["feature_x", "tmp_ci_feature_y"]) {
      const deleted = await tinybird("feature_x", "branch", "delete", name);
      expect(deleted.code, deleted.out).toBe(0);
      expect(deleted.out).toMatch(new RegExp(`Branch '${name}' deleted successfully`));
    }
    expect((await call("/v1/environments")).body.environments).toEqual([]);
    const after = await call("/v0/pipes/by_page.json", { as: branchToken });
    expect(after.status).not.toBe(200);
    expect((await call("/v0/pipes/by_page.json")).body.data).toEqual([{ page: "feb", c: 2 }, { page: "jan", c: 1 }]);
  }, 120_000);
});
