/**
 * @module console/build
 * Builds the console (vite) into console/dist/ui/ unless the build there was made
 * from the same sources: a hash of console/src, index.html, vite.config.ts and the
 * lockfile is kept in .tern/cache/console-build.stamp. Run by wrangler's [build] (so by
 * `npm run dev`, `wrangler dev` and `wrangler deploy`) and by the console's e2e
 * setup; concurrent runs wait for one another through a lock directory.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const stampFile = join(root, "..", ".tern", "cache", "console-build.stamp");
const lockDir = join(root, ".build-lock");

/**
 * Workers static assets' `_headers` at the assets root: the console runs only its
 * own scripts and talks only to its own origin (CodeMirror and uPlot set inline
 * styles, hence style-src 'unsafe-inline'); no framing.
 */
const HEADERS = `/ui/*
  Content-Security-Policy: default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'
  X-Content-Type-Options: nosniff
  Referrer-Policy: no-referrer
`;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(p)));
    else out.push(p);
  }
  return out.sort();
}

async function sourceHash(): Promise<string> {
  const h = createHash("sha256");
  const inputs = [...(await files(join(root, "src"))), join(root, "index.html"), join(root, "vite.config.ts"), join(root, "build.ts"), join(root, "..", "package-lock.json")];
  for (const f of inputs) h.update(f.slice(root.length)).update("\0").update(await readFile(f)).update("\0");
  return h.digest("hex");
}

async function current(hash: string): Promise<boolean> {
  try {
    return (await readFile(stampFile, "utf8")) === hash && (await stat(join(dist, "ui", "index.html"))).isFile() && (await stat(join(dist, "_headers"))).isFile();
  } catch {
    return false;
  }
}

async function lock(): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(lockDir);
      return;
    } catch {
      // A lock older than 3 minutes belongs to a build that died.
      const age = await stat(lockDir).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 180_000) await rmdir(lockDir).catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`console build: ${lockDir} held for 3 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export async function buildConsole(): Promise<"built" | "current"> {
  const hash = await sourceHash();
  if (await current(hash)) return "current";
  await lock();
  try {
    if (await current(hash)) return "current";
    const { build } = await import("vite");
    await mkdir(dirname(stampFile), { recursive: true });
    await rm(stampFile, { force: true });
    await build({ configFile: join(root, "vite.config.ts") });
    await writeFile(join(dist, "_headers"), HEADERS);
    await writeFile(stampFile, hash);
    return "built";
  } finally {
    await rmdir(lockDir).catch(() => undefined);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  buildConsole().then(
    (r) => console.log(`console: ${r === "built" ? `built in ${Date.now() - started} ms` : "up to date"} (console/dist/ui)`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
