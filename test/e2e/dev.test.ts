// The README's dev line, for real: `npm run dev` brings up ClickHouse and the
// Worker, serves /v0/health and /tokens, and Ctrl-C leaves no process behind.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandOf, descendantsOf, freePort, isAlive } from "./helpers/processes.js";

let dev: ChildProcess;
let output = "";
let dataDir: string;
let port: number;
let adminToken: string;
const seenPids = new Set<number>();

function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`)), timeoutMs);
    const check = () => {
      const m = output.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    dev.stdout!.on("data", check);
    dev.stderr!.on("data", check);
    dev.once("exit", (code) => reject(new Error(`npm run dev exited with ${code}:\n${output}`)));
    check();
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "tern-e2e-dev-"));
  port = await freePort();
  const chPort = await freePort();
  // Its own process group, as a terminal would run it, so "Ctrl-C" reaches the group.
  dev = spawn("npm", ["run", "dev", "--", "--port", String(port), "--clickhouse-port", String(chPort), "--data-dir", dataDir], {
    cwd: join(import.meta.dirname, "..", ".."),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  dev.stdout!.on("data", (d) => (output += d));
  dev.stderr!.on("data", (d) => (output += d));
  const m = await waitForOutput(/Admin token: (\S+)/, 180_000);
  adminToken = m[1]!;
  for (const pid of descendantsOf(dev.pid!)) seenPids.add(pid);
}, 200_000);

afterAll(async () => {
  if (dev.pid && isAlive(dev.pid)) process.kill(-dev.pid, "SIGKILL");
  for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

describe("npm run dev", () => {
  it("prints the API URL and the workspace admin token", () => {
    expect(output).toContain(`API:         http://localhost:${port}`);
    expect(adminToken).toMatch(/^p\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it("serves /v0/health with ClickHouse's version", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v0/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; clickhouse: { status: string; version: string } };
    expect(body.status).toBe("ok");
    expect(body.clickhouse.version).toMatch(/^\d+\.\d+/);
    expect(output).toContain(`(ClickHouse ${body.clickhouse.version})`);
  });

  it("answers GET /tokens like Tinybird Local, with the printed admin token", async () => {
    const res = await fetch(`http://127.0.0.1:${port}/tokens`);
    const body = (await res.json()) as Record<string, string>;
    expect(body.workspace_admin_token).toBe(adminToken);
    expect(Object.keys(body).sort()).toEqual(["admin_token", "user_token", "workspace_admin_token"]);
  });

  it("runs workerd and the local ClickHouse as its children", () => {
    const commands = [...seenPids].map(commandOf).join("\n");
    expect(commands).toMatch(/workerd/);
    expect(commands).toMatch(/clickhouse-local/);
  });

  it("stops every child process on Ctrl-C", async () => {
    for (const pid of descendantsOf(dev.pid!)) seenPids.add(pid);
    const exited = new Promise<number | null>((r) => dev.once("exit", (code) => r(code)));
    process.kill(-dev.pid!, "SIGINT");
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
