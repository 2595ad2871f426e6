// The e2e helpers wait on `npm run dev`'s own signals: its ready block, or its
// "Stopping Tern…" after an error, whichever comes first, and a failed start
// rejects with what the launcher printed and leaves no process behind.
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevPlatform } from "./dev-platform.js";
import { launchState, wranglerBuildFailed } from "./dev-ready.js";
import { freePort } from "./processes.js";

// The launcher's ready block as cli/dev.ts prints it (one console.log).
const READY = [
  "",
  "Tern local platform is running",
  "  API:         http://localhost:7181",
  "  ClickHouse:  http://127.0.0.1:7182 (ClickHouse 26.7.1.1)",
  "  Workspace:   default (ws_1)",
  "  Admin token: p.eyJ1IjoiYSJ9.abc_DEF-123",
  "  Data:        /tmp/x",
  "",
  "  export TERN_HOST=http://localhost:7181 TERN_TOKEN=p.eyJ1IjoiYSJ9.abc_DEF-123",
  "",
  "Press Ctrl-C to stop.",
].join("\n");

describe("launchState (what npm run dev printed so far)", () => {
  it("is starting until the whole ready block arrived, even when a pipe split it inside the token", () => {
    expect(launchState("")).toEqual({ kind: "starting" });
    const cut = READY.indexOf("abc_DEF");
    expect(launchState(READY.slice(0, cut))).toEqual({ kind: "starting" });
    expect(launchState(READY.slice(0, READY.indexOf("Press")))).toEqual({ kind: "starting" });
    expect(launchState(READY + "\n")).toEqual({ kind: "ready", adminToken: "p.eyJ1IjoiYSJ9.abc_DEF-123" });
  });

  it("is stopping once the launcher printed its shutdown line", () => {
    expect(launchState("> tsx cli/dev.ts\n--log-level: one of none, error\n\nStopping Tern…\n")).toEqual({ kind: "stopping" });
  });
});

describe("wranglerBuildFailed (wrangler.log, colours and all)", () => {
  it("sees esbuild's failure, not wrangler's warnings", () => {
    const warning =
      "\x1b[33m▲ \x1b[43;33m[\x1b[43;30mWARNING\x1b[43;33m]\x1b[0m \x1b[1mScheduled Workers are not automatically triggered during local development.\x1b[0m\n";
    const failed =
      "\x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1mBuild failed with 2 errors:\x1b[0m\n" +
      '  \x1b[31m✘ \x1b[41;31m[\x1b[41;97mERROR\x1b[41;31m]\x1b[0m \x1b[1mCould not resolve "../clickhouse/client.js"\x1b[0m\n';
    expect(wranglerBuildFailed("")).toBe(false);
    expect(wranglerBuildFailed(warning)).toBe(false);
    expect(wranglerBuildFailed(warning + failed)).toBe(true);
  });
});

describe("startDevPlatform on a launcher that fails", () => {
  let taken: Server;
  let takenPort: number;
  beforeAll(async () => {
    takenPort = await freePort();
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(takenPort, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
  });

  it("rejects with the launcher's own error when it refuses its arguments", async () => {
    const error = await startDevPlatform(["--log-level", "bogus"]).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^npm run dev (stopped|exited) before it was ready/);
    expect(error?.message).toContain("--log-level: one of none, error, warn, info, log, debug, not bogus");
  });

  it("rejects with the local ClickHouse's error when its port is taken", async () => {
    // startDevPlatform's own --clickhouse-port comes first; parseArgs keeps the last.
    const error = await startDevPlatform(["--clickhouse-port", String(takenPort)]).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^npm run dev (stopped|exited) before it was ready/);
    expect(error?.message).toContain(`EADDRINUSE: address already in use 127.0.0.1:${takenPort}`);
    expect(error?.message).toContain("--- npm run dev output ---");
  });
});
