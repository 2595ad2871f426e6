// The `tern` binary as users run it, against the real local platform: login,
// build, deploy (success, no changes, failure, --check), the deployment
// lifecycle and workspaces. Each command is a child process (`node
// cli/bin/tern.js`) in a temp project copied from a fixture; outputs are exact.
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, type DevPlatform } from "./helpers/dev-platform.js";
import { lines, startTernSetup, type Run, type TernSetup } from "./helpers/tern.js";
import { freePort } from "./helpers/processes.js";

const FIXTURE = join(REPO_ROOT, "test", "fixtures", "projects", "logs");

let setup: TernSetup;
/** Runs `tern args` in `cwd` with only the given TERN_/TB_/TINYBIRD_ variables set. */
const tern = (args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> => setup.tern(args, cwd, env);

let platform: DevPlatform;
let tmp: string;
let project: string;
let env: Record<string, string>;

beforeAll(async () => {
  setup = await startTernSetup("tern-e2e-cli-");
  ({ platform, tmp, env } = setup);
  // The logs fixture without its S3 sink: the server cannot deploy that node
  // yet (job_timestamp renders as a String in toStartOfHour).
  project = join(tmp, "project");
  await cp(FIXTURE, project, { recursive: true });
  await rm(join(project, "sinks"), { recursive: true });
}, 240_000);

afterAll(async () => {
  await setup?.stop();
});

const CHANGES = [
  "CHANGE  KIND        NAME",
  "new     datasource  logs",
  "new     datasource  logs_daily_dimensions",
  "new     pipe        generic_counter",
  "new     pipe        log_explorer",
  "new     pipe        logs_daily_dimensions_mv",
  "new     connection  logs_bucket",
];

describe("tern binary", () => {
  it("prints its version and help from any folder", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    expect(await tern(["--version"], tmp)).toEqual({ code: 0, out: `${pkg.version}\n`, err: "" });
    const help = await tern(["--help"], tmp);
    expect(help.code).toBe(0);
    expect(help.out.split("\n").filter((l) => /^  \w/.test(l)).map((l) => l.trim().split(/\s+/)[0])).toEqual([
      "check", "login", "build", "deploy", "deployment", "workspace", "branch", "datasource", "endpoint", "sql", "open", "mcp", "clickhouse", "copy", "sink", "token", "events", "test", "credentials",
    ]);
    const deployHelp = await tern(["deploy", "--help"], tmp);
    expect(deployHelp.out.split("\n")[0]).toBe("Usage: tern deploy [options]");
  });

  it("exits 2 on an unknown command or flag", async () => {
    expect((await tern(["nope"], tmp)).code).toBe(2);
    expect(await tern(["deploy", "--frob"], project, env)).toEqual({
      code: 2,
      out: "",
      err: lines("tern deploy: Unknown option '--frob'", "", "Run `tern deploy --help` for its usage."),
    });
  });
});

describe("tern login", () => {
  it("fetches the local tokens when none is given, and writes .tern.json", async () => {
    const dir = join(tmp, "login");
    await mkdir(dir);
    const run = await tern(["login", "--host", platform.baseUrl], dir);
    const config = JSON.parse(await readFile(join(dir, ".tern.json"), "utf8")) as Record<string, unknown>;
    expect(run).toEqual({
      code: 0,
      out: lines(
        `Logged in to ${platform.baseUrl}, workspace 'default' (${config.id as string})`,
        `Saved ${join(dir, ".tern.json")}; it holds a token, keep it out of git`,
      ),
      err: "",
    });
    const tokens = (await (await fetch(`${platform.baseUrl}/tokens`)).json()) as Record<string, string>;
    expect(config).toEqual({
      host: platform.baseUrl,
      token: platform.adminToken,
      tokens: { [platform.baseUrl]: platform.adminToken },
      version: "0.1.0",
      id: expect.any(String),
      name: "default",
      user_token: tokens.user_token,
    });
  });

  it("is used by commands run below the folder, without flags or env", async () => {
    const sub = join(tmp, "login", "sub", "dir");
    await mkdir(sub, { recursive: true });
    const config = JSON.parse(await readFile(join(tmp, "login", ".tern.json"), "utf8")) as { id: string };
    expect(await tern(["workspace", "current"], sub)).toEqual({
      code: 0,
      out: lines(
        "workspace  default",
        `id         ${config.id}`,
        `host       ${platform.baseUrl} (from ${join(tmp, "login", ".tern.json")})`,
        `token      from ${join(tmp, "login", ".tern.json")}`,
      ),
      err: "",
    });
    // Environment variables win over the file.
    const viaEnv = await tern(["workspace", "current", "--cwd", sub], tmp, env);
    expect(viaEnv.out).toContain(`host       ${platform.baseUrl} (from TERN_HOST)\ntoken      from TERN_TOKEN\n`);
  });

  it("checks the token: a bad one is refused with the server's error", async () => {
    const dir = join(tmp, "login-bad");
    await mkdir(dir);
    const run = await tern(["login", "--host", platform.baseUrl, "--token", "p.bm9wZQ.x"], dir);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^tern login: .+ \(HTTP 40[13]\)\n$/);
    expect(run.out).toBe("");
  });

  it("says so when the host cannot be reached", async () => {
    const port = await freePort();
    const run = await tern(["build"], project, { TERN_HOST: `http://127.0.0.1:${port}`, TERN_TOKEN: "x" });
    expect(run.code).toBe(1);
    expect(run.err).toMatch(new RegExp(`^tern build: cannot reach http://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\)\\n$`));
  });
});

describe("tern build and tern deploy", () => {
  it("builds the project without deploying it", async () => {
    expect(await tern(["build"], project, env)).toEqual({
      code: 0,
      out: lines(...CHANGES, "Build succeeded: 2 datasources, 3 pipes, 1 connection"),
      err: "",
    });
    expect(await tern(["deployment", "ls"], project, env)).toEqual({ code: 0, out: lines("No deployments yet: run `tern deploy`"), err: "" });
  });

  it("checks a deploy with --check", async () => {
    expect(await tern(["deploy", "--check"], project, env)).toEqual({
      code: 0,
      out: lines(...CHANGES, "Check passed: the project can be deployed"),
      err: "",
    });
  });

  it("deploys and makes the deployment live", async () => {
    expect(await tern(["deploy"], project, env)).toEqual({ code: 0, out: lines(...CHANGES, "Deployment 1 is live"), err: "" });
  });

  it("says no changes on a second deploy", async () => {
    expect(await tern(["deploy"], project, env)).toEqual({ code: 0, out: lines("No changes: the live deployment already matches the project"), err: "" });
  });

  it("fails with each file's error, exit code 1, and --check fails the same way", async () => {
    const broken = join(tmp, "broken");
    await cp(project, broken, { recursive: true });
    await writeFile(join(broken, "datasources", "bad_type.datasource"), 'SCHEMA >\n    `a` Strin\n\nENGINE "MergeTree"\n');
    await writeFile(join(broken, "endpoints", "bad_node.pipe"), "NODE a\nSQL >\n    SELECT 1\n\nTYPE endpoint\nNODE_TYPO x\n");
    const run = await tern(["deploy"], broken, env);
    expect(run.code).toBe(1);
    expect(run.out).toBe("");
    const errLines = run.err.split("\n");
    expect(errLines[0]).toBe("Deployment failed:");
    expect(errLines).toContain("  datasources/bad_type.datasource:2:9: invalid type for column `a`: unknown type `Strin`");
    expect(errLines.filter((l) => l.startsWith("  endpoints/bad_node.pipe:"))).toHaveLength(1);
    const check = await tern(["deploy", "--check"], broken, env);
    expect(check.code).toBe(1);
    expect(check.err).toBe(run.err.replace("Deployment failed:", "Check failed:"));
    // tern check finds the same problems offline.
    const offline = await tern(["check"], broken);
    expect(offline.code).toBe(1);
    expect(offline.out).toContain("datasources/bad_type.datasource:2:9: invalid type for column `a`: unknown type `Strin`\n");
    // Nothing changed on the server.
    expect((await tern(["deploy"], project, env)).out).toBe(lines("No changes: the live deployment already matches the project"));
  });

  it("prints the server's answer with --json", async () => {
    const run = await tern(["deploy", "--json"], project, env);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.out)).toEqual({ result: "no_changes" });
  });
});

describe("tern deployment", () => {
  const TOTAL_PIPE = "NODE total_node\nSQL >\n    SELECT count() AS rows FROM logs\n\nTYPE endpoint\n";

  it("keeps a --no-auto deployment in staging and lists it", async () => {
    await writeFile(join(project, "endpoints", "total.pipe"), TOTAL_PIPE);
    expect(await tern(["deploy", "--no-auto"], project, env)).toEqual({
      code: 0,
      out: lines("CHANGE  KIND  NAME", "new     pipe  total", "Deployment 2 is ready in staging: promote it with `tern deployment promote`"),
      err: "",
    });
    const ls = await tern(["deployment", "ls"], project, env);
    expect(ls.code).toBe(0);
    const rows = ls.out.trimEnd().split("\n");
    expect(rows[0]).toBe("ID  STATUS                LIVE  CREATED");
    expect(rows[1]).toMatch(/^2   data_ready \(staging\)        \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(rows[2]).toMatch(/^1   data_ready            yes   \d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(rows).toHaveLength(3);
    const json = JSON.parse((await tern(["deployment", "ls", "--json"], project, env)).out) as { deployments: Array<{ id: string; live: boolean }> };
    expect(json.deployments.map((d) => [d.id, d.live])).toEqual([["2", false], ["1", true]]);
  });

  it("refuses a second staging deployment when not auto-promoting", async () => {
    const run = await tern(["deploy", "--no-auto"], project, env);
    expect(run).toEqual({ code: 1, out: "", err: lines("tern deploy: Deployment 2 is in staging; promote or discard it before creating another (HTTP 409)") });
  });

  it("promotes the staging deployment", async () => {
    expect(await tern(["deployment", "promote"], project, env)).toEqual({ code: 0, out: lines("Deployment 2 is live"), err: "" });
    expect(await tern(["deployment", "promote"], project, env)).toEqual({
      code: 1,
      out: "",
      err: lines("tern deployment: there is no staging deployment to promote; give its id"),
    });
  });

  it("rolls back to the previous live deployment", async () => {
    expect(await tern(["deployment", "rollback"], project, env)).toEqual({ code: 0, out: lines("Rolled back: deployment 1 is live"), err: "" });
    const json = JSON.parse((await tern(["deployment", "ls", "--json"], project, env)).out) as { deployments: Array<{ id: string; live: boolean }> };
    expect(json.deployments.map((d) => [d.id, d.live])).toEqual([["2", false], ["1", true]]);
    // The retired deployment is not mistaken for a staging one.
    expect((await tern(["deployment", "discard"], project, env)).err).toBe(lines("tern deployment: there is no staging deployment to discard; give its id"));
  });

  it("discards a staging deployment, and refuses to discard the live one", async () => {
    await writeFile(join(project, "endpoints", "total.pipe"), TOTAL_PIPE.replace("rows", "n"));
    expect((await tern(["deploy", "--no-auto"], project, env)).out).toContain("Deployment 3 is ready in staging");
    expect(await tern(["deployment", "discard"], project, env)).toEqual({ code: 0, out: lines("Deployment 3 discarded"), err: "" });
    expect(await tern(["deployment", "discard", "1"], project, env)).toEqual({
      code: 1,
      out: "",
      err: lines("tern deployment: Deployment 1 is live; promote another one before deleting it (HTTP 400)"),
    });
  });

  it("discards a stale staging deployment before an auto deploy, as Tinybird's CLI does", async () => {
    expect((await tern(["deploy", "--no-auto"], project, env)).out).toContain("Deployment 4 is ready in staging");
    expect(await tern(["deploy"], project, env)).toEqual({
      code: 0,
      out: lines("CHANGE  KIND  NAME", "new     pipe  total", "Deployment 5 is live"),
      err: "",
    });
    const json = JSON.parse((await tern(["deployment", "ls", "--json"], project, env)).out) as { deployments: Array<{ id: string; live: boolean }> };
    expect(json.deployments.map((d) => d.id)).not.toContain("4");
  });
});

describe("tern workspace", () => {
  const dir = () => join(tmp, "login");

  it("creates a workspace", async () => {
    const run = await tern(["workspace", "create", "e2e_cli"], dir());
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Workspace 'e2e_cli' created \([0-9a-f-]{36}\); switch to it with `tern workspace use e2e_cli`\n$/);
    const dup = await tern(["workspace", "create", "e2e_cli"], dir());
    expect(dup).toEqual({ code: 1, out: "", err: lines("tern workspace: A workspace named 'e2e_cli' already exists (HTTP 409)") });
  });

  it("lists workspaces and marks the current one", async () => {
    const run = await tern(["workspace", "ls"], dir());
    expect(run.code).toBe(0);
    const rows = run.out.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^NAME\s+ID\s+CREATED\s+CURRENT$/);
    expect(rows.filter((r) => /^default\s/.test(r))).toEqual([expect.stringMatching(/\s\*$/)]);
    expect(rows.filter((r) => /^e2e_cli\s/.test(r))).toEqual([expect.not.stringMatching(/\*$/)]);
    const json = JSON.parse((await tern(["workspace", "ls", "--json"], dir())).out) as { workspaces: Array<Record<string, unknown>> };
    expect(json.workspaces.find((w) => w.name === "e2e_cli")).toEqual({
      id: expect.any(String),
      name: "e2e_cli",
      created_at: expect.any(String),
      current: false,
      // The fields Tinybird's CLI reads, passed through.
      role: "admin",
      plan: "dev",
      is_branch: false,
      main: null,
      organization: { id: "local", name: "local", role: "admin" },
    });
  });

  it("switches with use: the config gets the workspace's token", async () => {
    const run = await tern(["workspace", "use", "e2e_cli"], dir());
    const config = JSON.parse(await readFile(join(dir(), ".tern.json"), "utf8")) as { id: string; name: string; token: string; user_token: string };
    expect(run).toEqual({
      code: 0,
      out: lines(`Using workspace 'e2e_cli' (${config.id}) on ${platform.baseUrl}; saved in ${join(dir(), ".tern.json")}`),
      err: "",
    });
    expect(config.name).toBe("e2e_cli");
    expect(config.token).not.toBe(platform.adminToken);
    expect((await tern(["workspace", "current"], dir())).out.split("\n")[0]).toBe("workspace  e2e_cli");
    // The new workspace is empty, and deploys on its own.
    expect((await tern(["deployment", "ls"], dir())).out).toBe(lines("No deployments yet: run `tern deploy`"));
    expect((await tern(["deploy", "--cwd", project, "--token", config.token, "--host", platform.baseUrl], tmp)).out).toContain("Deployment 1 is live");
    // The user token is kept: listing still works and marks the new current workspace.
    const ls = await tern(["workspace", "ls"], dir());
    expect(ls.out.split("\n").filter((r) => /^e2e_cli\s/.test(r))).toEqual([expect.stringMatching(/\s\*$/)]);
  });

  it("warns when an environment token overrides the saved one", async () => {
    const run = await tern(["workspace", "use", "default"], dir(), env);
    expect(run.code).toBe(0);
    expect(run.err).toBe(lines("note: TERN_TOKEN is set and wins over .tern.json"));
  });
});
