/**
 * `npm run dev` with extra arguments (e.g. `--clickhouse-url` to run against a
 * ClickHouse the test controls), plus a deploy helper speaking /v1/deploy.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, isAlive } from "./processes.js";

export interface Platform {
  url: string;
  adminToken: string;
  output: () => string;
  stop(): Promise<void>;
}

export async function startPlatformWith(extraArgs: string[]): Promise<Platform> {
  const dataDir = await mkdtemp(join(tmpdir(), "tern-e2e-"));
  const port = await freePort();
  const args = ["run", "dev", "--", "--port", String(port), "--data-dir", dataDir, ...extraArgs];
  if (!extraArgs.includes("--clickhouse-url")) args.push("--clickhouse-port", String(await freePort()));
  const child: ChildProcess = spawn("npm", args, {
    cwd: join(import.meta.dirname, "..", "..", ".."),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const adminToken = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm run dev did not start:\n${output}`)), 180_000);
    child.stdout!.on("data", () => {
      const m = output.match(/Admin token: (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run dev exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    adminToken,
    output: () => output,
    async stop() {
      if (child.pid && isAlive(child.pid)) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(-child.pid, "SIGINT");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (isAlive(child.pid)) process.kill(-child.pid, "SIGKILL");
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deploys datafiles to a running platform the way `tinybird deploy` does. */
export async function deployFiles(p: { url: string; adminToken: string }, files: Record<string, string>): Promise<unknown> {
  const form = new FormData();
  for (const [name, text] of Object.entries(files)) form.append("data_project://", new File([text], name, { type: "text/plain" }));
  const res = await fetch(`${p.url}/v1/deploy?auto_promote=true`, { method: "POST", body: form, headers: { authorization: `Bearer ${p.adminToken}` } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`deploy failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}
