// The new manifest's objects (everything the deployment reads or writes,
// shared ones included) and the objects the deployment owns (what it creates,
// dropped if it fails or is discarded).
import { describe, expect, it } from "vitest";
import type { DeploymentManifest } from "../../../shared/deploy/manifest.js";
import { planDeployment, type Plan } from "../../../shared/deploy/plan.js";
import { DATABASE, liveOf, projectOf } from "./helpers.js";
import { STAGED_V1, STAGED_V2, landing, materialized } from "./scenarios.js";

const EVENTS = landing(["id UInt32", "ts DateTime"], "id");
const HOURLY = "SCHEMA >\n    `hour` DateTime,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"hour\"\n";
const HOURLY_MV = materialized("h", "SELECT toStartOfHour(ts) AS hour, count() AS n FROM events GROUP BY hour", "hourly");
const FILES = { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "hourly_mv.pipe": HOURLY_MV, "t.datasource": STAGED_V1 };

function plan(files: Record<string, string>, live?: DeploymentManifest): Plan {
  const result = planDeployment({ project: projectOf(files), ...(live ? { live } : {}), database: DATABASE, tag: "next" });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.plan;
}

describe("manifest objects", () => {
  it("first deployment: each datasource's table and quarantine table, each view with its sources and target", () => {
    const p = plan(FILES);
    const ds = p.manifest.datasources;
    expect(p.manifest.objects).toEqual({
      tables: [ds.events!.table, ds.events!.quarantineTable, ds.hourly!.table, ds.hourly!.quarantineTable, ds.t!.table, ds.t!.quarantineTable],
      views: [{ name: "hourly_mv__mv_next", sources: [ds.events!.table], target: ds.hourly!.table }],
    });
    expect(p.ownedObjects).toEqual([
      ds.events!.quarantineTable, ds.events!.table, ds.hourly!.quarantineTable, ds.hourly!.table, ds.t!.quarantineTable, ds.t!.table, "hourly_mv__mv_next",
    ]);
  });

  it("nothing changed: the same objects as live, none owned", () => {
    const live = liveOf(FILES);
    const p = plan(FILES, live);
    expect([p.manifest.objects, p.ownedObjects]).toEqual([live.objects, []]);
  });

  it("a landing datasource changed: its new table, the kept view as live recorded it, and the forward from live", () => {
    const live = liveOf(FILES);
    const p = plan({ ...FILES, "t.datasource": STAGED_V2 }, live);
    const ds = p.manifest.datasources;
    expect(p.manifest.objects).toEqual({
      tables: [live.datasources.events!.table, live.datasources.events!.quarantineTable, live.datasources.hourly!.table, live.datasources.hourly!.quarantineTable, ds.t!.table, ds.t!.quarantineTable],
      views: [
        live.objects.views[0],
        { name: "t__forward_next", sources: [live.datasources.t!.table], target: ds.t!.table },
      ],
    });
    expect(p.ownedObjects).toEqual([ds.t!.quarantineTable, ds.t!.table, "t__forward_next"]);
  });

  it("a source changed: new source with its forward, new target and view (owned in datasource order, views last)", () => {
    const live = liveOf(FILES);
    const p = plan({ ...FILES, "events.datasource": landing(["id UInt32", "ts DateTime", "w String"], "id") }, live);
    const ds = p.manifest.datasources;
    expect(p.manifest.objects.views).toEqual([
      { name: "hourly_mv__mv_next", sources: [ds.events!.table], target: ds.hourly!.table },
      { name: "events__forward_next", sources: [live.datasources.events!.table], target: ds.events!.table },
    ]);
    expect(p.ownedObjects).toEqual([ds.events!.quarantineTable, ds.events!.table, "events__forward_next", ds.hourly!.table, "hourly_mv__mv_next"]);
  });

  it("carries the project's files, connections and tokens, and the workspace's database", () => {
    const project = projectOf({ ...FILES, "c.connection": "TYPE s3\nS3_REGION eu-west-1\nS3_ARN arn:aws:iam::123456789012:role/a\n" });
    const result = planDeployment({ project, database: DATABASE, tag: "next" });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const m = result.plan.manifest;
    expect([m.database, m.files, Object.keys(m.connections), m.connections.c === project.connections.get("c")]).toEqual([DATABASE, project.files, ["c"], true]);
  });
});
