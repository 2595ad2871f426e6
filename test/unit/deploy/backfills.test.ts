// What fills a new table with live's data: a landing datasource copies its
// live table; a view-fed one re-runs its views over their live sources, unless
// a source is new too (then the view fills it by cascade, as that source is
// backfilled).
import { describe, expect, it } from "vitest";
import { landingBackfill, viewBackfills } from "../../../shared/deploy/plan/backfills.js";
import { feedingPipes } from "../../../shared/deploy/plan/feeding.js";
import { resolvePhysicalTables } from "../../../shared/deploy/plan/physical-tables.js";
import { DATABASE, liveOf, markSource, projectOf } from "./helpers.js";
import { landing, materialized } from "./scenarios.js";

const EVENTS = landing(["id UInt32", "ts DateTime"], "id");
const EVENTS_V2 = landing(["id UInt32", "ts DateTime", "w String"], "id");
const USERS = landing(["id UInt32", "name String"], "id");
const HOURLY = "SCHEMA >\n    `hour` DateTime,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"hour\"\n";
const HOURLY_TTL = HOURLY.replace('ENGINE_SORTING_KEY "hour"', 'ENGINE_SORTING_KEY "hour"\nENGINE_TTL "hour + toIntervalDay(30)"');
const FROM_EVENTS = materialized("h", "SELECT toStartOfHour(ts) AS hour, count() AS n FROM events GROUP BY hour", "hourly");
const FROM_BOTH = materialized("j", "SELECT toStartOfHour(e.ts) AS hour, count() AS n FROM events AS e JOIN users AS u ON e.id = u.id GROUP BY hour", "hourly");
const FROM_USERS = materialized("u", "SELECT toStartOfHour(now()) AS hour, count() AS n FROM users GROUP BY hour", "hourly");

/** The backfills of `hourly` when `after` is deployed over `before`, each with its SELECT over marked sources. */
function hourlyBackfills(before: Record<string, string> | undefined, after: Record<string, string>) {
  const live = before ? liveOf(before) : undefined;
  const project = projectOf(after);
  const feeding = feedingPipes(project);
  const resolved = resolvePhysicalTables({ project, ...(live ? { live } : {}), database: DATABASE, tag: "next", feeding });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  const target = resolved.tables.get("hourly")!.table;
  const backfills = viewBackfills({ datasource: "hourly", target, pipes: feeding.get("hourly")!, views: resolved.views, tables: resolved.tables, ...(live ? { live } : {}) });
  const liveTable = (name: string) => live!.datasources[name]!.table;
  return { backfills: backfills.map((b) => ({ ...b, select: b.select(markSource) })), target, liveTable };
}

describe("view-fed datasource", () => {
  it("a changed target re-runs its view over the live source", () => {
    const { backfills, target, liveTable } = hourlyBackfills(
      { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "mv.pipe": FROM_EVENTS },
      { "events.datasource": EVENTS, "hourly.datasource": HOURLY_TTL, "mv.pipe": FROM_EVENTS },
    );
    expect(backfills).toEqual([{
      datasource: "hourly",
      target,
      sources: [liveTable("events")],
      select: `SELECT toStartOfHour(ts) AS hour, count() AS n FROM («${liveTable("events")}») AS events GROUP BY hour`,
    }]);
  });

  it("a view joining two live sources reads both, each once", () => {
    const { backfills, liveTable } = hourlyBackfills(
      { "events.datasource": EVENTS, "users.datasource": USERS, "hourly.datasource": HOURLY },
      { "events.datasource": EVENTS, "users.datasource": USERS, "hourly.datasource": HOURLY, "mv.pipe": FROM_BOTH },
    );
    expect(backfills.map((b) => [b.sources, b.select])).toEqual([[
      [liveTable("events"), liveTable("users")],
      `SELECT toStartOfHour(e.ts) AS hour, count() AS n FROM («${liveTable("events")}») AS e JOIN («${liveTable("users")}») AS u ON e.id = u.id GROUP BY hour`,
    ]]);
  });

  const cases: Array<[string, Record<string, string> | undefined, Record<string, string>, number]> = [
    ["a new view over a live source: one backfill", { "events.datasource": EVENTS, "hourly.datasource": HOURLY }, { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "mv.pipe": FROM_EVENTS }, 1],
    ["two views over live sources: one each", { "events.datasource": EVENTS, "users.datasource": USERS, "hourly.datasource": HOURLY }, { "events.datasource": EVENTS, "users.datasource": USERS, "hourly.datasource": HOURLY, "a.pipe": FROM_EVENTS, "b.pipe": FROM_USERS }, 2],
    ["a changed source: none (the new source's backfill cascades)", { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "mv.pipe": FROM_EVENTS }, { "events.datasource": EVENTS_V2, "hourly.datasource": HOURLY, "mv.pipe": FROM_EVENTS }, 0],
    ["one of two sources new: none", { "events.datasource": EVENTS, "users.datasource": USERS, "hourly.datasource": HOURLY }, { "events.datasource": EVENTS_V2, "users.datasource": USERS, "hourly.datasource": HOURLY, "mv.pipe": FROM_BOTH }, 0],
    ["a source that is new to the project: none", { "hourly.datasource": HOURLY }, { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "mv.pipe": FROM_EVENTS }, 0],
    ["no live deployment: none", undefined, { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "mv.pipe": FROM_EVENTS }, 0],
  ];
  for (const [change, before, after, count] of cases) {
    it(change, () => {
      expect(hourlyBackfills(before, after).backfills).toHaveLength(count);
    });
  }
});

describe("landing datasource", () => {
  it("copies its live table with the copy's SELECT list", () => {
    const backfill = landingBackfill("t", "t__new_2", "t__old_1", "id, v AS value");
    expect({ ...backfill, select: backfill.select(markSource) }).toEqual({
      datasource: "t", target: "t__new_2", sources: ["t__old_1"], select: "SELECT id, v AS value FROM («t__old_1»)",
    });
  });
});
