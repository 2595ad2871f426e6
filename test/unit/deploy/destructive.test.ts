// The destructive-operation guard's list: live data a deployment would leave
// behind (the Worker refuses it unless allowed, or unless the table is empty).
import { describe, expect, it } from "vitest";
import { deletedDatasources, droppedColumns } from "../../../shared/deploy/plan/destructive.js";
import { liveOf, projectOf } from "./helpers.js";
import { STAGED_V1, STAGED_V3, landing } from "./scenarios.js";

describe("dropped columns", () => {
  const live = liveOf({ "t.datasource": STAGED_V3 });
  const table = live.datasources.t!.table;
  const cases: Array<[string, string, Array<{ column: string; message: string }>]> = [
    ["a column removed", STAGED_V1, [{ column: "w", message: "Datasource 't': column 'w' would be dropped with its data" }]],
    ["columns renamed", landing(["id UInt32", "value String", "extra String"], "id"), [
      { column: "v", message: "Datasource 't': column 'v' would be dropped with its data" },
      { column: "w", message: "Datasource 't': column 'w' would be dropped with its data" },
    ]],
    ["columns renamed through a FORWARD_QUERY (it says where each goes)", landing(["id UInt32", "value String"], "id", "FORWARD_QUERY >\n    id, v AS value\n"), []],
    ["a column added", landing(["id UInt32", "v String", "w String", "x String"], "id"), []],
    ["a column's type changed", landing(["id UInt64", "v String", "w String"], "id"), []],
  ];
  for (const [change, next, dropped] of cases) {
    it(`${change}: ${dropped.length} dropped`, () => {
      const ds = projectOf({ "t.datasource": next }).datasources.get("t")!;
      expect(droppedColumns("t", ds, live.datasources.t)).toEqual(dropped.map((d) => ({ datasource: "t", table, ...d })));
    });
  }

  it("nothing is dropped from a datasource live does not have", () => {
    expect(droppedColumns("t", projectOf({ "t.datasource": STAGED_V1 }).datasources.get("t")!, undefined)).toEqual([]);
  });
});

describe("deleted datasources", () => {
  it("each takes its live table with it, in the order given", () => {
    const live = liveOf({ "a.datasource": STAGED_V1, "b.datasource": STAGED_V3 });
    expect(deletedDatasources(["b", "a"], live)).toEqual([
      { datasource: "b", table: live.datasources.b!.table, message: "Datasource 'b' would be deleted with its data" },
      { datasource: "a", table: live.datasources.a!.table, message: "Datasource 'a' would be deleted with its data" },
    ]);
  });

  it("nothing is deleted without a live deployment", () => {
    expect(deletedDatasources([], undefined)).toEqual([]);
  });
});
