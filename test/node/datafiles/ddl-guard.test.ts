/**
 * The deploy's second line: ClickHouse's own parse of the exact CREATE TABLE
 * Tern would run (EXPLAIN AST on the real local engine), checked against what
 * Tern meant to write. Every attack here is placed in a parsed datasource by
 * hand, past the offline check, as if that check had a hole: the guard alone
 * must refuse it, point at the datafile line, and create or drop nothing.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseDatafile, type DatasourceFile, type EngineSpec } from "../../../shared/datafiles/index.js";
import { planDeployment } from "../../../shared/deploy/plan.js";
import { loadProject, type Project } from "../../../shared/deploy/project.js";
import { checkExpressionsAst, quoteIdentifier } from "../../../shared/sql/ddl/index.js";
import { explainAst, expressionRefusal, guardPlan } from "../../../workers/deploy/ddl-guard.js";

const suffix = `${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
const db = `tern_ddl_guard_${suffix}`;
const victimDb = `tern_ddl_victim_${suffix}`;
let client: ClickHouseClient;

const BASE = [
  "SCHEMA >", //                                    1
  "    `id` String,", //                            2
  "    `ts` DateTime,", //                          3
  "    `v` UInt64 DEFAULT 0 CODEC(ZSTD(1))", //     4
  "", //                                            5
  "INDEXES >", //                                   6
  "    idx_v v TYPE minmax GRANULARITY 1", //       7
  "", //                                            8
  "ENGINE MergeTree", //                            9
  "ENGINE_PARTITION_KEY toYYYYMM(ts)", //           10
  "ENGINE_SORTING_KEY id, ts", //                   11
  "ENGINE_SAMPLING_KEY cityHash64(id)", //          12
  "ENGINE_TTL ts + INTERVAL 1 DAY", //              13
].join("\n");

function base(): DatasourceFile {
  const parsed = parseDatafile({ path: "evil.datasource", text: BASE });
  if (!parsed.ok || parsed.file.kind !== "datasource") throw new Error("the base datasource must parse");
  return parsed.file;
}

type MergeTreeEngine = Extract<EngineSpec, { type: "MergeTree" }>;

/** The base datasource with one engine value replaced, past the offline check. */
function withEngine(change: Partial<MergeTreeEngine>): DatasourceFile {
  const ds = base();
  return { ...ds, engine: { ...(ds.engine as MergeTreeEngine), ...change } };
}

/** The base datasource with column `v`'s DEFAULT or CODEC, or the index, replaced. */
function withColumn(change: { default?: string; codec?: string }): DatasourceFile {
  const ds = base();
  return { ...ds, columns: ds.columns.map((c) => (c.name === "v" ? { ...c, ...change } : c)) };
}

function withIndex(change: { expr?: string; type?: string }): DatasourceFile {
  const ds = base();
  return { ...ds, indexes: ds.indexes.map((i) => ({ ...i, ...change })) };
}

async function guard(ds: DatasourceFile): Promise<string[]> {
  const project: Project = { datasources: new Map([["evil", ds]]), pipes: new Map(), connections: new Map(), files: { "evil.datasource": BASE } };
  const planned = planDeployment({ project, database: db, tag: "t1" });
  if (!planned.ok) throw new Error(planned.errors.map((e) => e.error).join("\n"));
  return (await guardPlan(client, planned.plan, project, db)).map((p) => p.error);
}

async function tables(database: string): Promise<string[]> {
  const rs = await client.query({ query: "SELECT name FROM system.tables WHERE database = {d:String} ORDER BY name", query_params: { d: database }, format: "JSONEachRow" });
  return ((await rs.json()) as Array<{ name: string }>).map((r) => r.name);
}

const victim = `${victimDb}.secrets`;

beforeAll(async () => {
  client = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword") });
  await client.command({ query: `CREATE DATABASE ${quoteIdentifier(victimDb)}` });
  await client.command({ query: `CREATE TABLE ${victim} (secret String) ENGINE = MergeTree ORDER BY secret` });
  await client.command({ query: `INSERT INTO ${victim} VALUES ('s3cr3t')` });
});

afterAll(async () => {
  await client?.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(db)}` });
  await client?.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(victimDb)}` });
  await client?.close();
});

describe("the guard passes what Tern writes", () => {
  it("accepts the base datasource's table and quarantine table", async () => {
    expect(await guard(base())).toEqual([]);
  });
});

describe("ClickHouse's parse refuses attacks placed past the offline check, at the datafile line", () => {
  const cases: [string, DatasourceFile | (() => DatasourceFile), string][] = [
    ["a subquery in the TTL", () => withEngine({ ttl: `ts + INTERVAL (SELECT count() FROM ${victim}) DAY` }),
      "evil.datasource:13:12: ENGINE_TTL: subqueries are not allowed in a DDL value"],
    ["file() in the sorting key", () => withEngine({ sortingKey: "id, file('/etc/passwd')" }),
      "evil.datasource:11:20: ENGINE_SORTING_KEY: function `file` is not allowed: it reads files on the ClickHouse host"],
    ["dictGet in the partition key", () => withEngine({ partitionKey: `dictGet('${victimDb}.d', 'x', id)` }),
      "evil.datasource:10:22: ENGINE_PARTITION_KEY: function `dictGet` is not allowed"],
    ["hasColumnInTable in the sampling key", () => withEngine({ samplingKey: `hasColumnInTable('${victimDb}', 'secrets', 'secret')` }),
      "evil.datasource:12:21: ENGINE_SAMPLING_KEY: function `hasColumnInTable` is not allowed: it reads another table's schema"],
    ["joinGet in the TTL", () => withEngine({ ttl: `ts + toIntervalDay(joinGet('${victimDb}.j', 'v', id))` }),
      "evil.datasource:13:12: ENGINE_TTL: function `joinGet` is not allowed in a table definition: it reads another table"],
    ["another table's column in the sorting key", () => withEngine({ sortingKey: `id, ${victim}.secret` }),
      `evil.datasource:11:20: ENGINE_SORTING_KEY: \`${victim}.secret\` is not a column of this datasource`],
    ["IN another table in the TTL", () => withEngine({ ttl: `ts + INTERVAL 1 DAY DELETE WHERE id IN ${victim}` }),
      "evil.datasource:13:12: ENGINE_TTL: `IN <name>` reads a table or a set; list the values in parentheses instead"],
    ["a table function in a DEFAULT subquery", () => withColumn({ default: "(SELECT count() FROM file('/etc/passwd', 'LineAsString'))" }),
      "evil.datasource:4:1: column `v`: subqueries are not allowed in a DDL value"],
    ["a DEFAULT naming a column the datasource does not have", () => withColumn({ default: "length(secret)" }),
      "evil.datasource:4:1: column `v`: `secret` is not a column of this datasource"],
    ["a COMMENT smuggled after a DEFAULT", () => withColumn({ default: "0 COMMENT 'x'" }),
      "evil.datasource:4:1: column `v`: the column has parts Tern did not write (COMMENT, TTL, settings, …)"],
    ["an encryption codec", () => withColumn({ codec: "AES_128_GCM_SIV" }),
      "evil.datasource:4:1: column `v`: codec `AES_128_GCM_SIV` is not allowed"],
    ["a subquery as index expression", () => withIndex({ expr: `(SELECT secret FROM ${victim})` }),
      "evil.datasource:7:1: index `idx_v`: subqueries are not allowed in a DDL value"],
    ["an index type ClickHouse offers but Tern does not", () => withIndex({ type: "hypothesis" }),
      "evil.datasource:7:1: index `idx_v`: index type `hypothesis` is not allowed"],
    // Tern's own setting follows as `, non_replicated_deduplication_window = 10000`: here it lands in the ORDER BY.
    ["AS SELECT smuggled after the settings", () => withEngine({ settings: `index_granularity = 8192 AS SELECT * FROM ${victim} ORDER BY secret` }),
      "evil.datasource:9:8: the table definition: the CREATE TABLE has clauses Tern did not write (AS, COMMENT, …) or names another table"],
    ["a clause smuggled after the TTL", () => withEngine({ ttl: "ts + INTERVAL 1 DAY COMMENT 'x'" }),
      "evil.datasource:9:8: the table definition: ClickHouse cannot parse it: "],
    ["a second ORDER BY smuggled into the partition key", () => withEngine({ partitionKey: "toYYYYMM(ts) ORDER BY v" }),
      "evil.datasource:9:8: the table definition: ClickHouse cannot parse it: "],
    ["a second statement in the TTL, never sent to the engine", () => withEngine({ ttl: `ts + INTERVAL 1 DAY; DROP TABLE ${victim}` }),
      "evil.datasource:9:8: the table definition: `;` is not allowed: the SQL must be one statement"],
  ];
  for (const [what, make, expected] of cases) {
    it(`refuses ${what}`, async () => {
      const ds = typeof make === "function" ? make() : make;
      const errors = await guard(ds);
      expect(errors.length).toBe(1);
      if (expected.endsWith(": ")) expect(errors[0]!.startsWith(expected)).toBe(true);
      else expect(errors[0]).toBe(expected);
    });
  }

  const unicodeSpaces = ["\u00a0", "\u2003", "\u3000", "\u2028", "\ufeff", "\u200b"];
  for (const space of unicodeSpaces) {
    it(`refuses a subquery spaced with U+${space.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`, async () => {
      const sortingKey = `id, (SELECT${space}secret${space}FROM${space}${victim})`;
      expect(await guard(withEngine({ sortingKey }))).toEqual(["evil.datasource:11:20: ENGINE_SORTING_KEY: subqueries are not allowed in a DDL value"]);
    });
  }

  it("refuses another table named in curly quotes", async () => {
    const sortingKey = `id, (SELECT \u201csecret\u201d FROM \u201c${victimDb}\u201d.\u201csecrets\u201d)`;
    expect(await guard(withEngine({ sortingKey }))).toEqual(["evil.datasource:11:20: ENGINE_SORTING_KEY: subqueries are not allowed in a DDL value"]);
  });

  it("refuses a subquery a naive tokenizer would read as inside a comment", async () => {
    expect(await guard(withEngine({ sortingKey: `id /* */, (SELECT secret FROM ${victim})` }))).toEqual([
      "evil.datasource:11:20: ENGINE_SORTING_KEY: subqueries are not allowed in a DDL value",
    ]);
  });

  it("refuses a subquery a naive tokenizer would read as inside a string (heredoc)", async () => {
    expect(await guard(withColumn({ default: `length($a$ ' $a$ || (SELECT secret FROM ${victim}))` }))).toEqual([
      "evil.datasource:4:1: column `v`: subqueries are not allowed in a DDL value",
    ]);
  });

  it("created nothing and dropped nothing while refusing", async () => {
    expect(await tables(db)).toEqual([]);
    const rs = await client.query({ query: `SELECT secret FROM ${victim}`, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ secret: "s3cr3t" }]);
  });
});

describe("SQL the deploy runs with the platform's rights passes the read guard on ClickHouse's parse", () => {
  const EVENTS = "SCHEMA >\n    `id` String\n\nENGINE MergeTree\nENGINE_SORTING_KEY id\n";
  const MV = "NODE copy\nSQL >\n    SELECT id FROM events\n\nTYPE materialized\nDATASOURCE sink\n";

  /** A planned project whose view query is then replaced, as if the planner's tokenizer had missed a table. */
  async function guardView(query: (real: string) => string): Promise<string[]> {
    const files = [
      { name: "events.datasource", text: EVENTS }, { name: "sink.datasource", text: EVENTS }, { name: "copy.pipe", text: MV },
    ];
    const loaded = loadProject(files);
    if (!loaded.ok) throw new Error("the project must load");
    const planned = planDeployment({ project: loaded.project, database: db, tag: "v1" });
    if (!planned.ok) throw new Error("the project must plan");
    const view = planned.plan.views[0]!;
    planned.plan.views[0] = { ...view, query: query(view.query) };
    return (await guardPlan(client, planned.plan, loaded.project, db)).map((p) => p.error);
  }

  it("accepts the view Tern compiled", async () => {
    expect(await guardView((real) => real)).toEqual([]);
  });

  const refusals: [string, string, string][] = [
    ["another database behind a Unicode space", `SELECT secret AS id FROM\u00a0${victim}`,
      `copy.pipe:3:1: node 'copy': materialized view: Resource '${victim}' is not accessible: only this workspace's datasources and pipes, and tinybird.* service datasources, can be queried`],
    ["another database in curly quotes", `SELECT secret AS id FROM \u201c${victimDb}\u201d.\u201csecrets\u201d`,
      `copy.pipe:3:1: node 'copy': materialized view: Resource '${victim}' is not accessible: only this workspace's datasources and pipes, and tinybird.* service datasources, can be queried`],
    ["file()", "SELECT file('/etc/passwd') AS id",
      "copy.pipe:3:1: node 'copy': materialized view: Function 'file' is not allowed: it reads files on the ClickHouse host"],
    ["a url() table function", "SELECT * FROM url('http://169.254.169.254/', 'LineAsString')",
      "copy.pipe:3:1: node 'copy': materialized view: Table function 'url' is not allowed"],
    ["a second statement, never sent to the engine", `SELECT 1 AS id; DROP TABLE ${victim}`,
      "copy.pipe:3:1: node 'copy': materialized view: `;` is not allowed: the SQL must be one statement"],
  ];
  for (const [what, query, expected] of refusals) {
    it(`refuses a view reading ${what}`, async () => {
      expect(await guardView(() => query)).toEqual([expected]);
    });
  }
});

describe("parts the EXPLAIN AST dump does not print are parsed on their own", () => {
  it("refuses a disk defined inline as a setting value", async () => {
    const parsed = await explainAst(client, "SELECT disk(type = local, path = '/')");
    if (!parsed.ok) throw new Error(parsed.error);
    expect(checkExpressionsAst(parsed.root, { columns: new Set(), count: 1, literalsOnly: true })).toEqual({ ok: false, index: 0, message: "expected a literal value" });
  });

  it("accepts literal setting values, negative ones included", async () => {
    const parsed = await explainAst(client, "SELECT 8192, 'hot', -1");
    if (!parsed.ok) throw new Error(parsed.error);
    expect(checkExpressionsAst(parsed.root, { columns: new Set(), count: 3, literalsOnly: true })).toEqual({ ok: true });
  });

  it("refuses a TTL SET expression that reads a file", async () => {
    const parsed = await explainAst(client, "SELECT max(v), length(file('/etc/passwd'))");
    if (!parsed.ok) throw new Error(parsed.error);
    expect(checkExpressionsAst(parsed.root, { columns: new Set(["v"]), count: 2 })).toEqual({
      ok: false, index: 1, message: "function `file` is not allowed: it reads files on the ClickHouse host",
    });
  });
});

describe("a delete condition is one expression over the datasource's columns", () => {
  const columns = new Set(["id", "ts", "v"]);
  const cases: [string, string, string | undefined][] = [
    ["a comparison", "v > 10 AND toDate(ts) = '2026-01-01'", undefined],
    ["a list", "id IN ('a', 'b')", undefined],
    ["a second statement", `v > 1; DROP TABLE ${victim}`, "`;` is not allowed: a DDL value is one expression, not a statement"],
    ["a subquery", `id IN (SELECT secret FROM ${victim})`, "subqueries are not allowed in a DDL value"],
    ["another table", `id IN ${victim}`, "`IN <name>` reads a table or a set; list the values in parentheses instead"],
    ["file()", "id = file('/etc/hostname')", "function `file` is not allowed: it reads files on the ClickHouse host"],
    ["a SETTINGS clause", "1 SETTINGS max_execution_time = 1000", "SETTINGS is not allowed in a DDL value; table settings go in ENGINE_SETTINGS"],
    ["a Unicode-spaced subquery", `id IN (SELECT\u3000secret\u3000FROM\u3000${victim})`, "subqueries are not allowed in a DDL value"],
  ];
  for (const [what, condition, expected] of cases) {
    it(`${expected === undefined ? "accepts" : "refuses"} ${what}`, async () => {
      expect(await expressionRefusal(client, condition, columns)).toBe(expected);
    });
  }
});
