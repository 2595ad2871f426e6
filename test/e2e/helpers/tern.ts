// The `tern` binary as users run it: a child process (`node cli/bin/tern.js`)
// with a clean environment, its exit code and both outputs captured.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./dev-platform.js";

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
