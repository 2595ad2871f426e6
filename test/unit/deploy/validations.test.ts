// Every query a pipe can serve compiles against this deployment: its served
// node, pipes it reads inlined, `tinybird.*` through the service views.
import { describe, expect, it } from "vitest";
import { feedingPipes } from "../../../shared/deploy/plan/feeding.js";
import { resolvePhysicalTables } from "../../../shared/deploy/plan/physical-tables.js";
import { planValidations } from "../../../shared/deploy/plan/validations.js";
import { DATABASE, projectOf } from "./helpers.js";
import { STAGED_V1, endpoint, materialized } from "./scenarios.js";

function validate(files: Record<string, string>) {
  const project = projectOf({ "t.datasource": STAGED_V1, ...files });
  const resolved = resolvePhysicalTables({ project, database: DATABASE, tag: "v", feeding: feedingPipes(project) });
  if (!resolved.ok) throw new Error(JSON.stringify(resolved.problems));
  return { t: `${DATABASE}.${resolved.tables.get("t")!.table}`, ...planValidations({ project, tables: resolved.tables, database: DATABASE }) };
}

describe("validated queries", () => {
  it("an endpoint: its published node, over the physical table", () => {
    const { t, validations, usesServiceViews, problems } = validate({ "e.pipe": `NODE first\nSQL >\n    SELECT id, v FROM t\n\nNODE second\nSQL >\n    SELECT id FROM first\n\nTYPE endpoint\n` });
    expect({ validations, usesServiceViews, problems }).toEqual({
      validations: [{ pipe: "e", node: "second", sql: `WITH\nfirst AS (\nSELECT id, v FROM ${t} AS t\n)\nSELECT id FROM first` }],
      usesServiceViews: false,
      problems: [],
    });
  });

  it("a pipe without a publication: its last node", () => {
    const { validations } = validate({ "p.pipe": `NODE a\nSQL >\n    SELECT id FROM t\n\nNODE b\nSQL >\n    SELECT v FROM t\n` });
    expect(validations.map((v) => [v.pipe, v.node])).toEqual([["p", "b"]]);
  });

  it("a pipe reading a pipe: inlined as a subquery; each validated on its own", () => {
    const { t, validations } = validate({ "base.pipe": endpoint("base", "SELECT id FROM t"), "top.pipe": endpoint("top", "SELECT count() AS c FROM base") });
    expect(validations).toEqual([
      { pipe: "base", node: "base", sql: `SELECT id FROM ${t} AS t` },
      { pipe: "top", node: "top", sql: `SELECT count() AS c FROM (SELECT id FROM ${t} AS t) AS base` },
    ]);
  });

  it("templates render in check mode: params without a default get a sample", () => {
    const { t, validations } = validate({ "e.pipe": `NODE e\nSQL >\n    %\n    SELECT id FROM t WHERE id > {{ UInt32(min_id) }} LIMIT {{ Int32(limit, 10) }}\n\nTYPE endpoint\n` });
    expect(validations[0]!.sql).toBe(`SELECT id FROM ${t} AS t WHERE id > toUInt32('0') LIMIT toInt32('10')`);
  });

  it("tinybird.* reads the workspace's service views, and says so", () => {
    const { validations, usesServiceViews } = validate({ "calls.pipe": endpoint("calls", "SELECT count() AS c FROM tinybird.pipe_stats_rt") });
    expect([validations[0]!.sql, usesServiceViews]).toEqual([`SELECT count() AS c FROM ${DATABASE}.tinybird__pipe_stats_rt AS pipe_stats_rt`, true]);
  });

  it("materialized pipes are not validated here (their views are)", () => {
    const { validations } = validate({ "sink.datasource": STAGED_V1, "mv.pipe": materialized("mv", "SELECT id, v FROM t", "sink") });
    expect(validations).toEqual([]);
  });

  const refusals: Array<[string, Record<string, string>, Array<{ filename: string; error: string }>]> = [
    ["a name that is nothing", { "u.pipe": endpoint("u", "SELECT * FROM nowhere") }, [{ filename: "u.pipe", error: "u.pipe: node 'u': Resource 'nowhere' not found" }]],
    ["another database", { "q.pipe": endpoint("q", "SELECT * FROM other.t") }, [{ filename: "q.pipe", error: "q.pipe: node 'q': Resource 'other.t' not found" }]],
    ["a tinybird.* name that is no service datasource", { "s.pipe": endpoint("s", "SELECT * FROM tinybird.nope") }, [{ filename: "s.pipe", error: "s.pipe: node 's': Resource 'tinybird.nope' not found" }]],
    ["a materialized pipe, read as a table", { "sink.datasource": STAGED_V1, "mv.pipe": materialized("mv", "SELECT id, v FROM t", "sink"), "r.pipe": endpoint("r", "SELECT * FROM mv") }, [
      { filename: "r.pipe", error: "r.pipe: node 'r': Resource 'mv' not found" },
    ]],
    ["pipes reading each other", { "p1.pipe": endpoint("p1", "SELECT * FROM p2"), "p2.pipe": endpoint("p2", "SELECT * FROM p1") }, [
      { filename: "p1.pipe", error: "p1.pipe: pipes read each other in a cycle: p1 → p2 → p1" },
      { filename: "p2.pipe", error: "p2.pipe: node 'p2': Pipe 'p1' cannot be read" },
      { filename: "p1.pipe", error: "p1.pipe: node 'p1': Pipe 'p2' cannot be read" },
    ]],
    ["a pipe reading one that fails: both", { "bad.pipe": endpoint("bad", "SELECT * FROM nowhere"), "reader.pipe": endpoint("reader", "SELECT * FROM bad") }, [
      { filename: "bad.pipe", error: "bad.pipe: node 'bad': Resource 'nowhere' not found" },
      { filename: "reader.pipe", error: "reader.pipe: node 'reader': Pipe 'bad' cannot be read" },
    ]],
  ];
  for (const [what, files, problems] of refusals) {
    it(`refuses ${what}; the rest still validates`, () => {
      const result = validate({ ...files, "fine.pipe": endpoint("fine", "SELECT id FROM t") });
      expect(result.problems).toEqual(problems);
      expect(result.validations.map((v) => v.pipe)).toContain("fine");
    });
  }
});
