import { describe, expect, it } from "vitest";
import { checkCron, isScheduled, latestFireIn, nextFireAfter } from "../../../shared/cron/cron.js";

describe("checkCron: what a schedule may be", () => {
  const cases: Array<[string, true | string]> = [
    ["0 * * * *", true],
    ["*/15 * * * *", true],
    ["0 3 * * MON-FRI", true],
    ["30 2 1 1,7 *", true],
    ["@hourly", true],
    ["@DAILY", true],
    ["@weekly", true],
    ["every hour", "a cron expression has 5 fields (minute hour day month weekday), `every hour` has 2"],
    ["* * * *", "a cron expression has 5 fields (minute hour day month weekday), `* * * *` has 4"],
    ["0 0 * * * *", "a cron expression has 5 fields (minute hour day month weekday), `0 0 * * * *` has 6"],
    ["99 * * * *", "Invalid value for minute"],
    ["0 25 * * *", "Invalid value for hour"],
    ["0 0 32 * *", "Invalid value for day"],
  ];
  for (const [text, expected] of cases) {
    it(`${text} → ${expected === true ? "ok" : expected}`, () => {
      expect(checkCron(text)).toEqual(expected === true ? { ok: true } : { ok: false, message: expected });
    });
  }

  it("tells a cron from @on-demand", () => {
    expect([isScheduled("0 * * * *"), isScheduled("@on-demand"), isScheduled("@ON-DEMAND"), isScheduled(undefined), isScheduled("nonsense")]).toEqual([true, false, false, false, false]);
  });
});

describe("latestFireIn: the one fire time a tick runs", () => {
  const t = (s: string) => new Date(`2026-03-10T${s}Z`);
  const cases: Array<[string, string, string, string | undefined, string]> = [
    // cron, after (exclusive), up to (inclusive), expected, why
    ["0 * * * *", "09:59:00", "10:00:00", "10:00:00", "the tick at the fire time runs it"],
    ["0 * * * *", "10:00:00", "10:00:00", undefined, "the same tick again runs nothing"],
    ["0 * * * *", "10:00:00", "10:59:00", undefined, "nothing fires within the hour"],
    ["0 * * * *", "10:00:00", "15:30:00", "15:00:00", "five missed runs: only the latest"],
    ["*/5 * * * *", "10:00:00", "10:07:00", "10:05:00", "a minute step"],
    ["@hourly", "09:00:00", "10:00:30", "10:00:00", "a tick a little late still runs it"],
    ["0 3 * * *", "2026-03-09T03:00:00", "11:00:00", "03:00:00", "daily, after a day"],
  ];
  for (const [cron, after, upTo, expected, why] of cases) {
    it(`${cron} in (${after}, ${upTo}] → ${expected ?? "none"}: ${why}`, () => {
      const a = after.includes("T") ? new Date(`${after}Z`) : t(after);
      expect(latestFireIn(cron, a, t(upTo))?.toISOString()).toBe(expected ? t(expected).toISOString() : undefined);
    });
  }

  it("gives the next fire time strictly after a moment", () => {
    expect(nextFireAfter("0 * * * *", t("10:00:00"))?.toISOString()).toBe(t("11:00:00").toISOString());
  });
});
