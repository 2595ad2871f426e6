import { describe, expect, it } from "vitest";
import { parseDatafile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import { datasourceSchemaHash, normalizeExpression } from "../../../shared/sql/ddl/index.js";

function ds(text: string): DatasourceFile {
  const result = parseDatafile({ path: "events.datasource", text });
  if (!result.ok || result.file.kind !== "datasource") throw new Error("bad fixture");
  return result.file;
}

const BASE = "SCHEMA >\n    `id` String `json:$.id`,\n    `ts` DateTime `json:$.ts`\nENGINE MergeTree\nENGINE_SORTING_KEY id, ts";

describe("datasourceSchemaHash", () => {
  it("is 16 hex characters and fixed for a given table", () => {
    expect(datasourceSchemaHash(ds(BASE))).toMatch(/^[0-9a-f]{16}$/);
  });

  it("does not change with description, tokens, JSONPaths, quoting or spacing", () => {
    const other = ds([
      "DESCRIPTION >", "    Now with docs", 'TOKEN "t" APPEND',
      "SCHEMA >", "    id String `json:$.other_id`,", "    `ts`   DateTime",
      'ENGINE "MergeTree"', 'ENGINE_SORTING_KEY "id,ts"', "FORWARD_QUERY >", "    SELECT *",
    ].join("\n"));
    expect(datasourceSchemaHash(other)).toBe(datasourceSchemaHash(ds(BASE)));
  });

  const changes: [string, string][] = [
    ["a column type", BASE.replace("`ts` DateTime", "`ts` DateTime64(3)")],
    ["a column name", BASE.replace("`ts` DateTime", "`ts2` DateTime").replace("id, ts", "id, ts2")],
    ["a DEFAULT", BASE.replace("`json:$.id`", "`json:$.id` DEFAULT 'x'")],
    ["the sorting key", BASE.replace("id, ts", "ts, id")],
    ["the engine", BASE.replace("ENGINE MergeTree", "ENGINE ReplacingMergeTree")],
    ["the TTL", `${BASE}\nENGINE_TTL ts + INTERVAL 1 DAY`],
    ["an index", `${BASE}\nINDEXES >\n    i id TYPE minmax GRANULARITY 1`],
  ];
  for (const [what, text] of changes) {
    it(`changes with ${what}`, () => {
      expect(datasourceSchemaHash(ds(text))).not.toBe(datasourceSchemaHash(ds(BASE)));
    });
  }
});

describe("normalizeExpression", () => {
  const cases: [string, string][] = [
    ["a,b", "a, b"],
    ["  toYYYYMM( ts )  ", "toYYYYMM(ts)"],
    ["ts + INTERVAL  1   DAY", "ts + INTERVAL 1 DAY"],
    ["x = 'a  b'", "x = 'a  b'"],
  ];
  for (const [input, expected] of cases) {
    it(`normalizes ${JSON.stringify(input)}`, () => {
      expect(normalizeExpression(input)).toBe(expected);
    });
  }
});
