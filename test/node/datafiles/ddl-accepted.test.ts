/**
 * Every fixture datasource's CREATE TABLE and quarantine DDL, run by the real
 * local ClickHouse: proves the generated DDL is accepted as written, and that
 * materialized-view DDL over those tables is accepted too. The deploy's guard
 * (ClickHouse's parse of every statement it would run) accepts every fixture
 * project: real TTLs, keys, codecs and indexes are not refused. One database per run.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseDatafile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import {
  createMaterializedViewSql, createQuarantineTableSql, createTableSql, datasourceSchemaHash, quarantineTableName, quoteIdentifier,
} from "../../../shared/sql/ddl/index.js";
import { loadProject } from "../../../shared/deploy/project.js";
import { planDeployment } from "../../../shared/deploy/plan.js";
import { guardPlan } from "../../../workers/deploy/ddl-guard.js";

const ROOT = join(import.meta.dirname, "../../fixtures/projects");
const db = `tern_datafiles_ddl_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
let client: ClickHouseClient;

function walk(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const datasources: { path: string; file: DatasourceFile; table: string }[] = walk(ROOT)
  .filter((f) => f.endsWith(".datasource"))
  .map((f) => {
    const path = relative(ROOT, f);
    const result = parseDatafile({ path, text: readFileSync(f, "utf8") });
    if (!result.ok || result.file.kind !== "datasource") throw new Error(`${path} does not parse`);
    const project = path.split("/")[0]!;
    return { path, file: result.file, table: `${project}__${result.file.name}_${datasourceSchemaHash(result.file).slice(0, 8)}` };
  });

async function columnsOf(table: string): Promise<{ name: string; type: string }[]> {
  const result = await client.query({
    query: `SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {table:String} ORDER BY position`,
    query_params: { db, table },
    format: "JSONEachRow",
  });
  return result.json();
}

beforeAll(async () => {
  client = createClient({
    url: inject("clickhouseUrl"),
    username: inject("clickhouseUser"),
    password: inject("clickhousePassword"),
  });
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(db)}` });
});

afterAll(async () => {
  await client?.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(db)}` });
  await client?.close();
});

describe("generated DDL on the local ClickHouse", () => {
  for (const { path, file, table } of datasources) {
    it(`creates the table for ${path} with the declared column types`, async () => {
      await client.command({ query: createTableSql(file, { database: db, table }) });
      expect(await columnsOf(table)).toEqual(file.columns.map((c) => ({ name: c.name, type: c.type })));
    });

    it(`creates the quarantine table for ${path}`, async () => {
      await client.command({ query: createQuarantineTableSql(file, { database: db, table }) });
      const columns = await columnsOf(quarantineTableName(table));
      expect(columns.map((c) => c.name)).toEqual(["c__error_column", "c__error", "c__import_id", ...file.columns.map((c) => c.name), "insertion_date"]);
    });
  }

  it("re-runs CREATE TABLE IF NOT EXISTS for an existing table", async () => {
    const { file, table } = datasources[0]!;
    await client.command({ query: createTableSql(file, { database: db, table }, { ifNotExists: true }) });
    expect((await columnsOf(table)).length).toBe(file.columns.length);
  });

  it("creates a materialized view into an AggregatingMergeTree fixture and fills it", async () => {
    const source = datasources.find((d) => d.path === "logs/datasources/logs.datasource")!;
    const target = datasources.find((d) => d.path === "logs/datasources/logs_daily_dimensions.datasource")!;
    const select = [
      "SELECT toDate(timestamp) AS date, service, level, environment, status_code,",
      "    countState() AS count, quantileState(0.95)(duration_ms) AS p95_duration",
      `FROM ${quoteIdentifier(db)}.${quoteIdentifier(source.table)}`,
      "GROUP BY date, service, level, environment, status_code",
    ].join("\n");
    await client.command({ query: createMaterializedViewSql({ database: db, view: "logs_daily_dimensions_mv", targetTable: target.table }, select) });
    // Recent timestamps: the fixtures' TTLs would let a background merge delete old rows before the read.
    const ago = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString().replace("T", " ").replace("Z", "");
    await client.insert({
      table: `${db}.${source.table}`,
      values: [
        { timestamp: ago(2), level: "ERROR", service: "api", message: "boom", status_code: 500, duration_ms: 12.5, attributes: {}, raw: "{}" },
        { timestamp: ago(1), level: "ERROR", service: "api", message: "boom", status_code: 500, duration_ms: 7.5, attributes: {}, raw: "{}" },
      ],
      format: "JSONEachRow",
    });
    const result = await client.query({
      query: `SELECT service, level, toString(countMerge(count)) AS n FROM ${quoteIdentifier(db)}.${quoteIdentifier(target.table)} GROUP BY service, level`,
      format: "JSONEachRow",
    });
    expect(await result.json()).toEqual([{ service: "api", level: "ERROR", n: "2" }]);
  });
});

describe("the deploy's guard on the local ClickHouse", () => {
  const projects = [...new Set(datasources.map((d) => d.path.split("/")[0]!))];

  for (const project of projects) {
    it(`accepts everything the ${project} fixture project would run`, async () => {
      const dir = join(ROOT, project);
      const files = walk(dir)
        .filter((f) => /\.(datasource|pipe|connection|incl)$/.test(f))
        .map((f) => ({ name: relative(dir, f), text: readFileSync(f, "utf8") }));
      const loaded = loadProject(files);
      if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.error).join("\n"));
      const planned = planDeployment({ project: loaded.project, database: db, tag: "guard" });
      if (!planned.ok) throw new Error(planned.errors.map((e) => e.error).join("\n"));
      expect(await guardPlan(client, planned.plan, loaded.project, db)).toEqual([]);
    });
  }
});
