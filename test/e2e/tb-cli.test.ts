// Tinybird's own CLI, `tb` (PyPI `tinybird`, pinned by test/setup/tinybird-cli.ts),
// pointed at `npm run dev` as a new user would: `tb --cloud --host <tern>
// --token <token>` (tb saves both in the project's .tinyb), in a project folder
// with a HOME of its own. Each command of a Forward user's day, checked by its
// real outcome read back over Tern's API (rows landed, deployment live, token
// minted, workspace made), not only by its exit code: deploy (create, check,
// wait, promote, discard, ls), datasource (ls, append a file and events,
// replace with a condition, delete rows, data, export, truncate), endpoint
// (ls, data, url, token, stats), pipe ls, sql, token (ls, create static and
// JWT, copy, refresh, rm), workspace (ls, current, create, use, delete),
// connection ls, job ls, logs, info. Copies, sinks and jobs: tb-copies-sinks.
// tb build and tb test run in local mode: tb-cli-local.test.ts.
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
import { fakeClipboard, localTokens, proxiedEnv, startRecordingProxy, type RecordingProxy } from "./helpers/tb.js";

const EVENTS = [
  "SCHEMA >",
  "    `ts` DateTime `json:$.ts`,",
  "    `page` String `json:$.page`,",
  "    `n` UInt32 `json:$.n`",
  "",
  'ENGINE "MergeTree"',
  'ENGINE_SORTING_KEY "ts, page"',
  "",
].join("\n");

const topPages = (extra = "") =>
  ["NODE top", "SQL >", "    %", `    SELECT page, sum(n) AS views${extra} FROM events`, "    WHERE n >= {{ UInt32(min_n, 0) }}", "    GROUP BY page ORDER BY page", "", "TYPE endpoint", ""].join("\n");

// The local S3 server's key pair reaches the Worker as these secrets (docs/sinks.md).
const LAKE = ["TYPE s3", "S3_REGION us-east-1", 'S3_ACCESS_KEY {{ tb_secret("S3_ACCESS_KEY") }}', 'S3_SECRET {{ tb_secret("S3_SECRET") }}', ""].join("\n");

const python = findPython();

let platform: DevPlatform;
let cli: TinybirdCli;
let proxy: RecordingProxy;
let work: string;
let project: string;
let clipboard: Awaited<ReturnType<typeof fakeClipboard>>;

/** `tb --cloud --host <tern> --token <token> args` in the project, as a user points it at Tern. */
function tb(args: string[], opts: { token?: string; global?: string[] } = {}): Promise<TbRun> {
  return runTb(cli, ["--cloud", "--host", platform.baseUrl, "--token", opts.token ?? platform.adminToken, ...(opts.global ?? []), ...args], {
    cwd: project,
    home: join(work, "home"),
    env: { ...proxiedEnv(proxy), ...clipboard.env },
  });
}

/** Exit 0, or the run's output in the failure. */
function ok(run: TbRun): TbRun {
  expect(run.code, `tb exited ${run.code}\nstdout:\n${run.out}\nstderr:\n${run.err}`).toBe(0);
  return run;
}

async function api<T = any>(path: string, init: RequestInit = {}, token = platform.adminToken): Promise<T> {
  const res = await fetch(`${platform.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

const rows = async () =>
  (await api<{ data: Array<{ ts: string; page: string; n: number }> }>(`/v0/sql?q=${encodeURIComponent("SELECT ts, page, n FROM events ORDER BY ts, page FORMAT JSON")}`)).data;

const deployments = async () => (await api<{ deployments: Array<{ id: string; live: boolean; status: string }> }>("/v1/deployments")).deployments.map((d) => [d.id, d.live]);

async function writeProject(files: Record<string, string>) {
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(project, name), text)));
}

const skipReason = python.ok ? "" : ` (skipped: ${python.reason})`;

describe.skipIf(!python.ok)(`Tinybird's CLI tb ${TINYBIRD_CLI_VERSION} --cloud against npm run dev${skipReason}`, () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "tern-e2e-tbcli-"));
    project = join(work, "project");
    await Promise.all([mkdir(project), mkdir(join(work, "home"))]);
    [proxy, clipboard] = await Promise.all([startRecordingProxy(), fakeClipboard(join(work, "clip"))]);
    [platform, cli] = await Promise.all([startDevPlatform(), installTinybirdCli(python)]);
    await writeProject({ "events.datasource": EVENTS, "top_pages.pipe": topPages(), "lake.connection": LAKE });
  }, 600_000);

  afterAll(async () => {
    await platform?.stop();
    await proxy?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe("tb deploy and tb deployment", () => {
    it("tb deploy creates, waits for and promotes the first deployment", async () => {
      const run = ok(await tb(["deploy"]));
      expect(run.out).toContain("✓ Deployment #1 is live!");
      expect(run.out).not.toContain("object is not iterable");
      expect(await deployments()).toEqual([["1", true]]);
      // tb saved the host and the workspace as a user's first run does.
      expect(JSON.parse(await readFile(join(project, ".tinyb"), "utf8"))).toMatchObject({ host: platform.baseUrl, name: "default" });
    }, 120_000);

    it("a second tb deploy returns (the deployment kept for rollback is not one tb waits on) and the change is live", async () => {
      await writeProject({ "top_pages.pipe": topPages(", count() AS hits") });
      const run = ok(await tb(["deploy"]));
      expect(run.out).toContain("✓ Deployment #2 is live!");
      expect(await deployments()).toEqual([["2", true]]);
      const { data } = await api<{ data: unknown[] }>("/v0/pipes/top_pages.json");
      expect(data).toEqual([]);
      expect((await api<{ meta: Array<{ name: string }> }>("/v0/pipes/top_pages.json")).meta.map((m) => m.name)).toEqual(["page", "views", "hits"]);
    }, 120_000);

    it("tb deploy --check validates without deploying, and refuses a broken pipe with Tern's message", async () => {
      ok(await tb(["deploy", "--check"]));
      expect(await deployments()).toEqual([["2", true]]);
      await writeProject({ "top_pages.pipe": topPages(", nope") });
      const broken = await tb(["deploy", "--check"]);
      expect(broken.code).toBe(1);
      expect(broken.out + broken.err).toContain("nope");
      expect(await deployments()).toEqual([["2", true]]);
    }, 120_000);

    it("tb deploy --no-auto leaves a staging deployment that tb deployment ls shows and tb deployment promote makes live", async () => {
      await writeProject({ "top_pages.pipe": topPages() });
      ok(await tb(["deploy", "--no-auto", "--wait"]));
      expect(await deployments()).toEqual([["2", true], ["3", false]]);
      const ls = ok(await tb(["deployment", "ls"]));
      expect(ls.out).toMatch(/\|\s+3 \| Staging \|/);
      expect(ls.out).toMatch(/\|\s+2 \| Live\s+\|/);
      const promote = ok(await tb(["deployment", "promote", "--wait"]));
      expect(promote.out).toContain("✓ Deployment #3 is live!");
      expect(await deployments()).toEqual([["3", true]]);
      expect((await api<{ meta: Array<{ name: string }> }>("/v0/pipes/top_pages.json")).meta.map((m) => m.name)).toEqual(["page", "views"]);
    }, 180_000);

    it("tb deployment discard removes the staging deployment and keeps live", async () => {
      await writeProject({ "top_pages.pipe": topPages(", 1 AS one") });
      ok(await tb(["deploy", "--no-auto", "--wait"]));
      expect(await deployments()).toEqual([["3", true], ["4", false]]);
      const discard = ok(await tb(["deployment", "discard", "--wait"]));
      expect(discard.out).toContain("Discard process successfully completed");
      expect(await deployments()).toEqual([["3", true]]);
      await writeProject({ "top_pages.pipe": topPages() });
    }, 180_000);
  });

  describe("tb datasource", () => {
    it("tb datasource append --file: the CSV's rows land, and tb says so", async () => {
      await writeFile(join(work, "more.csv"), "ts,page,n\n2026-01-01 10:00:00,/a,2\n2026-01-01 11:00:00,/b,7\n");
      const run = ok(await tb(["datasource", "append", "events", "--file", join(work, "more.csv")]));
      expect(run.out).toContain("✓ Rows appended!");
      expect(await rows()).toEqual([
        { ts: "2026-01-01 10:00:00", page: "/a", n: 2 },
        { ts: "2026-01-01 11:00:00", page: "/b", n: 7 },
      ]);
    }, 60_000);

    it("tb datasource append --events: the event lands and tb counts it", async () => {
      const run = ok(await tb(["datasource", "append", "events", "--events", '{"ts":"2026-01-02 00:00:00","page":"/c","n":1}']));
      expect(run.out).toContain("✓ 1 row appended!");
      expect(await rows()).toHaveLength(3);
    }, 60_000);

    it("tb datasource replace --sql-condition replaces only the matching rows", async () => {
      await writeFile(join(work, "repl.ndjson"), '{"ts":"2026-01-03 00:00:00","page":"/a","n":9}\n{"ts":"2026-01-03 00:00:00","page":"/z","n":1}\n');
      const run = ok(await tb(["datasource", "replace", "events", join(work, "repl.ndjson"), "--sql-condition", "page = '/a'"]));
      expect(run.out).toContain("Data replaced in Data Source 'events' successfully");
      expect(await rows()).toEqual([
        { ts: "2026-01-01 11:00:00", page: "/b", n: 7 },
        { ts: "2026-01-02 00:00:00", page: "/c", n: 1 },
        { ts: "2026-01-03 00:00:00", page: "/a", n: 9 },
      ]);
    }, 60_000);

    it("tb datasource delete --sql-condition deletes the matching rows", async () => {
      ok(await tb(["datasource", "delete", "events", "--sql-condition", "page = '/c'", "--yes", "--wait"]));
      expect((await rows()).map((r) => r.page)).toEqual(["/b", "/a"]);
    }, 60_000);

    it("tb datasource ls and data show the datasource and its rows", async () => {
      const ls = ok(await tb(["datasource", "ls"]));
      expect(ls.out).toMatch(/^name: events$/m);
      expect(ls.out).toMatch(/^row_count: 2$/m);
      expect(ls.out).toMatch(/^updated at: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
      const data = ok(await tb(["datasource", "data", "events"]));
      expect(data.out).toMatch(/\| 2026-01-01 11:00:00 \| \/b\s+\| 7 \|/);
      expect(data.out).toMatch(/\| 2026-01-03 00:00:00 \| \/a\s+\| 9 \|/);
    }, 60_000);

    it("tb datasource export writes the rows to fixtures/", async () => {
      ok(await tb(["datasource", "export", "events", "--format", "csv"]));
      const csv = await readFile(join(project, "fixtures", "events.csv"), "utf8");
      expect(csv).toContain("/b");
      expect(csv).toContain("/a");
    }, 60_000);
  });

  describe("tb endpoint, pipe, sql", () => {
    it("tb endpoint data calls the endpoint with its params", async () => {
      const run = ok(await tb(["endpoint", "data", "top_pages", "--min_n", "8"]));
      expect(run.out).toMatch(/\| \/a\s+\|\s+9 \|/);
      expect(run.out).not.toContain("/b");
    }, 60_000);

    it("tb endpoint url prints a URL that answers the endpoint, and tb endpoint ls shows it", async () => {
      const run = ok(await tb(["endpoint", "url", "top_pages"]));
      // tb masks the token it prints: the URL up to it is Tern's.
      expect(run.out.trim()).toMatch(new RegExp(`^${platform.baseUrl}/v0/pipes/top_pages\\.json\\?token=p\\.ey\\.\\.\\.`));
      const url = await (await fetch(`${platform.baseUrl}/examples/query.http?format=json&pipe=top_pages&q=&token=${platform.adminToken}`)).text();
      expect((await (await fetch(url)).json()).data).toEqual([{ page: "/a", views: 9 }, { page: "/b", views: 7 }]);
      const ls = ok(await tb(["endpoint", "ls"]));
      expect(ls.out).toMatch(/^name: top_pages$/m);
      expect(ls.out).toMatch(new RegExp(`^url: ${platform.baseUrl}/v0/pipes/top_pages\\.json\\?token=`, "m"));
    }, 60_000);

    it("tb endpoint stats counts the calls", async () => {
      const run = ok(await tb(["endpoint", "stats", "top_pages"]));
      expect(run.out).toMatch(/\| top_pages \|\s+[1-9]\d* \|\s+0 \|/);
    }, 60_000);

    it("tb pipe ls and tb sql", async () => {
      expect(ok(await tb(["pipe", "ls"])).out).toMatch(/\| top_pages \| \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \|\s+1 \| endpoint \|/);
      const sql = ok(await tb(["sql", "SELECT sum(n) AS total FROM events"]));
      expect(sql.out).toMatch(/^\s+16\s*$/m);
    }, 60_000);
  });

  describe("tb token", () => {
    it("tb token create static mints a token with its scope; tb endpoint token finds it; tb token ls lists it", async () => {
      ok(await tb(["token", "create", "static", "reader", "--scope", "PIPES:READ", "--resource", "top_pages"]));
      const { tokens } = await api<{ tokens: Array<{ name: string; token: string; scopes: Array<{ type: string; resource: string }> }> }>("/v0/tokens");
      const reader = tokens.find((t) => t.name === "reader")!;
      expect(reader.scopes).toEqual([{ type: "PIPES:READ", resource: "top_pages" }]);
      // tb masks a token it prints: its first 4 and last 8 characters.
      expect(ok(await tb(["endpoint", "token", "top_pages"])).out.trim()).toBe(`${reader.token.slice(0, 4)}...${reader.token.slice(-8)}`);
      expect(ok(await tb(["token", "ls"])).out).toMatch(/^name: reader$/m);
    }, 60_000);

    it("tb token copy puts the token on the clipboard", async () => {
      ok(await tb(["token", "copy", "reader"]));
      const { token } = await api<{ token: string }>("/v0/tokens/reader");
      expect(await clipboard.read()).toBe(token);
    }, 60_000);

    it("tb token refresh changes the secret; the old one stops working", async () => {
      const before = (await api<{ token: string }>("/v0/tokens/reader")).token;
      ok(await tb(["token", "refresh", "reader", "--yes"]));
      const after = (await api<{ token: string }>("/v0/tokens/reader")).token;
      expect(after).not.toBe(before);
      expect((await fetch(`${platform.baseUrl}/v0/pipes/top_pages.json?token=${after}`)).status).toBe(200);
      expect((await fetch(`${platform.baseUrl}/v0/pipes/top_pages.json?token=${before}`)).status).toBe(403);
    }, 60_000);

    it("tb token rm deletes it", async () => {
      ok(await tb(["token", "rm", "reader", "--yes"]));
      const { tokens } = await api<{ tokens: Array<{ name: string }> }>("/v0/tokens");
      expect(tokens.map((t) => t.name)).not.toContain("reader");
    }, 60_000);

    it("tb token create jwt signs a JWT with its name that reads the endpoint", async () => {
      const run = ok(await tb(["token", "create", "jwt", "my_jwt", "--ttl", "1h", "--scope", "PIPES:READ", "--resource", "top_pages"]));
      const jwt = /^The token is: (\S+)$/m.exec(run.out)?.[1];
      expect(jwt, run.out).toBeDefined();
      expect(JSON.parse(Buffer.from(jwt!.split(".")[1]!, "base64url").toString())).toMatchObject({ name: "my_jwt", scopes: [{ type: "PIPES:READ", resource: "top_pages" }] });
      const res = await fetch(`${platform.baseUrl}/v0/pipes/top_pages.json?token=${jwt}`);
      expect(res.status).toBe(200);
    }, 60_000);
  });

  describe("tb workspace, connection, job, logs, info", () => {
    it("tb workspace ls and current show the default workspace", async () => {
      const ls = ok(await tb(["workspace", "ls"]));
      expect(ls.out).toMatch(/\| default \| [0-9a-f-]{36} \| admin \| Build \| True\s+\|/);
      expect(ok(await tb(["workspace", "current"])).out).toMatch(/\| default \| [0-9a-f-]{36} \| admin \| Build \| True\s+\|/);
    }, 60_000);

    it("tb workspace create, use and delete with the user token, as on Tinybird Local", async () => {
      const tokens = await localTokens(platform.baseUrl);
      const as = { token: tokens.admin_token };
      const created = ok(await tb(["workspace", "create", "tb_second"], { ...as, global: ["--user-token", tokens.user_token] }));
      expect(created.out).toContain("Workspace 'tb_second' has been created");
      const listed = await api<{ workspaces: Array<{ id: string; name: string }> }>("/v1/user/workspaces", {}, tokens.admin_token);
      const second = listed.workspaces.find((w) => w.name === "tb_second")!;
      expect(second).toBeDefined();
      expect(ok(await tb(["workspace", "ls"], as)).out).toMatch(/\| tb_second \| [0-9a-f-]{36} \| admin \| Build \| False\s+\|/);
      expect(ok(await tb(["workspace", "use", "tb_second"], as)).out).toContain(`Now using tb_second (${second.id})`);
      expect(JSON.parse(await readFile(join(project, ".tinyb"), "utf8"))).toMatchObject({ id: second.id, name: "tb_second" });
      ok(await tb(["workspace", "use", "default"], as));
      const deleted = ok(await tb(["workspace", "delete", "tb_second", "--yes"], { ...as, global: ["--user-token", tokens.user_token] }));
      expect(deleted.out).toContain("Workspace 'tb_second' deleted");
      const after = await api<{ workspaces: Array<{ name: string }> }>("/v1/user/workspaces", {}, tokens.admin_token);
      expect(after.workspaces.map((w) => w.name)).not.toContain("tb_second");
    }, 120_000);

    it("tb connection ls lists the project's connection", async () => {
      expect(ok(await tb(["connection", "ls"])).out).toMatch(/\| s3\s+\| lake \| lake \|\s+\|/);
    }, 60_000);

    it("tb job ls lists the imports", async () => {
      const run = ok(await tb(["job", "ls"]));
      expect(run.out).toMatch(/^kind: import$/m);
      expect(run.out).toMatch(/^status: done$/m);
    }, 60_000);

    it("tb logs shows the datasource operations and endpoint calls", async () => {
      const run = ok(await tb(["logs"]));
      expect(run.out).toMatch(/tinybird\.datasources_ops_log \| replace/);
      expect(run.out).toMatch(/tinybird\.pipe_stats_rt\s+\| GET\s+\| top_pages/);
    }, 60_000);

    it("tb info shows the project and the workspace", async () => {
      const run = ok(await tb(["info"]));
      expect(run.out).toContain(`project: ${project}`);
    }, 60_000);
  });

  it("tb datasource truncate empties the datasource", async () => {
    const run = ok(await tb(["datasource", "truncate", "events", "--yes"]));
    expect(run.out).toContain("Data Source 'events' truncated");
    expect(await rows()).toEqual([]);
  }, 60_000);

  it("no tb call left the machine", () => {
    expect(proxy.outbound).toEqual([]);
  });
});
