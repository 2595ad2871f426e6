// A forward: a view on the live table writing into the new one while the
// deployment stages, with the same copy as the backfill.
import { describe, expect, it } from "vitest";
import { planForward } from "../../../shared/deploy/plan/forwards.js";

describe("forward from live", () => {
  const forward = planForward({ datasource: "t", liveTable: "t__old_1", target: "t__new_2", selectList: "`id`, `v`", database: "ws", tag: "2" });

  it("is a materialized view from the live table to the new one, named for the datasource and the tag", () => {
    expect({ ...forward, select: undefined }).toEqual({
      pipe: "t",
      name: "t__forward_2",
      target: "t__new_2",
      sources: ["t__old_1"],
      sql: "CREATE MATERIALIZED VIEW `ws`.`t__forward_2` TO `ws`.`t__new_2` AS SELECT `id`, `v` FROM `ws`.`t__old_1`",
      query: "SELECT `id`, `v` FROM `ws`.`t__old_1`",
      select: undefined,
    });
  });

  it("its query is the SELECT inside its CREATE, for the read guard", () => {
    expect(forward.sql.endsWith(` AS ${forward.query}`)).toBe(true);
  });

  it("selects from wherever the caller places the live table", () => {
    expect(forward.select((t) => `snapshot(${t})`)).toBe("SELECT `id`, `v` FROM (snapshot(t__old_1))");
  });
});
