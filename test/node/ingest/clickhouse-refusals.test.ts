/**
 * Rows that look valid but make the real local ClickHouse refuse the whole
 * INSERT (one such row would take its batch down): for each, ClickHouse is
 * shown to refuse the line as sent, and the validator either quarantines the
 * row with the reason or sends a line ClickHouse takes. Then every accepted
 * value of the conformance table, nested in an Array, a Map and a named
 * Tuple, must be taken too. Inserts use the Events API's own settings.
 */
import { ClickHouseError, type ClickHouseClient } from "@clickhouse/client-web";
import { describe, expect, it } from "vitest";
import { compileRowValidator, escapeLoneSurrogates, validateNdjson } from "../../../shared/ingest/index.js";
import { quoteIdentifier } from "../../../shared/sql/ddl/index.js";
import { INSERT_SETTINGS } from "../../../workers/write/insert.js";
import { scratchDatabase } from "./scratch-database.js";
import { ACCEPT } from "../../unit/ingest/cases.js";

const db = `tern_refusals_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
let client: ClickHouseClient;
let tables = 0;

async function table(columns: Array<{ name: string; type: string }>): Promise<string> {
  const name = `${quoteIdentifier(db)}.t${tables++}`;
  await client.command({
    query: `CREATE TABLE ${name} (${columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(", ")}) ENGINE = MergeTree ORDER BY tuple()`,
  });
  return name;
}

/** ClickHouse's answer to inserting `lines` as they are: null when taken, else `<TYPE>: <message>`. */
async function insert(target: string, lines: string[]): Promise<string | null> {
  try {
    await client.command({ query: `INSERT INTO ${target} FORMAT JSONEachRow\n${lines.join("\n")}`, clickhouse_settings: INSERT_SETTINGS });
    return null;
  } catch (e) {
    if (e instanceof ClickHouseError) return `${e.type}: ${e.message}`;
    throw e;
  }
}

scratchDatabase(db, (c) => (client = c));

const LONE = (escaped: string) => `it holds a lone UTF-16 surrogate (${escaped}), which is not Unicode text`;

// [type, line, what ClickHouse says, the validator's quarantine message]
const QUARANTINED: Array<[string, string, RegExp, string]> = [
  ["String", '{"x":"a\\ud800"}', /CANNOT_PARSE_ESCAPE_SEQUENCE/, `value 'a\\ud800' on column 'x' is not String: ${LONE("\\ud800")}`],
  ["String", '{"x":"\\udc00\\ud800"}', /CANNOT_PARSE_ESCAPE_SEQUENCE/, `value '\\udc00\\ud800' on column 'x' is not String: ${LONE("\\udc00")}`],
  ["Array(String)", '{"x":["\\ud800"]}', /CANNOT_PARSE_ESCAPE_SEQUENCE/, `value '["\\ud800"]' on column 'x' is not Array(String): ${LONE("\\ud800")}`],
  ["Map(String, UInt8)", '{"x":{"\\ud800":1}}', /CANNOT_PARSE_ESCAPE_SEQUENCE/, `value '{"\\ud800":1}' on column 'x' is not Map(String, UInt8): ${LONE("\\ud800")}`],
  ["JSON", '{"x":{"k\\ud800":1}}', /INCORRECT_DATA/, `value '{"k\\ud800":1}' on column 'x' is not JSON: ${LONE("\\ud800")}`],
  ["DateTime64(9, 'UTC')", '{"x":"2262-04-11 23:47:17"}', /DECIMAL_OVERFLOW/, "value '2262-04-11 23:47:17' on column 'x' is not DateTime64(9, 'UTC')"],
  ["DateTime64(9, 'America/New_York')", '{"x":"2262-04-11 20:00:00"}', /DECIMAL_OVERFLOW/, "value '2262-04-11 20:00:00' on column 'x' is not DateTime64(9, 'America/New_York')"],
  ["Map(Bool, String)", '{"x":{"true":"y"}}', /CANNOT_PARSE_BOOL/, `value '{"true":"y"}' on column 'x' is not Map(Bool, String): ClickHouse cannot read Bool map keys from JSON`],
  ["JSON", '{"x":{"a":{"b":1},"a.b":2}}', /Duplicate path/, `value '{"a":{"b":1},"a.b":2}' on column 'x' is not JSON: path 'a.b' has two values (dotted keys are paths)`],
  ["JSON", '{"x":{"a":1e400}}', /INCORRECT_DATA/, `value '{"a":Infinity}' on column 'x' is not JSON: a number is beyond the range of Float64`],
  ["JSON", '{"x":{"a":100000000000000000000}}', /INCORRECT_DATA/, `value '{"a":100000000000000000000}' on column 'x' is not JSON: an integer is outside Int64/UInt64 (send it as a string, or with an exponent past 1e21)`],
];

// [type, line, what ClickHouse says to the line as sent, the line the validator sends instead]
const REWRITTEN: Array<[string, string, RegExp, string]> = [
  ["UInt8", '{"x":-0}', /CANNOT_PARSE_NUMBER/, '{"x":0}'],
  ["Array(UInt32)", '{"x":[-0]}', /CANNOT_PARSE_NUMBER/, '{"x":[0]}'],
  // JSON.parse keeps the last of two equal keys; ClickHouse reads the first (and refuses it here).
  ["UInt32", '{"x":"a","x":1}', /CANNOT_PARSE_INPUT_ASSERTION_FAILED/, '{"x":1}'],
  ["JSON", '{"x":{"a":1000000000000000000000}}', /INCORRECT_DATA/, '{"x":{"a":1e+21}}'],
];

describe("rows ClickHouse refuses as sent", () => {
  it.each(QUARANTINED)("%s ← %s: refused by ClickHouse, quarantined at the edge with the reason", async (type, line, refusal, message) => {
    const t = await table([{ name: "x", type }]);
    expect(await insert(t, [line])).toMatch(refusal);
    const result = validateNdjson(line, compileRowValidator([{ name: "x", type }]), { importId: "i", now: 0 });
    expect(result.validCount).toBe(0);
    expect(result.quarantine.map((q) => q.c__error)).toEqual([[message]]);
    // The quarantine line itself always inserts.
    const quarantineTable = await table([{ name: "c__error_column", type: "Array(String)" }, { name: "c__error", type: "Array(String)" }, { name: "c__import_id", type: "Nullable(String)" }, { name: "x", type: "Nullable(String)" }, { name: "insertion_date", type: "DateTime" }]);
    expect(await insert(quarantineTable, result.quarantineLines)).toBeNull();
  });

  it.each(REWRITTEN)("%s ← %s: refused by ClickHouse as sent, taken as the validator rewrites it", async (type, line, refusal, rewritten) => {
    const t = await table([{ name: "x", type }]);
    expect(await insert(t, [line])).toMatch(refusal);
    const result = validateNdjson(line, compileRowValidator([{ name: "x", type }]), { importId: "i", now: 0 });
    expect(result.validLines).toEqual([rewritten]);
    expect(await insert(t, result.validLines)).toBeNull();
  });

  it("two equal keys: ClickHouse keeps the first, JSON.parse the last, so the line is rewritten to what was validated", async () => {
    const t = await table([{ name: "x", type: "UInt32" }]);
    expect(await insert(t, ['{"x":1,"x":2}'])).toBeNull();
    const result = validateNdjson('{"x":1,"x":2}', compileRowValidator([{ name: "x", type: "UInt32" }]), { importId: "i", now: 0 });
    expect(result.validLines).toEqual(['{"x":2}']);
    expect(await insert(t, result.validLines)).toBeNull();
    expect(await (await client.query({ query: `SELECT x FROM ${t} ORDER BY x`, format: "JSONEachRow" })).json()).toEqual([{ x: 1 }, { x: 2 }]);
  });

  it.each([
    ["DateTime('Asia/Tokyo')", "1970-01-01 05:00:00", "1970-01-01 09:00:00"],
    ["DateTime('America/New_York')", "2106-02-07 06:28:15", "2106-02-07 01:28:15"],
  ])("%s ← %s: ClickHouse clamps it (stores %s), so the edge quarantines it", async (type, text, clamped) => {
    const t = await table([{ name: "x", type }]);
    expect(await insert(t, [JSON.stringify({ x: text })])).toBeNull();
    expect(await (await client.query({ query: `SELECT toString(x) AS x FROM ${t}`, format: "JSONEachRow" })).json()).toEqual([{ x: clamped }]);
    const result = validateNdjson(JSON.stringify({ x: text }), compileRowValidator([{ name: "x", type }]), { importId: "i", now: 0 });
    expect(result.quarantine.map((q) => q.c__error)).toEqual([[`value '${text}' on column 'x' is not ${type}`]]);
  });

  it("a lone low surrogate is taken by ClickHouse as invalid UTF-8, so the edge quarantines it too", async () => {
    const t = await table([{ name: "x", type: "String" }]);
    expect(await insert(t, ['{"x":"\\udc00"}'])).toBeNull();
    const [stored] = await (await client.query({ query: `SELECT isValidUTF8(x) AS ok FROM ${t}`, format: "JSONEachRow" })).json<{ ok: number }>();
    expect(stored).toEqual({ ok: 0 });
    const result = validateNdjson('{"x":"\\udc00"}', compileRowValidator([{ name: "x", type: "String" }]), { importId: "i", now: 0 });
    expect(result.quarantine.map((q) => q.c__error)).toEqual([[`value '\\udc00' on column 'x' is not String: ${LONE("\\udc00")}`]]);
    expect(escapeLoneSurrogates(result.quarantine[0]!.x as string)).toBe("\\udc00");
  });
});

describe("accepted values nested in composites", () => {
  // SimpleAggregateFunction is a top-level type only.
  const nestable = ACCEPT.filter((c) => !c.type.startsWith("SimpleAggregateFunction"));
  const wrappers: Array<[string, (t: string) => string, (json: string) => string]> = [
    ["Array", (t) => `Array(${t})`, (json) => `[${json},${json}]`],
    ["Map(String, …)", (t) => `Map(String, ${t})`, (json) => `{"k":${json},"l":${json}}`],
    ["named Tuple", (t) => `Tuple(a ${t}, b UInt8)`, (json) => `{"a":${json},"b":1}`],
  ];

  it.each(wrappers)("every accepted value inside %s is taken by ClickHouse", async (_name, wrap, nest) => {
    const types = [...new Set(nestable.map((c) => c.type))];
    const columns = types.map((type, i) => ({ name: `c${i}`, type: wrap(type) }));
    const t = await table(columns);
    const validator = compileRowValidator(columns);
    const lines = nestable.map((c) => `{"c${types.indexOf(c.type)}":${nest(c.json)}}`);
    const result = validateNdjson(lines.join("\n"), validator, { importId: "i", now: 0 });
    expect(result.quarantine.map((q) => q.c__error)).toEqual([]);
    // One row per insert: a refusal names the value.
    const refused: string[] = [];
    for (let i = 0; i < result.validLines.length; i++) {
      const error = await insert(t, [result.validLines[i]!]);
      if (error !== null) refused.push(`${lines[i]} → ${result.validLines[i]}: ${error.slice(0, 200)}`);
    }
    expect(refused).toEqual([]);
  });
});
