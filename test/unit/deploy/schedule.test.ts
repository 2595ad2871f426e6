import { describe, expect, it } from "vitest";
import { decideScheduledRuns, type PipeScheduleState, type ScheduleDecision } from "../../../shared/deploy/schedule.js";

const NOW = new Date("2026-03-10T10:00:00Z");
const hourly = { pipe: "p", kind: "copy", cron: "0 * * * *" };

describe("decideScheduledRuns: which scheduled runs a tick starts", () => {
  const cases: Array<[string, Partial<PipeScheduleState>, number, ScheduleDecision]> = [
    ["first sight at its fire time: runs", {}, 4, { pipe: "p", kind: "copy", action: "run", fireAt: "2026-03-10T10:00:00.000Z" }],
    ["already run at this fire time: nothing", { lastFireAt: "2026-03-10T10:00:00.000Z" }, 4, { pipe: "p", kind: "copy", action: "none" }],
    ["down since 05:00: one catch-up run for 10:00", { lastFireAt: "2026-03-10T05:00:00.000Z" }, 4, { pipe: "p", kind: "copy", action: "run", fireAt: "2026-03-10T10:00:00.000Z" }],
    ["previous run unfinished: skipped", { lastFireAt: "2026-03-10T09:00:00.000Z", locked: true }, 4, { pipe: "p", kind: "copy", action: "skip", fireAt: "2026-03-10T10:00:00.000Z", reason: "overlap" }],
    ["paused: skipped", { lastFireAt: "2026-03-10T09:00:00.000Z", paused: true }, 4, { pipe: "p", kind: "copy", action: "skip", fireAt: "2026-03-10T10:00:00.000Z", reason: "paused" }],
    ["workspace at its cap: waits for a slot", { lastFireAt: "2026-03-10T09:00:00.000Z" }, 0, { pipe: "p", kind: "copy", action: "wait", fireAt: "2026-03-10T10:00:00.000Z", reason: "cap" }],
  ];
  for (const [what, state, slots, expected] of cases) {
    it(what, () => {
      const states = new Map([["p", { paused: false, locked: false, ...state }]]);
      expect(decideScheduledRuns([hourly], states, NOW, slots)).toEqual([expected]);
    });
  }

  it("first sight between fire times invents no run", () => {
    expect(decideScheduledRuns([hourly], new Map(), new Date("2026-03-10T10:31:00Z"), 4)).toEqual([{ pipe: "p", kind: "copy", action: "none" }]);
  });

  it("gives the free slots to the first due pipes, in order; the rest wait", () => {
    const pipes = ["a", "b", "c"].map((pipe) => ({ ...hourly, pipe }));
    expect(decideScheduledRuns(pipes, new Map(), NOW, 2).map((d) => `${d.pipe}:${d.action}`)).toEqual(["a:run", "b:run", "c:wait"]);
  });

  it("@once (an import): due at the first tick that sees it, whatever the minute; never after it ran", () => {
    const once = { pipe: "import:ds", kind: "s3_sync", cron: "* * * * *", once: true };
    const at = new Date("2026-03-10T10:31:17Z");
    expect(decideScheduledRuns([once], new Map(), at, 4)).toEqual([{ pipe: "import:ds", kind: "s3_sync", action: "run", fireAt: "2026-03-10T10:31:17.000Z" }]);
    const ran = new Map([["import:ds", { paused: false, locked: false, lastFireAt: "2026-03-10T10:31:17.000Z" }]]);
    expect(decideScheduledRuns([once], ran, new Date("2026-03-11T10:00:00Z"), 4)).toEqual([{ pipe: "import:ds", kind: "s3_sync", action: "none" }]);
    expect(decideScheduledRuns([once], new Map(), at, 0)).toEqual([{ pipe: "import:ds", kind: "s3_sync", action: "wait", fireAt: "2026-03-10T10:31:17.000Z", reason: "cap" }]);
  });
});
