// The local platform as a user starts it: `npm run dev` on free ports with a
// throwaway data dir, in its own process group (as a terminal runs it, so
// "Ctrl-C" reaches the whole group). One per test file that does not share the
// run's (./shared-platform.ts): it takes ~10 s idle,
// longer on a loaded machine; readiness is the launcher's own (./dev-ready.ts).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForLaunch } from "./dev-ready.js";
import { descendantsOf, freePort, isAlive } from "./processes.js";

export const REPO_ROOT = join(import.meta.dirname, "..", "..", "..");

export interface DevPlatform {
  child: ChildProcess;
  port: number;
  /** `http://localhost:<port>`, as `npm run dev` prints it. */
  baseUrl: string;
  dataDir: string;
  adminToken: string;
  /** Everything the process printed so far. */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Ctrl-C to the group, SIGKILL whatever is left, remove the data dir. */
  stop(): Promise<void>;
}

/** `extraArgs` go to `npm run dev` after the port and data-dir options (e.g. `--clickhouse-url`). */
export async function startDevPlatform(extraArgs: string[] = []): Promise<DevPlatform> {
  const dataDir = await mkdtemp(join(tmpdir(), "tern-e2e-dev-"));
  const port = await freePort();
  const chPort = await freePort();
  const s3Port = await freePort();
  const args = [
    "run", "dev", "--", "--port", String(port), "--clickhouse-port", String(chPort), "--s3-port", String(s3Port), "--data-dir", dataDir, ...extraArgs,
  ];
  const child = spawn("npm", args, {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));

  const waitForOutput = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`)), timeoutMs);
      const check = () => {
        const m = output.match(pattern);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      };
      child.stdout!.on("data", check);
      child.stderr!.on("data", check);
      child.once("exit", (code) => reject(new Error(`npm run dev exited with ${code}:\n${output}`)));
      check();
    });

  const seen = new Set<number>();
  const stop = async () => {
    if (child.pid !== undefined) {
      for (const pid of descendantsOf(child.pid)) seen.add(pid);
      if (isAlive(child.pid)) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        process.kill(-child.pid, "SIGINT");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      }
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is gone.
      }
      for (const pid of seen) if (isAlive(pid)) process.kill(pid, "SIGKILL");
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const adminToken = await waitForLaunch({ child, output: () => output, port, dataDir });
    for (const pid of descendantsOf(child.pid!)) seen.add(pid);
    return { child, port, baseUrl: `http://localhost:${port}`, dataDir, adminToken, output: () => output, waitForOutput, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
