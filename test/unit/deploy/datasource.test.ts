// One datasource's part of the plan: what it creates, what it would drop, and
// what fills its new table — a copy of live plus a forward for a landing
// datasource, its views for a view-fed one, nothing with BACKFILL skip.
import { describe, expect, it } from "vitest";
import type { DeploymentManifest } from "../../../shared/deploy/manifest.js";
import { planDatasource } from "../../../shared/deploy/plan/datasource.js";
import { feedingPipes } from "../../../shared/deploy/plan/feeding.js";
import { resolvePhysicalTables } from "../../../shared/deploy/plan/physical-tables.js";
import { DATABASE, liveOf, markSource, projectOf } from "./helpers.js";
import { STAGED_V1, STAGED_V2, STAGED_V3, landing, materialized } from "./scenarios.js";

function planOf(name: string, after: Record<string, string>, live?: DeploymentManifest) {
  const project = projectOf(after);
  const feeding = feedingPipes(project);
  const resolved = resolvePhysicalTables({ project, ...(live ? { live } : {}), database: DATABASE, tag: "next", feeding });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  return planDatasource({ name, ds: project.datasources.get(name)!, tables: resolved.tables, views: resolved.views, feeding, ...(live ? { live } : {}), database: DATABASE, tag: "next" });
}

/** The plan's pieces in words: `live.` for the live table's name, `new` for this deployment's. */
function summary(name: string, before: Record<string, string> | undefined, after: Record<string, string>) {
  const live = before ? liveOf(before) : undefined;
  const plan = planOf(name, after, live);
  const word = (table: string) => (table === live?.datasources[name]?.table ? "live" : table === plan.entry.table ? "new" : table);
  return {
    creates: plan.tables.map((t) => t.kind),
    drops: plan.destructive.map((d) => `${d.column} of ${word(d.table)}`),
    backfills: plan.backfills.map((b) => `${b.sources.map(word).join("+")} → ${word(b.target)}`),
    forwards: plan.forwards.map((f) => `${f.sources.map(word).join("+")} → ${word(f.target)}`),
  };
}

const EVENTS = landing(["id UInt32", "ts DateTime"], "id");
const HOURLY = "SCHEMA >\n    `hour` DateTime,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"hour\"\n";
const HOURLY_MV = materialized("h", "SELECT toStartOfHour(ts) AS hour, count() AS n FROM events GROUP BY hour", "hourly");
const FED = { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "mv.pipe": HOURLY_MV };
const none = { creates: [], drops: [], backfills: [], forwards: [] };

describe("one datasource", () => {
  const cases: Array<[string, Record<string, string> | undefined, Record<string, string>, ReturnType<typeof summary>]> = [
    ["first deployment: both tables, nothing to fill", undefined, { "t.datasource": STAGED_V1 }, { ...none, creates: ["quarantine", "datasource"] }],
    ["unchanged: nothing", { "t.datasource": STAGED_V1 }, { "t.datasource": STAGED_V1 }, none],
    [
      "new sorting key: its table (the quarantine table is kept), copied and forwarded",
      { "t.datasource": STAGED_V1 }, { "t.datasource": STAGED_V1.replace('"id"', '"v, id"') },
      { creates: ["datasource"], drops: [], backfills: ["live → new"], forwards: ["live → new"] },
    ],
    [
      "a column added: both tables, copied and forwarded",
      { "t.datasource": STAGED_V1 }, { "t.datasource": STAGED_V2 },
      { creates: ["quarantine", "datasource"], drops: [], backfills: ["live → new"], forwards: ["live → new"] },
    ],
    [
      "a column removed: dropped, the rest copied and forwarded",
      { "t.datasource": STAGED_V3 }, { "t.datasource": STAGED_V1 },
      { creates: ["quarantine", "datasource"], drops: ["w of live"], backfills: ["live → new"], forwards: ["live → new"] },
    ],
    [
      "BACKFILL skip: neither copied nor forwarded, still guarded",
      { "t.datasource": STAGED_V3 }, { "t.datasource": `${STAGED_V1}BACKFILL skip\n` },
      { creates: ["quarantine", "datasource"], drops: ["w of live"], backfills: [], forwards: [] },
    ],
    [
      "no column in common: nothing to copy or forward",
      { "t.datasource": STAGED_V1 }, { "t.datasource": landing(["x UInt32", "y String"], "x") },
      { creates: ["quarantine", "datasource"], drops: ["id of live", "v of live"], backfills: [], forwards: [] },
    ],
  ];
  for (const [change, before, after, expected] of cases) {
    it(change, () => {
      expect(summary("t", before, after)).toEqual(expected);
    });
  }

  it("a view-fed datasource is filled by its views over live sources, never forwarded", () => {
    const events = liveOf(FED).datasources.events!.table;
    expect(summary("hourly", FED, { ...FED, "hourly.datasource": HOURLY.replace('"hour"', '"hour, n"') })).toEqual({
      creates: ["datasource"], drops: [], backfills: [`${events} → new`], forwards: [],
    });
  });

  it("the copy and the forward select the same columns", () => {
    const live = liveOf({ "t.datasource": STAGED_V1 });
    const plan = planOf("t", { "t.datasource": STAGED_V2 }, live);
    expect([plan.backfills[0]!.select(markSource), plan.forwards[0]!.select(markSource)]).toEqual([
      `SELECT id, v FROM («${live.datasources.t!.table}»)`,
      `SELECT id, v FROM («${live.datasources.t!.table}»)`,
    ]);
  });

  it("its manifest entry names the tables it uses, shared or new", () => {
    const live = liveOf({ "t.datasource": STAGED_V1 });
    const project = projectOf({ "t.datasource": STAGED_V1.replace('"id"', '"v, id"') });
    const plan = planOf("t", { "t.datasource": STAGED_V1.replace('"id"', '"v, id"') }, live);
    expect({ ...plan.entry, file: plan.entry.file.name }).toEqual({
      name: "t",
      table: `t__${plan.entry.identity}_next`,
      identity: plan.entry.identity,
      quarantineTable: live.datasources.t!.quarantineTable,
      quarantineIdentity: live.datasources.t!.quarantineIdentity,
      file: project.datasources.get("t")!.name,
    });
    expect(plan.entry.identity).not.toBe(live.datasources.t!.identity);
  });
});
