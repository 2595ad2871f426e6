/**
 * shared/connectors/json-columns.ts on the real local ClickHouse: a JSON line
 * in, the typed row (or the reasons it does not fit) out, for scalar, Nullable,
 * LowCardinality and composite columns, and JSONPath projections (`[:]`). Kafka datasources and S3/GCS NDJSON
 * imports read their rows with these expressions.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { jsonColumnsSql, type JsonColumn } from "../../../shared/connectors/json-columns.js";

let ch: ClickHouseClient;

const COLUMNS: JsonColumn[] = [
  { name: "id", type: "UInt64", nullable: false },
  { name: "tags", type: "Array(String)", nullable: false },
  { name: "scores", type: "Array(Int32)", nullable: false, jsonPath: "$.stats.scores" },
  { name: "maybe", type: "Array(Nullable(Int32))", nullable: false },
  { name: "labels", type: "Array(LowCardinality(String))", nullable: false },
  { name: "attrs", type: "Map(String, Int32)", nullable: false },
  { name: "grid", type: "Array(Array(Int32))", nullable: false },
];

/** The typed row of a line, and its `; `-joined reasons ('' when it fits). */
async function read(line: string, columns = COLUMNS): Promise<{ row: Record<string, unknown>; reasons: string }> {
  const sql = jsonColumnsSql(columns);
  const rs = await ch.query({
    query: `SELECT ${sql.values.join(", ")}, ${sql.errorText} AS reasons FROM (SELECT {line:String} AS value)`,
    query_params: { line },
    format: "JSONEachRow",
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const [out] = (await rs.json()) as Array<Record<string, unknown>>;
  const { reasons, ...row } = out!;
  return { row, reasons: String(reasons) };
}

beforeAll(() => {
  ch = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword") });
});

afterAll(async () => {
  await ch.close();
});

describe("composite columns read from JSON", () => {
  it("a line whose arrays and map all fit gives their typed values", async () => {
    const line = JSON.stringify({ id: 7, tags: ["a", "b"], stats: { scores: [1, -2] }, maybe: [1, null], labels: ["x"], attrs: { k: 3 }, grid: [[1], [2, 3]] });
    expect(await read(line)).toEqual({
      row: { id: 7, tags: ["a", "b"], scores: [1, -2], maybe: [1, null], labels: ["x"], attrs: { k: 3 }, grid: [[1], [2, 3]] },
      reasons: "",
    });
  });

  it("missing arrays and maps are empty", async () => {
    expect(await read(JSON.stringify({ id: 1 }))).toEqual({
      row: { id: 1, tags: [], scores: [], maybe: [], labels: [], attrs: {}, grid: [] },
      reasons: "",
    });
  });

  it("an element that does not convert is the array's reason", async () => {
    const { reasons } = await read(JSON.stringify({ id: 2, stats: { scores: [1, "x"] } }));
    expect(reasons).toBe(`value '[1,"x"]' on column 'scores' is not Array(Int32)`);
  });

  it("a null element fits only an array of Nullable", async () => {
    expect((await read(JSON.stringify({ id: 3, maybe: [null, 4] }))).reasons).toBe("");
    expect((await read(JSON.stringify({ id: 3, stats: { scores: [null] } }))).reasons).toBe(`value '[null]' on column 'scores' is not Array(Int32)`);
  });

  it("a bad element of an array of Nullable is not mistaken for a null", async () => {
    expect((await read(JSON.stringify({ id: 4, maybe: [null, "y"] }))).reasons).toBe(`value '[null,"y"]' on column 'maybe' is not Array(Nullable(Int32))`);
  });

  it("a scalar where an array belongs is refused", async () => {
    expect((await read(JSON.stringify({ id: 5, tags: "a" }))).reasons).toBe("value 'a' on column 'tags' is not Array(String)");
  });

  it("an array where a map belongs is refused", async () => {
    expect((await read(JSON.stringify({ id: 6, attrs: [1] }))).reasons).toBe("value '[1]' on column 'attrs' is not Map(String, Int32)");
  });

  it("a nested array is checked as an array", async () => {
    expect((await read(JSON.stringify({ id: 8, grid: 3 }))).reasons).toBe("value '3' on column 'grid' is not Array(Array(Int32))");
  });
});

const PROJECTED: JsonColumn[] = [
  { name: "id", type: "UInt64", nullable: false },
  { name: "item_ids", type: "Array(Int32)", nullable: false, jsonPath: "$.items[:].id" },
  { name: "tags", type: "Array(String)", nullable: false, jsonPath: "$.tags[*]" },
];

describe("JSONPath projections", () => {
  it("[:] followed by a key reads that key of each element; elements without it are left out", async () => {
    const line = JSON.stringify({ id: 1, items: [{ id: 4 }, { n: 5 }, { id: 6 }], tags: ["a", "b"] });
    expect(await read(line, PROJECTED)).toEqual({ row: { id: 1, item_ids: [4, 6], tags: ["a", "b"] }, reasons: "" });
  });

  it("a missing array projects to an empty one", async () => {
    expect(await read(JSON.stringify({ id: 2 }), PROJECTED)).toEqual({ row: { id: 2, item_ids: [], tags: [] }, reasons: "" });
  });

  it("a projected value that does not convert is the column's reason", async () => {
    expect((await read(JSON.stringify({ id: 3, items: [{ id: "x" }] }), PROJECTED)).reasons).toBe(`value '[{"id":"x"}]' on column 'item_ids' is not Array(Int32)`);
  });

  it("a projection into a column that is not an Array of scalars cannot be read", () => {
    expect(() => jsonColumnsSql([{ name: "first", type: "Int32", nullable: false, jsonPath: "$.items[:].id" }])).toThrow(
      "column first: the JSONPath $.items[:].id projects an array ([:] or [*]) more than once, or into a column that is not an Array of scalars",
    );
  });
});
