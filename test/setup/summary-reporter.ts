import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { SerializedError } from "vitest";
import type { Reporter, TestModule, TestSuite } from "vitest/node";

/** Where .ci/run finds the line again, to print it after the pool's shutdown noise. */
export const SUMMARY_FILE = "node_modules/.cache/tern/test-summary.txt";

export interface SummaryOptions {
  /** Where to write the summary (default SUMMARY_FILE, relative to the working directory). */
  file?: string;
}

/**
 * Ends the run with one plain line, `N passed, N failed` (`, N skipped` when
 * any), which CI reads whatever the runner's own formatting is. Tests are
 * counted by their result; on top of them, every failure that belongs to no
 * test counts as one failed: a file that does not import, a beforeAll/afterAll
 * that throws (its tests are then only "skipped"), an error nobody handled.
 * Those are listed under the line, so a run whose tests all passed or were
 * skipped cannot look green when vitest failed it.
 */
export default class SummaryReporter implements Reporter {
  readonly #file: string;

  constructor(options: SummaryOptions = {}) {
    this.#file = options.file ?? SUMMARY_FILE;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const outside: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A module's and a suite's own errors are import and hook errors; a
      // test's errors stay on the test.
      for (const suite of [mod, ...mod.children.allSuites()]) {
        for (const error of suite.errors()) outside.push(`${where(mod, suite)}: ${firstLine(error)}`);
      }
    }
    for (const error of unhandledErrors) outside.push(`unhandled: ${firstLine(error)}`);
    failed += outside.length;

    const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
    const text = [line, ...outside.map((o) => `  failed outside a test: ${o}`)].join("\n");
    process.stdout.write(`\n${text}\n`);
    mkdirSync(dirname(this.#file), { recursive: true });
    writeFileSync(this.#file, `${text}\n`);
  }
}

function where(mod: TestModule, suite: TestModule | TestSuite): string {
  return suite.type === "module" ? mod.relativeModuleId : `${mod.relativeModuleId} > ${suite.fullName}`;
}

function firstLine(error: SerializedError): string {
  return `${error.name ?? "Error"}: ${String(error.message ?? "").split("\n")[0]}`;
}
