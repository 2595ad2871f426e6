// The e2e files' first-run installs, done once per run in the e2e globalSetup
// (./shared-platform.ts) beside the shared platform's start: Tinybird's CLI
// (test/setup/tinybird-cli.ts) and Debian's Chromium (test/setup/chromium.ts).
// Both are network-bound on a fresh machine and instant once cached. A failure
// here is not the run's: it is left for the files that need the install, which
// try again and fail (or skip, without Python) with the reason in their title.
import { ensureChromium } from "../../setup/chromium.js";
import { findPython, installTinybirdCli } from "../../setup/tinybird-cli.js";

export async function prepareInstalls(): Promise<void> {
  const python = findPython();
  await Promise.all([
    python.ok ? installTinybirdCli(python).catch(() => undefined) : undefined,
    ensureChromium().catch(() => undefined),
  ]);
}
