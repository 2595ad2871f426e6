// When is `npm run dev` ready, and when has it given up? Read from what the
// launcher itself prints (cli/dev.ts), not from a clock of ours: it prints its
// ready block only once the Worker's /v0/health has answered, and on any failure
// it prints the error, then "Stopping Tern…", and exits. One failure it does not
// see: wrangler dev that cannot build the Worker keeps running, waiting for a
// file to change, and the launcher waits out its 120 s for /v0/health; the
// "Build failed" in wrangler's log says so at once.
import type { ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";

/** The launcher bounds its own waits (local ClickHouse 60 s, then /v0/health 120 s)
 * and stops by itself past them. This guard only catches a launcher that hangs
 * past its own bounds; it stays under the e2e hook timeouts (240 s) so the error
 * below, not vitest's bare "hook timed out", is what a hang reports. */
export const LAUNCHER_HANG_GUARD_MS = 200_000;

export type LaunchState =
  | { kind: "starting" }
  | { kind: "ready"; adminToken: string }
  | { kind: "stopping" };

/** wrangler's log holds an esbuild failure: it will not serve until a file changes. */
export function wranglerBuildFailed(log: string): boolean {
  return /\[ERROR\] Build failed/.test(stripVTControlCharacters(log));
}

/** Where the launcher stands from its output so far. The ready block is one
 * write ending with "Press Ctrl-C to stop.", so seeing that line means the
 * token line before it arrived whole (a pipe may split a write in two). */
export function launchState(output: string): LaunchState {
  if (/^Stopping Tern/m.test(output)) return { kind: "stopping" };
  const token = /^ {2}Admin token: (\S+)$/m.exec(output);
  if (token && /^Press Ctrl-C to stop\.$/m.test(output)) return { kind: "ready", adminToken: token[1]! };
  return { kind: "starting" };
}

export interface LaunchWatch {
  child: ChildProcess;
  output: () => string;
  port: number;
  /** The launcher's --data-dir; wrangler's output goes to its wrangler.log. */
  dataDir: string;
}

/** Resolves with the admin token once the launcher printed it AND /v0/health
 * answers 200 at the printed port; rejects, with everything the launcher and
 * wrangler printed, as soon as the launcher stops, exits, or hangs. */
export async function waitForLaunch(watch: LaunchWatch): Promise<string> {
  const adminToken = await new Promise<string>((resolve, reject) => {
    const { child } = watch;
    let settled = false;
    const settle = (error: string | null, token?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      clearInterval(logWatch);
      child.stdout?.off("data", check);
      child.stderr?.off("data", check);
      child.off("exit", onExit);
      if (error === null) resolve(token!);
      else void failure(watch, error).then(reject);
    };
    const check = () => {
      const state = launchState(watch.output());
      if (state.kind === "ready") settle(null, state.adminToken);
      else if (state.kind === "stopping") settle("npm run dev stopped before it was ready");
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(`npm run dev exited before it was ready (code ${code}, signal ${signal})`);
    const guard = setTimeout(
      () => settle(`npm run dev neither got ready nor gave up within ${LAUNCHER_HANG_GUARD_MS} ms (it bounds its own waits: a hang)`),
      LAUNCHER_HANG_GUARD_MS,
    );
    // wrangler writes to a file, not to us: look at it now and then.
    let reading = false;
    const logWatch = setInterval(() => {
      if (reading) return;
      reading = true;
      void readFile(wranglerLog(watch), "utf8")
        .then((log) => wranglerBuildFailed(log) && settle("wrangler dev could not build the Worker"))
        .catch(() => undefined) // not written yet
        .finally(() => (reading = false));
    }, 1000);
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.once("exit", onExit);
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    else check();
  });

  // The launcher polled /v0/health itself before printing; this proves the
  // address it printed is the one that answers.
  const health = await fetch(`http://127.0.0.1:${watch.port}/v0/health`).catch((e: unknown) => e as Error);
  if (health instanceof Error || health.status !== 200) {
    const got = health instanceof Error ? health.message : `HTTP ${health.status}: ${await health.text()}`;
    throw await failure(watch, `npm run dev printed its admin token but /v0/health did not answer 200 (${got})`);
  }
  return adminToken;
}

/** The reason, then the launcher's output and the end of wrangler's log. */
async function failure(watch: LaunchWatch, reason: string): Promise<Error> {
  const log = await readFile(wranglerLog(watch), "utf8").catch(() => "(no wrangler.log)");
  const tail = stripVTControlCharacters(log).split("\n").slice(-40).join("\n");
  return new Error(`${reason}\n--- npm run dev output ---\n${watch.output()}\n--- ${wranglerLog(watch)} (last 40 lines) ---\n${tail}`);
}

function wranglerLog(watch: LaunchWatch): string {
  return join(watch.dataDir, "wrangler.log");
}
