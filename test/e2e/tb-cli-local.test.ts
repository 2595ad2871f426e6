// Tinybird's own CLI in local mode (no --cloud): tb looks for Tinybird Local at
// http://localhost:<TB_LOCAL_PORT>, takes its tokens from `/tokens` and builds
// in workspaces of its own (`Tinybird_Local_Build_<sha256 of the folder>`,
// `Tinybird_Local_Test_<uuid>`). Here that is `npm run dev`'s port. One
// project with fixtures and tests/<pipe>.yaml holding a passing and a failing
// case: `tb build` deploys into the build workspace (its fixture rows are
// there), `tb test run` really runs the cases (not "skipped") and fails on the
// failing one, `tb test update` writes the answers back, after which both
// pass; `tern test` gives the same verdicts on the same project each time.
//
// Every tb goes through a recording proxy (helpers/tb.ts); the last test
// checks nothing tried to leave the machine. Without Python 3.11-3.13 the
// file is skipped, with the reason.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPython, installTinybirdCli, runTb, TINYBIRD_CLI_VERSION, type TbRun, type TinybirdCli } from "../setup/tinybird-cli.js";
import { startDevPlatform, type DevPlatform } from "./helpers/dev-platform.js";
import { runTern } from "./helpers/tern.js";
import { localTokens, proxiedEnv, startRecordingProxy, type RecordingProxy } from "./helpers/tb.js";

const PROJECT: Record<string, string> = {
  "events.datasource": ["SCHEMA >", "    `ts` DateTime `json:$.ts`,", "    `page` String `json:$.page`,", "    `n` UInt32 `json:$.n`", "", 'ENGINE "MergeTree"', 'ENGINE_SORTING_KEY "ts"', ""].join("\n"),
  "top_pages.pipe": [
    "NODE top",
    "SQL >",
    "    %",
    "    SELECT page, sum(n) AS views FROM events",
    "    WHERE n >= {{ UInt32(min_n, 0) }}",
    "    GROUP BY page ORDER BY views DESC, page",
    "",
    "TYPE endpoint",
    "",
  ].join("\n"),
  "fixtures/events.ndjson": ['{"ts":"2026-01-01 10:00:00","page":"/a","n":2}', '{"ts":"2026-01-01 11:00:00","page":"/a","n":3}', '{"ts":"2026-01-01 12:00:00","page":"/b","n":1}', ""].join("\n"),
  // The first case holds; the second expects a page the filter leaves out.
  "tests/top_pages.yaml": [
    "- name: all_pages",
    "  description: every page with its views",
    "  parameters: ''",
    "  expected_result: |",
    '    {"page":"\\/a","views":5}',
    '    {"page":"\\/b","views":1}',
    "- name: busy_pages",
    "  description: pages of rows with n >= 2",
    "  parameters: min_n=2",
    "  expected_result: |",
    '    {"page":"\\/b","views":1}',
    "",
  ].join("\n"),
};

const python = findPython();

let platform: DevPlatform;
let cli: TinybirdCli;
let proxy: RecordingProxy;
let work: string;
let project: string;

/** `tb args` in local mode, Tinybird Local being npm run dev's port. */
function tb(args: string[]): Promise<TbRun> {
  return runTb(cli, args, { cwd: project, home: join(work, "home"), env: { ...proxiedEnv(proxy), TB_LOCAL_PORT: String(platform.port) } });
}

/** `tern test [args]` on the same project, with the local platform's user token for its scratch workspace. */
async function ternTest(args: string[] = []): Promise<{ code: number; results: Array<{ name: string; status: string }> }> {
  const tokens = await localTokens(platform.baseUrl);
  const run = await runTern(["test", ...args, "--json", "--cwd", project, "--host", platform.baseUrl, "--token", platform.adminToken, "--user-token", tokens.user_token], { cwd: project, home: join(work, "home") });
  const body = JSON.parse(run.out) as { results: Array<{ name: string; status: string }> };
  return { code: run.code, results: body.results.map((r) => ({ name: r.name, status: r.status })) };
}

/** tb's verdicts: `✓ <name> passed` / `✗ <name> failed` lines (not its `✓ 1/1 passed` summary). */
function tbVerdicts(out: string): Array<{ name: string; status: string }> {
  return [...out.matchAll(/^[✓✗] (\S+) (passed|failed)$/gm)]
    .filter((m) => !/^\d+\/\d+$/.test(m[1]!))
    .map((m) => ({ name: m[1]!, status: m[2] === "passed" ? "pass" : "fail" }));
}

async function workspaces(): Promise<Array<{ id: string; name: string; token: string }>> {
  const tokens = await localTokens(platform.baseUrl);
  const res = await fetch(`${platform.baseUrl}/v1/user/workspaces`, { headers: { authorization: `Bearer ${tokens.admin_token}` } });
  return ((await res.json()) as { workspaces: Array<{ id: string; name: string; token: string }> }).workspaces;
}

const skipReason = python.ok ? "" : ` (skipped: ${python.reason})`;

describe.skipIf(!python.ok)(`Tinybird's CLI tb ${TINYBIRD_CLI_VERSION} in local mode against npm run dev${skipReason}`, () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "tern-e2e-tblocal-"));
    project = join(work, "project");
    await Promise.all([mkdir(join(project, "fixtures"), { recursive: true }), mkdir(join(project, "tests"), { recursive: true }), mkdir(join(work, "home"))]);
    await Promise.all(Object.entries(PROJECT).map(([name, text]) => writeFile(join(project, name), text)));
    proxy = await startRecordingProxy();
    [platform, cli] = await Promise.all([startDevPlatform(), installTinybirdCli(python)]);
  }, 600_000);

  afterAll(async () => {
    await platform?.stop();
    await proxy?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it("tb build builds into its Tinybird_Local_Build_ workspace (85 characters), fixtures and endpoint included", async () => {
    const run = await tb(["build"]);
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.out).toContain("✓ events.datasource created");
    expect(run.out).toContain("✓ top_pages.pipe created");
    const build = (await workspaces()).find((w) => w.name.startsWith("Tinybird_Local_Build_"));
    expect(build?.name).toHaveLength(85);
    const res = await fetch(`${platform.baseUrl}/v0/pipes/top_pages.json?token=${build!.token}`);
    expect(((await res.json()) as { data: unknown[] }).data).toEqual([{ page: "/a", views: 5 }, { page: "/b", views: 1 }]);
    // Built again unchanged: nothing to do, and no fixture appended twice.
    const again = await tb(["build"]);
    expect(again.code, again.out + again.err).toBe(0);
    expect(again.out).toContain("No changes. Build skipped.");
    const after = await fetch(`${platform.baseUrl}/v0/pipes/top_pages.json?token=${build!.token}`);
    expect(((await after.json()) as { data: unknown[] }).data).toEqual([{ page: "/a", views: 5 }, { page: "/b", views: 1 }]);
  }, 180_000);

  it("tb test run runs the cases and fails on the failing one; tern test gives the same verdicts", async () => {
    const run = await tb(["test", "run"]);
    expect(run.code, run.out + run.err).toBe(1);
    expect(run.out).not.toContain("skipped");
    expect(run.out).toContain('Got: \n{"page":"\\/a","views":5}');
    const verdicts = [{ name: "all_pages", status: "pass" }, { name: "busy_pages", status: "fail" }];
    expect(tbVerdicts(run.out)).toEqual(verdicts);
    expect(await ternTest()).toEqual({ code: 1, results: verdicts });
    // tb keeps its one test workspace until its next run (its cleanup names a new random one; a run starts by
    // deleting every Tinybird_Local_Test_ workspace, as on Tinybird Local); tern test left none.
    expect((await workspaces()).map((w) => w.name).filter((n) => n.startsWith("Tinybird_Local_Test_"))).toHaveLength(1);
  }, 240_000);

  it("tb test update writes the answers back; then tb test run and tern test both pass", async () => {
    const update = await tb(["test", "update", "top_pages"]);
    expect(update.code, update.out + update.err).toBe(0);
    expect(await readFile(join(project, "tests", "top_pages.yaml"), "utf8")).toContain('{"page":"\\/a","views":5}');
    const run = await tb(["test", "run"]);
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.out).toContain("✓ 1/1 passed");
    const verdicts = [{ name: "all_pages", status: "pass" }, { name: "busy_pages", status: "pass" }];
    expect(tbVerdicts(run.out)).toEqual(verdicts);
    expect(await ternTest()).toEqual({ code: 0, results: verdicts });
  }, 300_000);

  it("no tb call left the machine", () => {
    expect(proxy.outbound).toEqual([]);
  });
});
