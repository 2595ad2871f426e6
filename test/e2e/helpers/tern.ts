// The `tern` binary as users run it: a child process (`node cli/bin/tern.js`)
// with a clean environment, its exit code and both outputs captured; and the
// setup the CLI tests share (a temp dir, an empty HOME, a local platform: its
// own, or a workspace of its own on the shared one).
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, startDevPlatform, type DevPlatform } from "./dev-platform.js";
import { sharedWorkspace, type PlatformAccess } from "./shared-workspace.js";

const TERN = join(REPO_ROOT, "cli", "bin", "tern.js");

export interface Run {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `tern args` in `cwd` with HOME set to `home` and only the given
 * TERN_/TB_/TINYBIRD_ variables set (those of this process are dropped).
 */
export function runTern(args: string[], opts: { cwd: string; home: string; env?: Record<string, string> }): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TERN_|TB_|TINYBIRD_)/.test(k)));
  return new Promise((resolve) => {
    execFile(process.execPath, [TERN, ...args], { cwd: opts.cwd, env: { ...clean, ...opts.env, HOME: opts.home } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

/** The expected output of a command that prints these lines. */
export const lines = (...l: string[]): string => l.map((x) => `${x}\n`).join("");

/** What a CLI test file runs against: see {@link startTernSetup}. */
export interface TernSetup<P extends PlatformAccess = DevPlatform> {
  platform: P;
  /** A temp dir for the file's projects; `stop()` removes it. */
  tmp: string;
  /** The HOME the commands see: an empty dir under `tmp`. */
  home: string;
  /** TERN_HOST and TERN_TOKEN (the workspace admin token) of the platform. */
  env: Record<string, string>;
  /** Runs `tern args` in `cwd` with HOME set and only the given TERN_/TB_/TINYBIRD_ variables set. */
  tern(args: string[], cwd: string, env?: Record<string, string>): Promise<Run>;
  stop(): Promise<void>;
}

/**
 * A temp dir (named from `prefix`) with an empty HOME, and a local platform:
 * started for it (`"own"`), or a workspace of its own on the e2e run's shared
 * platform (`"shared"`, test/README.md says when a file may share).
 */
export async function startTernSetup(prefix: string, on?: "own"): Promise<TernSetup<DevPlatform>>;
export async function startTernSetup(prefix: string, on: "shared"): Promise<TernSetup<PlatformAccess>>;
export async function startTernSetup(prefix: string, on: "own" | "shared" = "own"): Promise<TernSetup<PlatformAccess>> {
  const tmp = await mkdtemp(join(tmpdir(), prefix));
  const home = join(tmp, "home");
  let platform: PlatformAccess;
  let own: DevPlatform | undefined;
  try {
    await mkdir(home);
    if (on === "own") platform = own = await startDevPlatform();
    else platform = await sharedWorkspace(prefix.replace(/[^A-Za-z0-9_]/g, "_").replace(/_+$/, ""));
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return {
    platform,
    tmp,
    home,
    env: { TERN_HOST: platform.baseUrl, TERN_TOKEN: platform.adminToken },
    tern: (args, cwd, env = {}) => runTern(args, { cwd, env, home }),
    stop: async () => {
      await own?.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
