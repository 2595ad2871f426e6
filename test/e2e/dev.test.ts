// The README's dev line, for real: `npm run dev` brings up ClickHouse and the
// Worker, serves /v0/health and /tokens, and Ctrl-C leaves no process behind.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT, startDevPlatform, type DevPlatform } from "./helpers/dev-platform.js";
import { commandOf, descendantsOf, freePort, isAlive } from "./helpers/processes.js";

let platform: DevPlatform;
let port: number;
let adminToken: string;
let inspectorPort: number;
const seenPids = new Set<number>();

/** What a DevTools client reads first: the list of debuggable targets. */
async function devtoolsTargets(port: number): Promise<Array<{ webSocketDebuggerUrl: string }> | "refused"> {
  try {
    return (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  } catch {
    return "refused";
  }
}

beforeAll(async () => {
  inspectorPort = await freePort();
  platform = await startDevPlatform(["--inspector-port", String(inspectorPort)]);
  port = platform.port;
  adminToken = platform.adminToken;
  for (const pid of descendantsOf(platform.child.pid!)) seenPids.add(pid);
}, 240_000);

afterAll(async () => {
  for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  await platform?.stop();
});

describe("npm run dev", () => {
  it("prints the API URL and the workspace admin token", () => {
    expect(platform.output()).toContain(`API:         http://localhost:${port}`);
    expect(adminToken).toMatch(/^p\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it("serves /v0/health with ClickHouse's version", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v0/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; clickhouse: { status: string; version: string } };
    expect(body.status).toBe("ok");
    expect(body.clickhouse.version).toMatch(/^\d+\.\d+/);
    expect(platform.output()).toContain(`(ClickHouse ${body.clickhouse.version})`);
  });

  it("answers GET /tokens like Tinybird Local, with the printed admin token", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/tokens`);
    const body = (await res.json()) as Record<string, string>;
    expect(body.workspace_admin_token).toBe(adminToken);
    expect(Object.keys(body).sort()).toEqual(["admin_token", "user_token", "workspace_admin_token"]);
  });

  it("runs without wrangler's DevTools proxy (it traces every fetch the Worker makes)", async () => {
    expect(await devtoolsTargets(inspectorPort)).toBe("refused");
  });

  it("runs workerd and the local ClickHouse as its children", () => {
    const commands = [...seenPids].map(commandOf).join("\n");
    expect(commands).toMatch(/workerd/);
    expect(commands).toMatch(/clickhouse-local/);
  });

  it("stops every child process on Ctrl-C", async () => {
    for (const pid of descendantsOf(platform.child.pid!)) seenPids.add(pid);
    const exited = new Promise<number | null>((r) => platform.child.once("exit", (code) => r(code)));
    process.kill(-platform.child.pid!, "SIGINT");
    await exited;
    // Give the group a moment to finish dying before looking.
    const deadline = Date.now() + 15_000;
    let left: number[] = [];
    do {
      left = [...seenPids].filter(isAlive);
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    expect(left.map((pid) => `${pid} ${commandOf(pid)}`)).toEqual([]);
  }, 30_000);
});

describe("npm run dev -- --inspect", () => {
  it("serves wrangler's DevTools targets on --inspector-port", async () => {
    const port = await freePort();
    const withDevtools = await startDevPlatform(["--inspect", "--inspector-port", String(port)]);
    try {
      const targets = await devtoolsTargets(port);
      expect(targets).not.toBe("refused");
      expect((targets as Array<{ webSocketDebuggerUrl: string }>)[0]?.webSocketDebuggerUrl).toBe(`ws://127.0.0.1:${port}/ws`);
    } finally {
      await withDevtools.stop();
    }
  }, 240_000);
});

describe("npm run dev -- --log-level", () => {
  it("refuses a level wrangler does not know, before starting anything", () => {
    const run = spawnSync(join(REPO_ROOT, "node_modules", ".bin", "tsx"), ["cli/dev.ts", "--log-level", "loud", "--data-dir", join(REPO_ROOT, ".tern", "never-created")], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("--log-level: one of none, error, warn, info, log, debug, not loud");
  });
});
