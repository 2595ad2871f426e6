// The "N passed, N failed" line .ci/run prints (test/setup/summary-reporter.ts)
// counts what fails outside a test: a real vitest run, spawned on a fixture
// project whose files fail in beforeAll, afterAll, a describe's beforeAll, at
// import, and with an unhandled rejection, while every test that runs passes.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../../..");
const CONFIG = "test/setup/fixtures/failing-hooks/vitest.config.ts";

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "tern-summary-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** `npx vitest run --config <fixture>`, outside this run's own vitest state. */
function vitest(summaryFile: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TERN_SUMMARY_FILE: summaryFile, FORCE_COLOR: "0" };
  for (const key of Object.keys(env)) if (key.startsWith("VITEST")) delete env[key];
  return new Promise((resolve) => {
    execFile("npx", ["vitest", "run", "--config", CONFIG], { cwd: ROOT, env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, output: stdout + stderr });
    });
  });
}

it("counts every failure outside a test as failed and names it", async () => {
  const summaryFile = join(tmp, "summary.txt");
  const run = await vitest(summaryFile);
  expect(run.code, run.output).toBe(1);

  const [line, ...outside] = (await readFile(summaryFile, "utf8")).trimEnd().split("\n");
  // passed: passes, after-all, describe-before-all's outer test, unhandled;
  // skipped: the two behind before-all, the one behind the describe, it.skip.
  expect(line).toBe("4 passed, 5 failed, 4 skipped");
  expect(outside.sort()).toEqual([
    "  failed outside a test: after-all.test.ts: Error: cleanup failed",
    "  failed outside a test: before-all.test.ts: Error: the platform did not start",
    "  failed outside a test: describe-before-all.test.ts > a group: Error: group setup failed",
    "  failed outside a test: import-error.test.ts: Error: cannot import this file",
    "  failed outside a test: unhandled: Error: stray rejection",
  ]);
  // The same text ends the run's output, for a reader of the log.
  expect(run.output).toContain(`\n${line}\n`);
}, 180_000);
