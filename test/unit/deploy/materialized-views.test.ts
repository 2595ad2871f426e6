// The materialized pipes' views: new exactly when their target is new; a
// shared target keeps live's view.
import { describe, expect, it } from "vitest";
import type { DeploymentManifest } from "../../../shared/deploy/manifest.js";
import { feedingPipes } from "../../../shared/deploy/plan/feeding.js";
import { planMaterializedViews } from "../../../shared/deploy/plan/materialized-views.js";
import { resolvePhysicalTables } from "../../../shared/deploy/plan/physical-tables.js";
import { DATABASE, liveOf, markSource, projectOf } from "./helpers.js";
import { endpoint, landing, materialized } from "./scenarios.js";

const EVENTS = landing(["id UInt32", "ts DateTime"], "id");
const HOURLY = "SCHEMA >\n    `hour` DateTime,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"hour\"\n";
const HOURLY_MV = materialized("h", "SELECT toStartOfHour(ts) AS hour, count() AS n FROM events GROUP BY hour", "hourly");
const FILES = { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "hourly_mv.pipe": HOURLY_MV, "top.pipe": endpoint("top", "SELECT * FROM hourly") };

function plan(files: Record<string, string>, live?: DeploymentManifest) {
  const project = projectOf(files);
  const resolved = resolvePhysicalTables({ project, ...(live ? { live } : {}), database: DATABASE, tag: "next", feeding: feedingPipes(project) });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  return { tables: resolved.tables, ...planMaterializedViews({ project, tables: resolved.tables, views: resolved.views, ...(live ? { live } : {}), database: DATABASE, tag: "next" }) };
}

describe("materialized views", () => {
  it("a new target gets a new view, reading the source's physical table", () => {
    const { tables, views, pipes } = plan(FILES);
    const events = tables.get("events")!.table;
    const hourly = tables.get("hourly")!.table;
    const select = `SELECT toStartOfHour(ts) AS hour, count() AS n FROM ${DATABASE}.${events} AS events GROUP BY hour`;
    expect(views.map((v) => ({ ...v, select: v.select(markSource) }))).toEqual([{
      pipe: "hourly_mv",
      name: "hourly_mv__mv_next",
      target: hourly,
      sources: [events],
      sql: `CREATE MATERIALIZED VIEW \`${DATABASE}\`.\`hourly_mv__mv_next\` TO \`${DATABASE}\`.\`${hourly}\`\nAS ${select}`,
      query: select,
      select: `SELECT toStartOfHour(ts) AS hour, count() AS n FROM («${events}») AS events GROUP BY hour`,
    }]);
    expect(pipes.hourly_mv!.materializedView).toBe("hourly_mv__mv_next");
  });

  it("a shared target keeps live's view", () => {
    const live = liveOf(FILES);
    const { views, pipes } = plan(FILES, live);
    expect([views, pipes.hourly_mv!.materializedView]).toEqual([[], live.pipes.hourly_mv!.materializedView]);
  });

  it("a target that becomes new gets a new view, though the pipe is unchanged", () => {
    const live = liveOf(FILES);
    const { views, pipes } = plan({ ...FILES, "events.datasource": landing(["id UInt32", "ts DateTime", "w String"], "id") }, live);
    expect([views.map((v) => v.name), pipes.hourly_mv!.materializedView]).toEqual([["hourly_mv__mv_next"], "hourly_mv__mv_next"]);
  });

  it("every pipe has a manifest entry, in project order; only materialized ones name a view", () => {
    const { pipes } = plan(FILES);
    expect(Object.values(pipes).map((p) => [p.name, p.file.name, p.materializedView])).toEqual([
      ["hourly_mv", "hourly_mv", "hourly_mv__mv_next"],
      ["top", "top", undefined],
    ]);
    expect("materializedView" in pipes.top!).toBe(false);
  });
});
