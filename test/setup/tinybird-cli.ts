/**
 * Tinybird's own CLI, `tb` (PyPI package `tinybird`), as the tests drive it:
 * installed by the repo itself from PyPI into a Python venv under the
 * git-ignored `.tern/cache/`, at a pinned version with every dependency pinned
 * (`tinybird-cli-constraints.txt`), once per machine; each test file then runs
 * the same install. Nothing is installed by hand, so a fresh clone and CI get
 * the same `tb`.
 *
 * Python 3.11 to 3.13 (what tinybird 5.0.3 accepts) must be on the PATH; where
 * it is not, `findPython` says so and the tests that need `tb` are skipped
 * with that reason (test/README.md). Any other failure (pip, the network to
 * PyPI) fails the tests that need it.
 *
 * The venv is built in a temporary folder beside its final one and renamed
 * into place when complete, so two test files installing at once, or an
 * install killed halfway, never leave a half-built `tb` behind. It is run as
 * `<venv>/bin/python -c …` (not `bin/tb`, whose first line names the
 * temporary folder), which a renamed venv runs as well.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const TINYBIRD_CLI_VERSION = "5.0.3";

const REPO_ROOT = join(import.meta.dirname, "..", "..");
const CONSTRAINTS = join(import.meta.dirname, "tinybird-cli-constraints.txt");
/** Where installs are kept between runs (git-ignored with the rest of `.tern/`). */
export const TINYBIRD_CLI_CACHE = join(REPO_ROOT, ".tern", "cache");

/** tinybird 5.0.3's `Requires-Python: >=3.11, <3.14`; 3.11 first, the version the constraints were frozen on. */
const CANDIDATES = ["python3.11", "python3.12", "python3.13", "python3"];
const SUPPORTED = /^3\.(11|12|13)$/;

export type PythonLookup = { ok: true; python: string; version: string } | { ok: false; reason: string };

/** The first Python on the PATH that tinybird supports (synchronous, so tests can decide to skip at collection). */
export function findPython(): PythonLookup {
  const seen: string[] = [];
  for (const candidate of CANDIDATES) {
    const probe = spawnSync(candidate, ["-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) continue;
    const version = probe.stdout.trim();
    if (SUPPORTED.test(version)) return { ok: true, python: candidate, version };
    seen.push(`${candidate} is ${version}`);
  }
  return {
    ok: false,
    reason: `no Python 3.11-3.13 with venv on the PATH (tried ${CANDIDATES.join(", ")}${seen.length ? `; ${seen.join(", ")}` : ""}): Tinybird's CLI tb ${TINYBIRD_CLI_VERSION} needs one`,
  };
}

export interface TinybirdCli {
  version: string;
  /** The venv's interpreter; run `tb` with {@link tbCommand}. */
  python: string;
}

/** `[file, args]` that run `tb <args>` from the install. */
export function tbCommand(cli: TinybirdCli, args: string[]): [string, string[]] {
  // argv[0] = "tb" so click names the program as users see it.
  return [cli.python, ["-c", "import sys; sys.argv[0] = 'tb'; from tinybird.tb.cli import cli; sys.exit(cli())", ...args]];
}

/** Installs `tb` once (or finds the install); rejects with pip's output when that fails. */
export async function installTinybirdCli(lookup: PythonLookup = findPython()): Promise<TinybirdCli> {
  if (!lookup.ok) throw new Error(lookup.reason);
  const home = join(TINYBIRD_CLI_CACHE, `tinybird-cli-${TINYBIRD_CLI_VERSION}-py${lookup.version}`);
  const cli = { version: TINYBIRD_CLI_VERSION, python: join(home, "bin", "python") };
  if (existsSync(join(home, "installed"))) return cli;

  await mkdir(TINYBIRD_CLI_CACHE, { recursive: true });
  const building = `${home}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await run(lookup.python, ["-m", "venv", building]);
    const python = join(building, "bin", "python");
    await run(python, ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet", "-c", CONSTRAINTS, `tinybird==${TINYBIRD_CLI_VERSION}`], {
      maxBuffer: 16 * 1024 * 1024,
    });
    // The marker goes in last: a folder without it is not an install.
    await writeFile(join(building, "installed"), `tinybird==${TINYBIRD_CLI_VERSION}\n`);
    await rename(building, home).catch(async (e: NodeJS.ErrnoException) => {
      // Another test file finished the same install first: keep theirs.
      if (!existsSync(join(home, "installed"))) throw e;
    });
  } catch (e) {
    const out = e as { stdout?: string; stderr?: string; message?: string };
    throw new Error(`installing tb (pip install tinybird==${TINYBIRD_CLI_VERSION}) failed: ${out.message ?? String(e)}\n${out.stdout ?? ""}${out.stderr ?? ""}`, { cause: e });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return cli;
}

export interface TbRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `tb args` in `cwd` with HOME set to `home`, none of this process's
 * TB_/TINYBIRD_ variables, no version check against PyPI and no telemetry
 * (both would call Tinybird's servers).
 */
export function runTb(cli: TinybirdCli, args: string[], opts: { cwd: string; home: string; env?: Record<string, string> }): Promise<TbRun> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TB_|TINYBIRD_)/.test(k)));
  const env = { ...clean, TB_VERSION_WARNING: "0", TB_CLI_TELEMETRY_OPTOUT: "1", PYTHONUNBUFFERED: "1", NO_COLOR: "1", ...opts.env, HOME: opts.home };
  const [file, argv] = tbCommand(cli, args);
  return new Promise((resolve) => {
    execFile(file, argv, { cwd: opts.cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}
