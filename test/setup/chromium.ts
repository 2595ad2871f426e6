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
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";

const REPO_ROOT = join(import.meta.dirname, "..", "..");

export interface Chromium {
  executablePath: string;
  /** Environment for the browser process (the unpacked tree's libraries). */
  env: Record<string, string>;
}

function sh(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

function installed(pkg: string): boolean {
  try {
    return sh("dpkg-query", ["-W", "-f=${Status}", pkg]).includes("install ok installed");
  } catch {
    return false;
  }
}

function candidateVersion(): string {
  let policy = sh("apt-cache", ["policy", "chromium"]);
  if (!/Candidate: (?!\(none\))/.test(policy) && process.getuid?.() === 0) {
    sh("apt-get", ["update"]);
    policy = sh("apt-cache", ["policy", "chromium"]);
  }
  const m = /Candidate: (\S+)/.exec(policy);
  if (!m?.[1] || m[1] === "(none)") throw new Error("chromium: Debian's package is not known to apt (run `apt-get update` as root once)");
  return m[1];
}

function libraryPath(root: string): string {
  const dirs = ["usr/lib/chromium", "usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu/pulseaudio", "usr/lib/aarch64-linux-gnu", "lib/aarch64-linux-gnu"];
  return [...dirs.map((d) => join(root, d)).filter((d) => existsSync(d)), process.env.LD_LIBRARY_PATH ?? ""].filter(Boolean).join(":");
}

export function ensureChromium(): Chromium {
  if (process.env.TERN_CHROMIUM) return { executablePath: process.env.TERN_CHROMIUM, env: {} };
  if (existsSync("/usr/lib/chromium/chromium") && installed("chromium")) return { executablePath: "/usr/lib/chromium/chromium", env: {} };

  const version = candidateVersion().replace(/[^A-Za-z0-9.+~-]/g, "_");
  const cache = join(REPO_ROOT, ".tern", "cache");
  const root = join(cache, `chromium-${version}`);
  const exe = join(root, "usr", "lib", "chromium", "chromium");
  if (!existsSync(exe)) {
    const building = `${root}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(join(building, "debs"), { recursive: true });
    const closure = sh("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", "chromium"])
      .split("\n")
      .filter((l) => l && !l.startsWith(" ") && !l.startsWith("<"));
    const wanted = [...new Set(closure)].filter((p) => p === "chromium" || p === "chromium-common" || !installed(p));
    sh("apt-get", ["download", ...wanted], join(building, "debs"));
    const tree = join(building, "root");
    mkdirSync(tree);
    for (const deb of readdirSync(join(building, "debs"))) sh("dpkg", ["-x", join(building, "debs", deb), tree]);
    rmSync(join(building, "debs"), { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
    renameSync(tree, root);
    rmSync(building, { recursive: true, force: true });
  }
  const env: Record<string, string> = { LD_LIBRARY_PATH: libraryPath(root) };
  const fontsConf = join(root, "etc", "fonts", "fonts.conf");
  if (!existsSync("/etc/fonts/fonts.conf") && existsSync(fontsConf)) env.FONTCONFIG_FILE = fontsConf;
  return { executablePath: exe, env };
}

if (process.argv[1] === import.meta.filename) {
  const c = ensureChromium();
  console.log(c.executablePath);
  console.log(execFileSync(c.executablePath, ["--headless", "--no-sandbox", "--version"], { encoding: "utf8", env: { ...process.env, ...c.env } }).trim());
}
