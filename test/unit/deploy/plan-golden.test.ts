// The plans of every fixture project and of the deploy scenarios, written out
// in full (golden/<scenario>.json) before planDeployment was split into
// phases: the split, and any later change to the planner, must leave each
// one byte for byte as it was. A deliberate change of plan updates the
// golden files with `vitest -u` and shows in review as their diff.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { planJson, planSteps } from "./helpers.js";
import { SCENARIOS } from "./scenarios.js";

const GOLDEN = join(import.meta.dirname, "golden");

describe("golden plans", () => {
  // Copy pipes that read {{ job_timestamp }} are validated with the clock's time.
  beforeAll(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-03-04T05:06:07Z"));
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it("has a golden file for exactly the scenarios", () => {
    expect(readdirSync(GOLDEN).sort()).toEqual(SCENARIOS.map((s) => `${s.name}.json`).sort());
  });

  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      const { result, project } = planSteps(scenario.steps);
      await expect(planJson(result, project)).toMatchFileSnapshot(join(GOLDEN, `${scenario.name}.json`));
    });
  }
});
