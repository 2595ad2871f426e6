/**
 * Compiled multi-node pipes, run by the real local ClickHouse: proves the SQL
 * `compilePipe`/`wrapForQueryParam` emit is accepted and means what the nodes
 * meant. Each run works in its own database.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { compilePipe, wrapForQueryParam, type PipeNode } from "../../../shared/sql/pipeline/index.js";
import { rewriteTables, type TableResolver } from "../../../shared/sql/rewrite/index.js";

const db = `tern_sql_pipeline_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
let client: ClickHouseClient;

const resolve: TableResolver = (name, database) => {
  if (database === "tinybird" && name === "pipe_stats_rt") {
    return { subquery: `SELECT * FROM ${db}.pipe_stats_all WHERE workspace_id = 'w1'` };
  }
  if (database !== undefined) return { error: `Database '${database}' is not accessible` };
  if (name === "events") return { database: db, table: "events_v1" };
  if (name === "users") return { database: db, table: "users_v2" };
  return undefined;
};

async function rows(sql: string): Promise<unknown[]> {
  const result = await client.query({ query: sql, format: "JSONEachRow" });
  return result.json();
}

function compiled(nodes: PipeNode[], target: string): string {
  const result = compilePipe(nodes, target, resolve);
  if (!result.ok) throw new Error(result.error.message);
  return result.sql;
}

beforeAll(async () => {
  client = createClient({
    url: inject("clickhouseUrl"),
    username: inject("clickhouseUser"),
    password: inject("clickhousePassword"),
  });
  await client.command({ query: `CREATE DATABASE ${db}` });
  await client.command({
    query: `CREATE TABLE ${db}.events_v1 (id UInt32, user_id UInt32, kind String, amount UInt32) ENGINE = MergeTree ORDER BY id`,
  });
  await client.command({ query: `CREATE TABLE ${db}.users_v2 (id UInt32, name String) ENGINE = ReplacingMergeTree ORDER BY id` });
  await client.command({
    query: `CREATE TABLE ${db}.pipe_stats_all (workspace_id String, pipe_name String) ENGINE = MergeTree ORDER BY workspace_id`,
  });
  await client.command({
    query: `INSERT INTO ${db}.events_v1 VALUES (1, 10, 'view', 5), (2, 10, 'buy', 20), (3, 20, 'view', 7), (4, 30, 'buy', 1), (5, 20, 'buy', 3)`,
  });
  await client.command({ query: `INSERT INTO ${db}.users_v2 VALUES (10, 'ann'), (20, 'bob'), (30, 'cy')` });
  await client.command({
    query: `INSERT INTO ${db}.pipe_stats_all VALUES ('w1', 'top'), ('w1', 'top'), ('w2', 'secret'), ('w1', 'other')`,
  });
});

afterAll(async () => {
  await client?.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await client?.close();
});

describe("compiled pipes run on ClickHouse", () => {
  it("a three-node chain with a JOIN and a qualified column", async () => {
    const sql = compiled(
      [
        { name: "purchases", sql: "SELECT user_id, amount FROM events WHERE kind = 'buy'" },
        { name: "per_user", sql: "SELECT user_id, toUInt32(sum(amount)) AS total FROM purchases GROUP BY user_id" },
        {
          name: "endpoint",
          sql: "SELECT users.name AS name, per_user.total AS total FROM per_user JOIN users ON users.id = per_user.user_id ORDER BY name",
        },
      ],
      "endpoint",
    );
    expect(await rows(sql)).toEqual([
      { name: "ann", total: 20 },
      { name: "bob", total: 3 },
      { name: "cy", total: 1 },
    ]);
  });

  it("a diamond: one node read by two others", async () => {
    const sql = compiled(
      [
        { name: "base", sql: "SELECT id, kind FROM events" },
        { name: "views", sql: "SELECT id FROM base WHERE kind = 'view'" },
        { name: "buys", sql: "SELECT id FROM base WHERE kind = 'buy'" },
        { name: "both", sql: "SELECT 'view' AS k, toUInt32(count()) AS n FROM views UNION ALL SELECT 'buy' AS k, toUInt32(count()) AS n FROM buys" },
        { name: "endpoint", sql: "SELECT k, n FROM both ORDER BY k" },
      ],
      "endpoint",
    );
    expect(await rows(sql)).toEqual([
      { k: "buy", n: 3 },
      { k: "view", n: 2 },
    ]);
  });

  it("IN node, a node starting with WITH, and a target starting with WITH", async () => {
    const sql = compiled(
      [
        { name: "big_spenders", sql: "WITH 10 AS threshold SELECT user_id FROM events GROUP BY user_id HAVING sum(amount) >= threshold" },
        { name: "endpoint", sql: "WITH 'x' AS unused\nSELECT name FROM users WHERE id IN big_spenders ORDER BY name" },
      ],
      "endpoint",
    );
    expect(await rows(sql)).toEqual([{ name: "ann" }, { name: "bob" }]);
  });

  it("a bracketed UNION target and a node with comments and a trailing semicolon", async () => {
    const sql = compiled(
      [
        { name: "ids", sql: "SELECT id FROM users -- trailing comment\n;" },
        { name: "endpoint", sql: "(SELECT toUInt32(min(id)) AS v FROM ids) UNION ALL (SELECT toUInt32(max(id)) AS v FROM ids)" },
      ],
      "endpoint",
    );
    expect((await rows(sql)).sort((a, b) => (a as { v: number }).v - (b as { v: number }).v)).toEqual([{ v: 10 }, { v: 30 }]);
  });

  it("a service datasource is filtered to the workspace", async () => {
    const sql = compiled(
      [
        { name: "calls", sql: "SELECT pipe_name FROM tinybird.pipe_stats_rt" },
        { name: "endpoint", sql: "SELECT pipe_name, toUInt32(count()) AS c FROM calls GROUP BY pipe_name ORDER BY pipe_name" },
      ],
      "endpoint",
    );
    expect(await rows(sql)).toEqual([
      { pipe_name: "other", c: 1 },
      { pipe_name: "top", c: 2 },
    ]);
  });

  it("q= runs over the endpoint result", async () => {
    const endpoint = compiled(
      [
        { name: "f", sql: "SELECT id, amount FROM events WHERE amount > 2" },
        { name: "endpoint", sql: "WITH 1 AS one SELECT id, amount * one AS amount FROM f" },
      ],
      "endpoint",
    );
    const wrapped = wrapForQueryParam(endpoint, "SELECT toUInt32(count()) AS n, toUInt32(sum(amount)) AS s FROM _ WHERE _.id > 1");
    if (!wrapped.ok) throw new Error(wrapped.error.message);
    expect(await rows(wrapped.sql)).toEqual([{ n: 3, s: 30 }]);
  });

  it("rewritten comma joins and FINAL are accepted", async () => {
    const result = rewriteTables(
      "SELECT toUInt32(count()) AS c FROM events, users AS u FINAL WHERE events.user_id = u.id AND u.name IN (SELECT name FROM users WHERE id < 30)",
      resolve,
    );
    if (!result.ok) throw new Error(result.error.message);
    expect(await rows(result.sql)).toEqual([{ c: 4 }]);
  });
});
