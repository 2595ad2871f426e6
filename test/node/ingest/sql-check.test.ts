/**
 * The Events API's two ways for a wait=true line, against the real local ClickHouse:
 * the Worker's validator (JSONEachRow of the lines it forwards, quarantine for the rest)
 * and the SQL check (shared/ingest/sql-check.ts: the line as text, checked and turned into
 * columns by ClickHouse; when it refuses, the validator's way). Every case of the
 * conformance table whose type the SQL check covers, and line shapes of their own, go both
 * ways: the same rows land (`toString` of every column) and the same number is quarantined.
 * A rejected value never lands through SQL.
 */
import { ClickHouseError, type ClickHouseClient } from "@clickhouse/client-web";
import { describe, expect, it } from "vitest";
import { compileRowValidator, planSqlCheck, THROW_IF_CODE, validateNdjson, type IngestColumn } from "../../../shared/ingest/index.js";
import { quoteIdentifier } from "../../../shared/sql/ddl/index.js";
import { insertCheckedLines, insertJsonLines } from "../../../workers/write/insert.js";
import { scratchDatabase } from "./scratch-database.js";
import { ACCEPT, REJECT } from "../../unit/ingest/cases.js";

const db = `tern_sqlcheck_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
let client: ClickHouseClient;
let tables = 0;

scratchDatabase(db, (c) => (client = c));

async function table(columns: readonly IngestColumn[]): Promise<{ database: string; table: string }> {
  const name = `t${tables++}`;
  const defs = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}${c.default ? ` DEFAULT ${c.default}` : ""}`);
  await client.command({ query: `CREATE TABLE ${quoteIdentifier(db)}.${name} (${defs.join(", ")}) ENGINE = MergeTree ORDER BY tuple()` });
  return { database: db, table: name };
}

async function stored(t: { table: string }, columns: readonly IngestColumn[]): Promise<string[]> {
  const cols = columns.map((c) => `toString(${quoteIdentifier(c.name)})`).join(", ");
  const rs = await client.query({ query: `SELECT [${cols}] AS r FROM ${quoteIdentifier(db)}.${t.table} ORDER BY r`, format: "JSONEachRow" });
  return (await rs.json<{ r: string[] }>()).map((x) => JSON.stringify(x.r));
}

/** The Worker's way: what the validator forwards lands, the rest is counted as quarantined. */
async function workerWay(t: { database: string; table: string }, columns: readonly IngestColumn[], text: string): Promise<number> {
  const r = validateNdjson(text, compileRowValidator(columns), { importId: "i", now: 0 });
  await insertJsonLines(client, t, r.validLines.join("\n"), { rows: r.validCount });
  return r.quarantineLines.length;
}

/** Both ways into two tables: the outcome of each, and whether the SQL check took the lines. */
async function bothWays(columns: readonly IngestColumn[], text: string) {
  const plan = planSqlCheck(columns);
  if (!plan) throw new Error("not covered");
  const [a, b] = [await table(columns), await table(columns)];
  const quarantinedA = await workerWay(a, columns, text);
  let viaSql = true;
  let quarantinedB = 0;
  try {
    await insertCheckedLines(client, b, plan, text, { rows: 1 });
  } catch (e) {
    if (!(e instanceof ClickHouseError && e.code === THROW_IF_CODE)) throw e;
    viaSql = false;
    // Nothing of the refused insert landed before the Worker's way runs.
    expect(await stored(b, columns)).toEqual([]);
    quarantinedB = await workerWay(b, columns, text);
  }
  return { viaSql, worker: { rows: await stored(a, columns), quarantined: quarantinedA }, sql: { rows: await stored(b, columns), quarantined: quarantinedB } };
}

const single = (type: string): IngestColumn[] => [{ name: "v", type }];
const covered = (type: string) => planSqlCheck(single(type)) !== undefined;

describe("the conformance table, both ways", () => {
  const accepted = ACCEPT.filter((c) => covered(c.type));
  const rejected = REJECT.filter((c) => covered(c.type));

  it("covers the expected types of the table", () => {
    expect([...new Set([...accepted, ...rejected].map((c) => c.type))].sort()).toEqual([
      "Array(String)", "Bool", "DateTime", "DateTime('America/New_York')", "DateTime('Asia/Tokyo')", "DateTime('UTC')",
      "DateTime64(0, 'UTC')", "DateTime64(3)", "DateTime64(3, 'UTC')", "DateTime64(6, 'UTC')",
      "Float64", "Int16", "Int32", "Int64", "Int8", "LowCardinality(Nullable(String))", "LowCardinality(String)",
      "Nullable(DateTime('UTC'))", "Nullable(Int32)", "String", "UInt16", "UInt32", "UInt64", "UInt8",
    ]);
  });

  it.each(accepted)("$type ← $json: the same row lands either way", async ({ type, json }) => {
    const r = await bothWays(single(type), `{"v":${json}}`);
    expect(r.sql).toEqual(r.worker);
    expect(r.worker.quarantined).toBe(0);
  });

  it.each(rejected)("$type ← $json: quarantined either way, never landed through SQL", async ({ type, json }) => {
    const r = await bothWays(single(type), `{"v":${json}}`);
    expect(r.viaSql).toBe(false);
    expect(r.sql).toEqual(r.worker);
    expect(r.worker).toEqual({ rows: [], quarantined: 1 });
  });

  it("takes through SQL exactly the canonical values", async () => {
    const taken: string[] = [];
    for (const c of accepted) if ((await bothWays(single(c.type), `{"v":${c.json}}`)).viaSql) taken.push(`${c.type} ${c.json}`);
    expect(taken).toEqual(TAKEN);
  });
});

// The accepted values the SQL check lands itself (the rest go the Worker's way): JSON of the type's own form,
// as ClickHouse's JSON reader re-writes it (`1.0` and `1e3` are integers to it, a surrogate pair is one character).
const TAKEN = [
  "Int8 -128", "Int8 127", "Int8 1.0", "Int8 -0", "UInt8 0", "UInt8 255", "Int16 -32768", "Int16 32767", "UInt16 65535",
  "Int32 -2147483648", "Int32 2147483647", "Int32 1e3", "UInt32 4294967295",
  "Int64 -9223372036854775808", "Int64 9223372036854775807", "Int64 42", "Int64 9007199254740993",
  "UInt64 18446744073709551615",
  "Float64 1.5", "Float64 -0.000001", "Float64 1e308", "Float64 7",
  "Bool true", "Bool false",
  'String "héllo 🌍"', 'String ""', 'String "a\\nb\\"c"', 'LowCardinality(String) "x"',
  `DateTime('UTC') "2024-01-02 03:04:05"`, `DateTime('UTC') "2024-02-29 23:59:59"`, 'DateTime "2024-01-02 03:04:05"',
  `DateTime64(3, 'UTC') "2024-01-02 03:04:05.123"`,
  "UInt8 -0", "UInt64 -0",
  "Nullable(Int32) null", "Nullable(Int32) 5", "LowCardinality(Nullable(String)) null",
  'String "🌍 \\ud83c\\udf0d"',
];

describe("line shapes, both ways", () => {
  const columns: IngestColumn[] = [
    { name: "id", type: "UInt32" }, { name: "s", type: "String", jsonPath: "$.s" }, { name: "n", type: "Nullable(Int64)" },
    { name: "tags", type: "Array(String)" }, { name: "d", type: "String", default: "'dflt'" },
    { name: "dn", type: "UInt32", default: "length(s) + 100" },
  ];
  const SHAPES: Array<[string, string, boolean]> = [
    ["every key", '{"id":1,"s":"a","n":2,"tags":["x"],"d":"e"}', true],
    ["keys in another order, spaces", '{ "d" : "e", "tags" : [ ], "n" : null, "s" : "a", "id" : 1 }', true],
    ["a key missing (no DEFAULT): zero value / NULL", '{"id":1,"d":"e"}', true],
    ["DEFAULT columns' keys missing: computed from the row", '{"id":1,"s":"abc"}', true],
    ["null for DEFAULT columns", '{"id":1,"d":null,"dn":null}', true],
    ["null for a column without DEFAULT", '{"id":1,"s":null,"tags":null,"d":"e"}', true],
    ["an extra key", '{"id":1,"d":"e","other":{"deep":[1,2]}}', true],
    ["a column's key twice", '{"id":1,"d":"e","s":"a","s":"b"}', false],
    ["another key twice (dropped either way)", '{"id":1,"d":"e","x":"a","x":"b"}', true],
    ["a number where a string goes", '{"id":1,"s":12,"d":"e"}', false],
    ["a string where a number goes", '{"id":"1","d":"e"}', false],
    ["an array holding a number", '{"id":1,"tags":["a",1],"d":"e"}', false],
    ["an empty object", "{}", false],
    ["not JSON", '{"id":1,', false],
    ["a JSON array", '[{"id":1,"d":"e"}]', false],
    ["a line with trailing text", '{"id":1,"d":"e"} x', false],
    ["a raw tab inside a string", '{"id":1,"s":"a\tb","d":"e"}', false],
    ["an integer past 2^53 in integer syntax", '{"id":1,"n":9007199254740993,"d":"e"}', true],
    ["an integer past 2^53 written as a fraction (the reader rounds it)", '{"id":1,"n":12345678901234567.0,"d":"e"}', false],
    ["an escaped key", '{"\\u0069d":7,"d":"e"}', true],
    ["two lines, a blank one between", '{"id":1,"d":"e"}\n\n{"id":2,"d":"f"}', true],
    ["a line of spaces", '{"id":1,"d":"e"}\n   \n{"id":2,"d":"f"}', false],
    ["a good line then a bad one: nothing lands through SQL", '{"id":1,"d":"e"}\n{"id":-1,"d":"f"}', false],
  ];
  it.each(SHAPES)("%s", async (_, text, viaSql) => {
    const r = await bothWays(columns, text);
    expect(r.viaSql).toBe(viaSql);
    expect(r.sql).toEqual(r.worker);
  });
});

describe("Nullable and Array columns with a DEFAULT", () => {
  const columns: IngestColumn[] = [
    { name: "id", type: "UInt32" }, { name: "ad", type: "Array(String)", default: "['ad']" }, { name: "nd", type: "Nullable(String)", default: "'nd'" },
  ];
  it.each([
    ["both given", '{"id":1,"ad":["x"],"nd":"y"}', true],
    ["null for the Nullable one: NULL", '{"id":1,"ad":["x"],"nd":null}', true],
    ["the Nullable one missing: its DEFAULT, which NULL cannot say", '{"id":1,"ad":["x"]}', false],
    ["the Array missing: its DEFAULT, which an Array cannot take as NULL", '{"id":1,"nd":"y"}', false],
    ["null for the Array: its DEFAULT", '{"id":1,"ad":null,"nd":"y"}', false],
  ] as Array<[string, string, boolean]>)("%s", async (_, text, viaSql) => {
    const r = await bothWays(columns, text);
    expect(r.viaSql).toBe(viaSql);
    expect(r.sql).toEqual(r.worker);
  });
});

describe("what the SQL check covers", () => {
  it.each([
    ["a JSONPath into a nested key", [{ name: "a", type: "String", jsonPath: "$.x.a" }]],
    ["a JSONPath renaming a key", [{ name: "a", type: "String", jsonPath: "$.b" }]],
    ["the whole line", [{ name: "a", type: "String", jsonPath: "$" }]],
    ["Float32", single("Float32")], ["Decimal", single("Decimal(10, 2)")], ["UUID", single("UUID")], ["Int128", single("Int128")],
    ["DateTime64(9)", single("DateTime64(9)")], ["Array(Int32)", single("Array(Int32)")], ["Map", single("Map(String, String)")],
    ["JSON", single("JSON")], ["Date", single("Date")], ["FixedString", single("FixedString(3)")],
  ] as Array<[string, IngestColumn[]]>)("not %s (the Worker validates those datasources' lines)", (_, columns) => {
    expect(planSqlCheck(columns)).toBeUndefined();
  });
});

describe("one insert, one block", () => {
  it("lands nothing of 200,000 lines (past ClickHouse's 65,505-row blocks) whose last line makes the check throw, and all of them without it", async () => {
    const columns: IngestColumn[] = [{ name: "id", type: "UInt32" }];
    const plan = planSqlCheck(columns)!;
    const t = await table(columns);
    const good = Array.from({ length: 199_999 }, (_, i) => `{"id":${i}}`).join("\n");
    const refused = await insertCheckedLines(client, t, plan, `${good}\n{"id":-1}`, { rows: 200_000 }).catch((e: unknown) => e);
    expect((refused as ClickHouseError).code).toBe(THROW_IF_CODE);
    const count = async () => Number((await (await client.query({ query: `SELECT count() AS c FROM ${quoteIdentifier(db)}.${t.table}`, format: "JSONEachRow" })).json<{ c: string | number }>())[0]!.c);
    expect(await count()).toBe(0);
    await insertCheckedLines(client, t, plan, `${good}\n{"id":199999}`, { rows: 200_000 });
    expect(await count()).toBe(200_000);
  });
});
