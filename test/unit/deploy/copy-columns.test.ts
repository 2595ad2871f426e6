import { describe, expect, it } from "vitest";
import { copyColumns } from "../../../shared/deploy/copy-columns.js";

const target = [
  { name: "ts", default_type: "" },
  { name: "n", default_type: "" },
  { name: "tag", default_type: "DEFAULT" },
  { name: "day", default_type: "MATERIALIZED" },
];
const names = { pipe: "p", datasource: "d" };

describe("copyColumns: a copy's result matched to its target by name", () => {
  const cases: Array<[string, string[], ReturnType<typeof copyColumns>]> = [
    ["same columns, another order", ["n", "tag", "ts"], { ok: true, columns: ["n", "tag", "ts"] }],
    ["a column with a default may be left out", ["ts", "n"], { ok: true, columns: ["ts", "n"] }],
    ["a column the target lacks", ["ts", "n", "extra"], { ok: false, message: "The copy pipe 'p' does not match its target datasource 'd': its result has column `extra`, which 'd' does not. Copies match columns by name: alias the SELECT's columns as the datasource names them" }],
    ["a MATERIALIZED column cannot be written", ["ts", "n", "day"], { ok: false, message: "The copy pipe 'p' does not match its target datasource 'd': its result has column `day`, which 'd' does not. Copies match columns by name: alias the SELECT's columns as the datasource names them" }],
    ["a required column missing", ["ts"], { ok: false, message: "The copy pipe 'p' does not match its target datasource 'd': 'd' needs column `n`, which its result lacks. Copies match columns by name: alias the SELECT's columns as the datasource names them" }],
  ];
  for (const [what, produced, expected] of cases) {
    it(what, () => expect(copyColumns(produced, target, names)).toEqual(expected));
  }
});
