/**
 * @module test/setup/chromium
 * Debian's `chromium` for the console's e2e tests (driven by playwright-core; no
 * Playwright browser download). Order: `TERN_CHROMIUM` (a path), a `chromium`
 * already installed (/usr/bin/chromium), else Debian's packages unpacked
 * without root into the git-ignored `.tern/cache/chromium-<version>/`: `apt-get
 * download` of chromium and every package of its dependency closure that the
 * machine does not have, each `dpkg -x`-ed into one tree (built beside its folder
 * and renamed into place, so an interrupted install leaves nothing half-built).
 * The first run needs Debian's mirror (~210 MB); later runs reuse the folder.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const REPO_ROOT = join(import.meta.dirname, "..", "..");

export interface Chromium {
  executablePath: string;
  /** Environment for the browser process (the unpacked tree's libraries). */
  env: Record<string, string>;
}

// Asynchronous, so that a first run's ~1 min download does not block the
// process it runs in (the e2e globalSetup starts the shared platform meanwhile).
async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  return (await run(cmd, args, { cwd, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })).stdout;
}

async function installed(pkg: string): Promise<boolean> {
  try {
    return (await sh("dpkg-query", ["-W", "-f=${Status}", pkg])).includes("install ok installed");
  } catch {
    return false;
  }
}

async function candidateVersion(): Promise<string> {
  let policy = await sh("apt-cache", ["policy", "chromium"]);
  if (!/Candidate: (?!\(none\))/.test(policy) && process.getuid?.() === 0) {
    await sh("apt-get", ["update"]);
    policy = await sh("apt-cache", ["policy", "chromium"]);
  }
  const m = /Candidate: (\S+)/.exec(policy);
  if (!m?.[1] || m[1] === "(none)") throw new Error("chromium: Debian's package is not known to apt (run `apt-get update` as root once)");
  return m[1];
}

function libraryPath(root: string): string {
  const dirs = ["usr/lib/chromium", "usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/pulseaudio", "usr/lib/aarch64-linux-gnu", "lib/aarch64-linux-gnu"];
  return [...dirs.map((d) => join(root, d)).filter((d) => existsSync(d)), process.env.LD_LIBRARY_PATH ?? ""].filter(Boolean).join(":");
}

export async function ensureChromium(): Promise<Chromium> {
  if (process.env.TERN_CHROMIUM) return { executablePath: process.env.TERN_CHROMIUM, env: {} };
  if (existsSync("/usr/lib/chromium/chromium") && (await installed("chromium"))) return { executablePath: "/usr/lib/chromium/chromium", env: {} };

  const version = (await candidateVersion()).replace(/[^A-Za-z0-9.+~-]/g, "_");
  const cache = join(REPO_ROOT, ".tern", "cache");
  const root = join(cache, `chromium-${version}`);
  const exe = join(root, "usr", "lib", "chromium", "chromium");
  if (!existsSync(exe)) {
    const building = `${root}.building-${process.pid}`;
    await rm(building, { recursive: true, force: true });
    await mkdir(join(building, "debs"), { recursive: true });
    const closure = (await sh("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", "chromium"]))
      .split("\n")
      .filter((l) => l && !l.startsWith(" ") && !l.startsWith("<"));
    const wanted: string[] = [];
    for (const p of new Set(closure)) if (p === "chromium" || p === "chromium-common" || !(await installed(p))) wanted.push(p);
    await sh("apt-get", ["download", ...wanted], join(building, "debs"));
    const tree = join(building, "root");
    await mkdir(tree);
    for (const deb of await readdir(join(building, "debs"))) await sh("dpkg", ["-x", join(building, "debs", deb), tree]);
    await rm(join(building, "debs"), { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
    await rename(tree, root);
    await rm(building, { recursive: true, force: true });
  }
  const env: Record<string, string> = { LD_LIBRARY_PATH: libraryPath(root) };
  const fontsConf = join(root, "etc", "fonts", "fonts.conf");
  if (!existsSync("/etc/fonts/fonts.conf") && existsSync(fontsConf)) env.FONTCONFIG_FILE = fontsConf;
  return { executablePath: exe, env };
}

if (process.argv[1] === import.meta.filename) {
  const c = await ensureChromium();
  console.log(c.executablePath);
  console.log(execFileSync(c.executablePath, ["--headless", "--no-sandbox", "--version"], { encoding: "utf8", env: { ...process.env, ...c.env } }).trim());
}
