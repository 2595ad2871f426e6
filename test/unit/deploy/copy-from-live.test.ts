// How a landing datasource's new table takes its live table's rows: the
// FORWARD_QUERY's SELECT list, or else the columns both versions share.
import { describe, expect, it } from "vitest";
import { copyFrom, copySelectList, forwardSelectList } from "../../../shared/deploy/plan/copy-from-live.js";
import { liveOf, projectOf } from "./helpers.js";
import { STAGED_V1, landing } from "./scenarios.js";

describe("FORWARD_QUERY's SELECT list", () => {
  const cases: Array<[string, string]> = [
    ["id, v AS value", "id, v AS value"],
    ["SELECT id, v AS value", "id, v AS value"],
    ["select id", "id"],
    ["  SeLeCt\n    id, v  ", "id, v"],
    ["selected_at, id", "selected_at, id"],
  ];
  for (const [forwardQuery, list] of cases) {
    it(`${JSON.stringify(forwardQuery)} → ${JSON.stringify(list)}`, () => {
      expect(forwardSelectList(forwardQuery)).toBe(list);
    });
  }
});

describe("the copy's SELECT list", () => {
  const liveDs = liveOf({ "t.datasource": STAGED_V1 }).datasources.t!;
  const cases: Array<[string, string, string | undefined]> = [
    ["a column added: the shared ones", landing(["id UInt32", "v String", "n UInt8 DEFAULT 7"], "id"), "id, v"],
    ["columns reordered: in the new order", landing(["v String", "id UInt32"], "v"), "v, id"],
    ["a column removed: the rest", landing(["id UInt32"], "id"), "id"],
    ["a FORWARD_QUERY: its list, as written", landing(["id UInt64", "value String"], "id", "FORWARD_QUERY >\n    SELECT toUInt64(id) AS id, v AS value\n"), "toUInt64(id) AS id, v AS value"],
    ["no column in common: no copy", landing(["x UInt32", "y String"], "x"), undefined],
  ];
  for (const [change, next, list] of cases) {
    it(`${change}`, () => {
      expect(copySelectList(projectOf({ "t.datasource": next }).datasources.get("t")!, liveDs)).toBe(list);
    });
  }

  it("quotes a column name that needs it", () => {
    const live = liveOf({ "t.datasource": landing(["`my col` UInt32", "v String"], "v") }).datasources.t!;
    expect(copySelectList(projectOf({ "t.datasource": landing(["`my col` UInt32", "v String", "w String"], "v") }).datasources.get("t")!, live)).toBe("`my col`, v");
  });

  it("reads the live table wherever the caller places it", () => {
    const select = copyFrom("t__old_1", "`id`, `v`");
    expect(select((t) => `SELECT * FROM db.${t} WHERE _part IN ('all_1_1_0')`)).toBe("SELECT `id`, `v` FROM (SELECT * FROM db.t__old_1 WHERE _part IN ('all_1_1_0'))");
  });
});
