/**
 * The validator's output against the real local ClickHouse: one table with a
 * column per type of the conformance table (test/unit/ingest/cases.ts); every
 * accepted value is inserted as the Events API would send it (original line
 * when passthrough, else the re-serialized row), under strict input settings,
 * and read back with toString() to be exactly what was validated. Quarantine
 * lines go into a table made by createQuarantineTableSql.
 */
import { type ClickHouseClient } from "@clickhouse/client-web";
import { describe, expect, it } from "vitest";
import { compileRowValidator, validateNdjson } from "../../../shared/ingest/index.js";
import { createQuarantineTableSql, quoteIdentifier } from "../../../shared/sql/ddl/index.js";
import { scratchDatabase } from "./scratch-database.js";
import { ACCEPT, REJECT } from "../../unit/ingest/cases.js";

const db = `tern_ingest_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
let client: ClickHouseClient;

// Strict settings: the output must not rely on lenient server defaults.
const STRICT = {
  date_time_input_format: "basic",
  input_format_skip_unknown_fields: 0,
  input_format_null_as_default: 0,
} as const;

const types = [...new Set(ACCEPT.map((c) => c.type))];
const column = (type: string) => `c${types.indexOf(type)}`;
const columns = [{ name: "id", type: "UInt32" }, ...types.map((type) => ({ name: column(type), type }))];

function expectedText(out: unknown): string {
  if (typeof out === "string") return out;
  if (typeof out === "number" || typeof out === "boolean") return String(out);
  return JSON.stringify(out);
}

async function rows<T>(query: string): Promise<T[]> {
  const result = await client.query({ query, format: "JSONEachRow" });
  return result.json<T>();
}

scratchDatabase(db, (c) => (client = c));

describe("validated rows round-trip through ClickHouse", () => {
  it("stores exactly the validated value for every accepted case", async () => {
    const table = `${quoteIdentifier(db)}.all_types`;
    await client.command({
      query: `CREATE TABLE ${table} (${columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(", ")}) ENGINE = MergeTree ORDER BY id`,
    });
    const validator = compileRowValidator(columns);
    const body = ACCEPT.map((c, i) => `{"id":${i},"${column(c.type)}":${c.json}}`).join("\n");
    const result = validateNdjson(body, validator, { importId: "roundtrip", now: Date.now() });
    expect(result.quarantine.map((q) => q.c__error)).toEqual([]);
    expect(result.validCount).toBe(ACCEPT.length);
    expect(result.stats.passthroughRows).toBeGreaterThan(0);

    await client.command({
      query: `INSERT INTO ${table} FORMAT JSONEachRow\n${result.validLines.join("\n")}`,
      clickhouse_settings: STRICT,
    });

    const select = columns.slice(1).map((c) => `toString(${quoteIdentifier(c.name)}) AS ${quoteIdentifier(c.name)}`).join(", ");
    const stored = await rows<Record<string, string | number | null>>(`SELECT id, ${select} FROM ${table} ORDER BY id`);
    expect(stored.length).toBe(ACCEPT.length);
    const mismatches: string[] = [];
    ACCEPT.forEach((c, i) => {
      const got = stored[i]![column(c.type)];
      const want = c.stored === undefined ? expectedText(c.out) : c.stored;
      if (got !== want) mismatches.push(`${c.type} ← ${c.json}: stored ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    });
    expect(mismatches).toEqual([]);
  });

  it("keeps every column's DEFAULT / type default for missing keys and non-Nullable nulls", async () => {
    const table = `${quoteIdentifier(db)}.defaults`;
    await client.command({
      query: `CREATE TABLE ${table} (id UInt32, s String DEFAULT 'dflt', n Int32, d DateTime('UTC') DEFAULT '2020-01-01 00:00:00', a Array(String), m Nullable(Int8)) ENGINE = MergeTree ORDER BY id`,
    });
    const validator = compileRowValidator([
      { name: "id", type: "UInt32" }, { name: "s", type: "String", default: "'dflt'" }, { name: "n", type: "Int32" },
      { name: "d", type: "DateTime('UTC')", default: "'2020-01-01 00:00:00'" }, { name: "a", type: "Array(String)" }, { name: "m", type: "Nullable(Int8)" },
    ]);
    const result = validateNdjson('{"id":1}\n{"id":2,"s":null,"n":null,"d":null,"a":null,"m":null}', validator, { importId: null, now: 0 });
    expect(result.validCount).toBe(2);
    await client.command({ query: `INSERT INTO ${table} FORMAT JSONEachRow\n${result.validLines.join("\n")}`, clickhouse_settings: STRICT });
    expect(await rows(`SELECT id, s, n, toString(d) AS d, a, m FROM ${table} ORDER BY id`)).toEqual([
      { id: 1, s: "dflt", n: 0, d: "2020-01-01 00:00:00", a: [], m: null },
      { id: 2, s: "dflt", n: 0, d: "2020-01-01 00:00:00", a: [], m: null },
    ]);
  });
});

describe("quarantine lines", () => {
  it("insert into the quarantine table made by createQuarantineTableSql", async () => {
    const datasource = { columns: [{ name: "id", type: "UInt32" }, ...types.map((type) => ({ name: column(type), type }))] };
    await client.command({ query: createQuarantineTableSql(datasource, { database: db, table: "all_types" }) });
    const validator = compileRowValidator(datasource.columns);
    const lines = REJECT.filter((c) => types.includes(c.type)).map((c, i) => `{"id":${i},"${column(c.type)}":${c.json}}`);
    lines.splice(3, 0, "{not json", "[1,2]");
    const result = validateNdjson(lines.join("\r\n"), validator, { importId: "01JKQPWT8GVXAN5GJ1VBD4XM27", now: new Date("2025-02-10T10:36:20Z") });
    expect(result.validCount).toBe(0);
    expect(result.quarantine.length).toBe(lines.length);
    await client.command({
      query: `INSERT INTO ${quoteIdentifier(db)}.all_types_quarantine FORMAT JSONEachRow\n${result.quarantineLines.join("\n")}`,
      clickhouse_settings: STRICT,
    });
    const back = await rows<{ n: string; ids: string; at: string; imp: string }>(
      `SELECT count() AS n, toString(countIf(c__import_id = '01JKQPWT8GVXAN5GJ1VBD4XM27')) AS imp, toString(max(insertion_date)) AS at, toString(groupArray(id)) AS ids FROM ${quoteIdentifier(db)}.all_types_quarantine`,
    );
    expect(Number(back[0]!.n)).toBe(lines.length);
    expect(Number(back[0]!.imp)).toBe(lines.length);
    expect(back[0]!.at).toBe("2025-02-10 10:36:20");
    const first = await rows<{ c__error_column: string[]; c__error: string[]; id: string | null }>(
      `SELECT c__error_column, c__error, id FROM ${quoteIdentifier(db)}.all_types_quarantine WHERE id = '0'`,
    );
    expect(first).toEqual([{ c__error_column: [column(REJECT[0]!.type)], c__error: [`value '${REJECT[0]!.json}' on column '${column(REJECT[0]!.type)}' is not ${REJECT[0]!.type}`], id: "0" }]);
  });
});
