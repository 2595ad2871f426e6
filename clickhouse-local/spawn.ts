/**
 * Runs the local ClickHouse server (main.ts) as a child process: used by the
 * test global setup, `tern dev`, and fault tests that restart or kill it.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface SpawnOptions {
  port?: number;
  dataDir: string;
  user?: string;
  password?: string;
  compat?: string;
  pool?: number;
  /** Connections only the admin user may use (server default: 2, at most pool - 1). */
  adminReserve?: number;
  env?: NodeJS.ProcessEnv;
  /** Largest accepted request body in bytes (server default 1 GiB). */
  maxBodyBytes?: number;
  /** How long to wait for the ready line (default 60 s). */
  timeoutMs?: number;
}

export interface SpawnedClickHouse {
  url: string;
  port: number;
  version: string;
  pid: number;
  /** SIGTERM, then wait for the process to exit. */
  stop(): Promise<void>;
  /** SIGKILL, then wait for the process to exit. */
  kill(): Promise<void>;
  /** Settles when the process has exited, with its exit code or signal. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const here = dirname(fileURLToPath(import.meta.url));
const READY = /^clickhouse-local listening on (http:\/\/\S+?:(\d+)) \(ClickHouse (\S+)\)$/;

function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
}

export async function spawnLocalClickHouse(opts: SpawnOptions): Promise<SpawnedClickHouse> {
  const args = [
    "--import",
    tsxLoader(),
    join(here, "main.ts"),
    `--data-dir=${opts.dataDir}`,
    `--port=${opts.port ?? 0}`,
    "--exit-with-stdin",
  ];
  // "--name=value", never "--name value": a value may begin with "-", which
  // parseArgs would read as an option.
  if (opts.user !== undefined) args.push(`--user=${opts.user}`);
  if (opts.compat !== undefined) args.push(`--compat=${opts.compat}`);
  if (opts.pool !== undefined) args.push(`--pool=${opts.pool}`);
  if (opts.adminReserve !== undefined) args.push(`--admin-reserve=${opts.adminReserve}`);
  if (opts.maxBodyBytes !== undefined) args.push(`--max-body-bytes=${opts.maxBodyBytes}`);

  // Node itself, not the tsx CLI: one process, so the pid we hold is the server.
  const child = spawn(process.execPath, args, {
    // The password by environment, not argv: it stays out of `ps` output.
    env: { ...process.env, ...opts.env, CLICKHOUSE_LOCAL_PASSWORD: opts.password ?? "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const exited = exit.then(() => undefined);
  // If this process exits without stopping the child, take it down too
  // (stdin closing covers a parent that is SIGKILLed).
  const killOnExit = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      /* gone */
    }
  };
  process.once("exit", killOnExit);
  void exited.then(() => process.off("exit", killOnExit));

  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr = (stderr + d).slice(-16_384);
  });

  const timeoutMs = opts.timeoutMs ?? 60_000;
  const ready = await new Promise<{ url: string; port: number; version: string }>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`local ClickHouse did not become ready within ${timeoutMs} ms. stderr:\n${stderr}`));
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
          resolve({ url: m[1]!, port: Number(m[2]), version: m[3]! });
          return;
        }
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`local ClickHouse exited before it was ready (code ${code}, signal ${signal}). stderr:\n${stderr}`));
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start local ClickHouse: ${e.message}`));
    });
  });

  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return {
    ...ready,
    pid: child.pid!,
    exit,
    stop: () => signal("SIGTERM"),
    kill: () => signal("SIGKILL"),
  };
}
