// One `npm run dev` for the e2e files that can share it (the e2e project's
// globalSetup in vitest.config.ts). Starting the platform is the costliest step
// of most e2e files (wrangler dev, local ClickHouse, local S3: ~10 s idle, far
// longer on a loaded 2-core machine), and most files only need a workspace of
// their own on it: each such file creates one with the platform's user token
// (`sharedWorkspace`), so files never see each other's datasources, tokens,
// deployments, branches or jobs. Files that restart or kill the platform or its
// ClickHouse, move the scheduler clock, pass launcher flags, or look at
// platform-wide state (the workspace list, the default workspace, /tokens)
// keep their own `startDevPlatform()` (test/README.md lists which and why).
import type { TestProject } from "vitest/node";
import { buildConsole } from "../../../console/build.js";
import { startDevPlatform } from "./dev-platform.js";
import { localTokens } from "./tb.js";
import { prepareInstalls } from "./installs.js";

/** What the files sharing the platform are given (`inject("e2ePlatform")`). */
export interface SharedPlatformInfo {
  port: number;
  /** `http://localhost:<port>`, as `npm run dev` prints it. */
  baseUrl: string;
  /** Creates workspaces (`POST /v1/workspaces`), as `tb workspace create --user-token` does. */
  userToken: string;
  /** The launcher's ready block (its URL, S3 and console lines). */
  output: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2ePlatform: SharedPlatformInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The first run's installs (tb's venv, Debian's Chromium: network-bound)
  // overlap the platform's start (CPU-bound) instead of following it in a file.
  // The console is built first (skipped when current), so the console's e2e
  // file, which shares this platform, finds its assets from the first request.
  const [platform] = await Promise.all([buildConsole().then(() => startDevPlatform()), prepareInstalls()]);
  try {
    const tokens = await localTokens(platform.baseUrl);
    project.provide("e2ePlatform", { port: platform.port, baseUrl: platform.baseUrl, userToken: tokens.user_token, output: platform.output() });
  } catch (e) {
    await platform.stop();
    throw e;
  }
  return () => platform.stop();
}
