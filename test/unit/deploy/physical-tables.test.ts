// Phase one: each datasource's physical table, shared with live when its
// identity (CREATE TABLE + the SQL of the views feeding it) is unchanged.
import { describe, expect, it } from "vitest";
import { feedingPipes } from "../../../shared/deploy/plan/feeding.js";
import { datasourceIdentity, inDatabase, resolvePhysicalTables, throughSubqueries } from "../../../shared/deploy/plan/physical-tables.js";
import type { DeploymentManifest } from "../../../shared/deploy/manifest.js";
import { DATABASE, liveOf, projectOf } from "./helpers.js";
import { DAILY, DAILY_MV, PAGE_VIEWS_V1, STAGED_V1, STAGED_V2, TOP_PAGES, endpoint, landing, materialized } from "./scenarios.js";

function resolve(files: Record<string, string>, live?: DeploymentManifest, tag = "next") {
  const project = projectOf(files);
  return resolvePhysicalTables({ project, ...(live ? { live } : {}), database: DATABASE, tag, feeding: feedingPipes(project) });
}

/** Each datasource: "shared" (live's table kept) or "new" (named for this deployment). */
function verdicts(files: Record<string, string>, live?: DeploymentManifest): Record<string, string> {
  const result = resolve(files, live);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return Object.fromEntries([...result.tables].map(([name, t]) => {
    expect(t.table).toBe(t.shared ? live!.datasources[name]!.table : `${name}__${t.identity}_next`);
    return [name, t.shared ? "shared" : "new"];
  }));
}

const EVENTS = landing(["id UInt32", "ts DateTime"], "id");
const HOURLY = "SCHEMA >\n    `hour` DateTime,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"hour\"\n";
const HOURLY_MV = materialized("hourly", "SELECT toStartOfHour(ts) AS hour, count() AS n FROM events GROUP BY hour", "hourly");
const DAILY_N = "SCHEMA >\n    `day` Date,\n    `n` UInt64\n\nENGINE \"SummingMergeTree\"\nENGINE_SORTING_KEY \"day\"\n";
const DAILY_N_MV = materialized("daily", "SELECT toDate(hour) AS day, sum(n) AS n FROM hourly GROUP BY day", "daily");
const CHAIN = { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "hourly_mv.pipe": HOURLY_MV, "daily.datasource": DAILY_N, "daily_mv.pipe": DAILY_N_MV };

describe("shared or new", () => {
  const cases: Array<[string, Record<string, string> | undefined, Record<string, string>, Record<string, string>]> = [
    ["no live deployment: all new", undefined, { "t.datasource": STAGED_V1 }, { t: "new" }],
    ["same datafile: shared", { "t.datasource": STAGED_V1 }, { "t.datasource": STAGED_V1 }, { t: "shared" }],
    ["a comment or description changes no DDL: shared", { "t.datasource": STAGED_V1 }, { "t.datasource": `DESCRIPTION >\n    rows\n\n# note\n${STAGED_V1}` }, { t: "shared" }],
    ["a TOKEN line changes no DDL: shared", { "t.datasource": STAGED_V1 }, { "t.datasource": `${STAGED_V1}\nTOKEN app APPEND\n` }, { t: "shared" }],
    ["a column and a sorting key: new", { "t.datasource": STAGED_V1 }, { "t.datasource": STAGED_V2 }, { t: "new" }],
    ["an endpoint changes no table", { "page_views.datasource": PAGE_VIEWS_V1 }, { "page_views.datasource": PAGE_VIEWS_V1, "top.pipe": TOP_PAGES }, { page_views: "shared" }],
    [
      "a new view makes its target new, not its source",
      { "page_views.datasource": PAGE_VIEWS_V1, "daily_views.datasource": DAILY },
      { "page_views.datasource": PAGE_VIEWS_V1, "daily_views.datasource": DAILY, "daily_views_mv.pipe": DAILY_MV },
      { page_views: "shared", daily_views: "new" },
    ],
    [
      "a changed source makes the targets of its views new, down the chain",
      CHAIN,
      { ...CHAIN, "events.datasource": landing(["id UInt32", "ts DateTime", "w String"], "id") },
      { events: "new", hourly: "new", daily: "new" },
    ],
    [
      "a changed view makes its target new, and the targets downstream",
      CHAIN,
      { ...CHAIN, "hourly_mv.pipe": HOURLY_MV.replace("FROM events", "FROM events WHERE id > 0") },
      { events: "shared", hourly: "new", daily: "new" },
    ],
    [
      "a changed view at the end of the chain: only its target",
      CHAIN,
      { ...CHAIN, "daily_mv.pipe": DAILY_N_MV.replace("FROM hourly", "FROM hourly WHERE n > 0") },
      { events: "shared", hourly: "shared", daily: "new" },
    ],
    [
      "a view inlining an endpoint changes with the endpoint",
      { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "src.pipe": endpoint("src", "SELECT ts FROM events"), "hourly_mv.pipe": materialized("h", "SELECT toStartOfHour(ts) AS hour, count() AS n FROM src GROUP BY hour", "hourly") },
      { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "src.pipe": endpoint("src", "SELECT ts FROM events WHERE id > 0"), "hourly_mv.pipe": materialized("h", "SELECT toStartOfHour(ts) AS hour, count() AS n FROM src GROUP BY hour", "hourly") },
      { events: "shared", hourly: "new" },
    ],
    ["another datasource's change leaves it shared", { "a.datasource": STAGED_V1, "b.datasource": STAGED_V1 }, { "a.datasource": STAGED_V2, "b.datasource": STAGED_V1 }, { a: "new", b: "shared" }],
  ];
  for (const [rule, before, after, expected] of cases) {
    it(rule, () => {
      expect(verdicts(after, before ? liveOf(before) : undefined)).toEqual(expected);
    });
  }

  it("a datasource's identity does not depend on the order of the views feeding it", () => {
    expect(datasourceIdentity("CREATE TABLE db.t (x UInt8)", ["SELECT 1", "SELECT 2"])).toBe(datasourceIdentity("CREATE TABLE db.t (x UInt8)", ["SELECT 2", "SELECT 1"]));
    expect(datasourceIdentity("CREATE TABLE db.t (x UInt8)", ["SELECT 1"])).not.toBe(datasourceIdentity("CREATE TABLE db.t (x UInt8)", []));
  });

  it("a view names the physical tables it reads, once each, and its SQL names them in the database", () => {
    const files = { "events.datasource": EVENTS, "hourly.datasource": HOURLY, "hourly_mv.pipe": materialized("h", "SELECT toStartOfHour(e.ts) AS hour, count() AS n FROM events AS e JOIN events AS f ON e.id = f.id GROUP BY hour", "hourly") };
    const result = resolve(files);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const events = result.tables.get("events")!.table;
    const view = result.views.get("hourly_mv")!;
    expect(view.sources).toEqual([events]);
    expect(view.compile(inDatabase(result.tables, DATABASE), [])).toContain(`FROM ${DATABASE}.${events} AS e`);
    expect(view.compile(throughSubqueries(result.tables, (t) => `SNAPSHOT ${t}`), [])).toContain(`FROM (SNAPSHOT ${events}) AS e`);
  });
});

describe("refusals", () => {
  const cases: Array<[string, Record<string, string>, Array<{ filename: string; error: string }>]> = [
    ["views that feed each other", {
      "a.datasource": landing(["id UInt32"], "id"), "b.datasource": landing(["id UInt32"], "id"),
      "a_to_b.pipe": materialized("ab", "SELECT id FROM a", "b"), "b_to_a.pipe": materialized("ba", "SELECT id FROM b", "a"),
    }, [
      { filename: "a.datasource", error: "a.datasource: materialized views form a cycle through 'a'" },
      { filename: "a_to_b.pipe", error: "a_to_b.pipe: node 'ab': Resource 'a' not found" },
    ]],
    ["a view reading what is not in the project", { "sink.datasource": STAGED_V1, "mv.pipe": materialized("mv", "SELECT id, v FROM nowhere", "sink") }, [
      { filename: "mv.pipe", error: "mv.pipe: node 'mv': Resource 'nowhere' not found" },
    ]],
    ["a view reading another database", { "sink.datasource": STAGED_V1, "mv.pipe": materialized("mv", "SELECT id, v FROM other.t", "sink") }, [
      { filename: "mv.pipe", error: "mv.pipe: node 'mv': Resource 'other.t' not found" },
    ]],
    ["a view whose template refuses to render with defaults", {
      "t.datasource": STAGED_V1, "sink.datasource": STAGED_V1,
      "mv.pipe": "NODE m\nSQL >\n    %\n    SELECT id, v FROM t {{ error('no') }}\n\nTYPE materialized\nDATASOURCE sink\n",
    }, [{ filename: "mv.pipe", error: "mv.pipe: node 'm': no" }]],
    ["a view inlining pipes that read each other", {
      "t.datasource": STAGED_V1, "sink.datasource": STAGED_V1,
      "p1.pipe": endpoint("p1", "SELECT * FROM p2"), "p2.pipe": endpoint("p2", "SELECT * FROM p1"),
      "mv.pipe": materialized("mv", "SELECT id, v FROM p1", "sink"),
    }, [
      { filename: "p1.pipe", error: "p1.pipe: pipes read each other in a cycle: mv → p1 → p2 → p1" },
      { filename: "p2.pipe", error: "p2.pipe: node 'p2': Pipe 'p1' cannot be read" },
      { filename: "p1.pipe", error: "p1.pipe: node 'p1': Pipe 'p2' cannot be read" },
      { filename: "mv.pipe", error: "mv.pipe: node 'mv': Pipe 'p1' cannot be read" },
    ]],
  ];
  for (const [what, files, problems] of cases) {
    it(`refuses ${what}`, () => {
      expect(resolve(files)).toEqual({ ok: false, problems });
    });
  }

  it("refuses nothing else: endpoints are not compiled here", () => {
    expect(resolve({ "t.datasource": STAGED_V1, "broken.pipe": endpoint("b", "SELECT * FROM nowhere") }).ok).toBe(true);
  });
});

describe("feeding pipes", () => {
  it("lists the materialized pipes by the datasource they write to, in project order", () => {
    const project = projectOf({ ...CHAIN, "second_hourly.pipe": HOURLY_MV.replace("NODE hourly", "NODE again"), "top.pipe": endpoint("top", "SELECT * FROM events") });
    const feeding = feedingPipes(project);
    expect(Object.fromEntries([...feeding].map(([ds, pipes]) => [ds, pipes.map((p) => p.name)]))).toEqual({
      hourly: ["hourly_mv", "second_hourly"],
      daily: ["daily_mv"],
    });
  });
});
