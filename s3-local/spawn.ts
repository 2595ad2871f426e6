/**
 * @module s3-local/spawn
 * Runs the local S3 server (main.ts) as a child process in its own process
 * group: used by the test global setup and `npm run dev`. Its own group, so a
 * Ctrl-C in the terminal reaches the launcher, which stops it in order; the
 * child also exits when its parent's stdin pipe closes, so it never outlives a
 * killed parent. The secret key goes by environment, never argv (`ps`).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface SpawnS3Options {
  dataDir: string;
  accessKey: string;
  secretKey: string;
  /** Default 0: a free port. */
  port?: number;
  buckets?: string[];
  readOnlyBuckets?: string[];
  /** How long to wait for the ready line (default 30 s). */
  timeoutMs?: number;
}

export interface SpawnedS3 {
  /** `http://127.0.0.1:PORT`: buckets are path-style under it. */
  url: string;
  port: number;
  pid: number;
  /** SIGTERM to the group, then wait for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL to the group, then wait for the process to exit. */
  kill(): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const here = dirname(fileURLToPath(import.meta.url));
const READY = /^s3-local listening on (http:\/\/\S+?:(\d+))$/;

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
}

export async function spawnLocalS3(opts: SpawnS3Options): Promise<SpawnedS3> {
  // "--name=value": a value may begin with "-", which parseArgs would read as an option.
  const args = [
    "--import", tsxLoader(), join(here, "main.ts"),
    `--data-dir=${opts.dataDir}`, `--access-key=${opts.accessKey}`, `--port=${opts.port ?? 0}`, "--exit-with-stdin",
    ...(opts.buckets ?? []).map((b) => `--bucket=${b}`),
    ...(opts.readOnlyBuckets ?? []).map((b) => `--read-only-bucket=${b}`),
  ];
  // Node itself, not the tsx CLI: one process, so the pid we hold is the server.
  const child = spawn(process.execPath, args, {
    env: { ...process.env, S3_LOCAL_SECRET_KEY: opts.secretKey },
    stdio: ["pipe", "pipe", "pipe"],
    detached: true,
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const exited = exit.then(() => undefined);
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  // If this process exits without stopping the child, take it down too.
  const killOnExit = () => signalGroup("SIGKILL");
  process.once("exit", killOnExit);
  void exited.then(() => process.off("exit", killOnExit));

  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr = (stderr + d).slice(-16_384);
  });

  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ready = await new Promise<{ url: string; port: number }>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      signalGroup("SIGKILL");
      reject(new Error(`local S3 did not become ready within ${timeoutMs} ms. stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding("utf8");
    const onData = (d: string) => {
      out += d;
      for (const line of out.split("\n")) {
        const m = READY.exec(line.trim());
        if (m) {
          clearTimeout(timer);
          child.stdout.off("data", onData);
          child.stdout.resume();
          resolve({ url: m[1]!, port: Number(m[2]) });
          return;
        }
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`local S3 exited before it was ready (code ${code}, signal ${signal}). stderr:\n${stderr}`));
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start local S3: ${e.message}`));
    });
  });

  const stopWith = async (sig: NodeJS.Signals) => {
    signalGroup(sig);
    await exited;
  };
  return { ...ready, pid: child.pid!, exit, stop: () => stopWith("SIGTERM"), kill: () => stopWith("SIGKILL") };
}
