/**
 * The read guard against the real engine: exact SQL in, the verdict ClickHouse's
 * own parse leads to. `db_ws` stands for the caller's workspace database; the
 * expected tables are what the tokenizer sees in the same SQL, so a table the
 * tokenizer cannot see is refused as unverifiable.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { guardRead } from "../../../workers/clickhouse/read-guard.js";
import { TernError } from "../../../shared/errors.js";

let client: ClickHouseClient;

beforeAll(() => {
  client = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword") });
});

async function verdict(sql: string): Promise<string> {
  try {
    await guardRead(client, sql, "db_ws");
    return "ok";
  } catch (e) {
    if (e instanceof TernError) return `${e.status} ${e.message}`;
    throw e;
  }
}

const NOT_ACCESSIBLE = (t: string) =>
  `403 Resource '${t}' is not accessible: only this workspace's datasources and pipes, and tinybird.* service datasources, can be queried`;

describe("reads that pass", () => {
  it.each([
    "SELECT 1",
    "SELECT count() AS c FROM db_ws.events_1 AS events WHERE tenant = 'acme'",
    "WITH f AS (SELECT * FROM db_ws.events_1 AS events) SELECT sumIf(value, value > 1), uniqMerge(x) FROM f",
    "SELECT * FROM db_ws.a_1 AS a JOIN db_ws.b_1 AS b USING id WHERE id IN (SELECT id FROM db_ws.c_1)",
    "SELECT x FROM numbers(10) ARRAY JOIN [1, 2] AS x",
    "SELECT * FROM view(SELECT 1 FROM db_ws.events_1)",
    "SELECT toStartOfHour(now()), JSONExtractString('{}', 'a'), quantilesTimingIf(0.5)(1, 1) OVER ()",
    "SELECT a IN db_ws.users_1 FROM db_ws.events_1",
    "SELECT joinGet('db_ws.j_1', 'v', 1)",
    "DESCRIBE TABLE db_ws.events_1",
    "SELECT COUNT(*), Sum(1) FROM db_ws.events_1",
    "SELECT x -> x + 1, [1] AS a, (1, 2).1, CAST(1 AS String), 1::UInt8",
    "SELECT * FROM sleepy WHERE 1 -- a CTE or the empty sandbox: no database named",
  ])("%s", async (sql) => {
    expect(await verdict(sql)).toBe("ok");
  });
});

describe("reads that are refused", () => {
  it.each([
    ["SELECT * FROM system.tables", NOT_ACCESSIBLE("system.tables")],
    ["SELECT * FROM other_ws.events_1", NOT_ACCESSIBLE("other_ws.events_1")],
    ["SELECT * FROM\u00a0system.tables", NOT_ACCESSIBLE("system.tables")],
    ["SELECT * FROM “system”.“tables”", NOT_ACCESSIBLE("system.tables")],
    ["SELECT * FROM `db_ws.x`.`y`", NOT_ACCESSIBLE("db_ws.x.y")],
    ["SELECT 1 WHERE 1 IN system.one", NOT_ACCESSIBLE("system.one")],
    ["SELECT joinGet('other.j', 'v', 1)", NOT_ACCESSIBLE("other.j")],
    ["SELECT joinGet(concat('db_ws', '.j'), 'v', 1)", "403 joinGet needs the table as a plain string literal"],
    ["EXISTS TABLE system.tables", NOT_ACCESSIBLE("system.tables")],
    ["SELECT file('/etc/passwd')", "403 Function 'file' is not allowed: it reads files on the ClickHouse host"],
    ["SELECT hasColumnInTable('other_ws', 't', 'x')", "403 Function 'hasColumnInTable' is not allowed: it reads another table's schema"],
    ["SELECT dictGet('d', 'a', 1)", "403 Function 'dictGet' is not allowed"],
    ["SELECT hostName()", "403 Function 'hostName' is not allowed: it reveals the ClickHouse host"],
    ["SELECT * FROM file('/etc/passwd', LineAsString)", "403 Table function 'file' is not allowed"],
    ["SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')", "403 Table function 'url' is not allowed"],
    ["SELECT * FROM remote('127.0.0.1', system.one)", "403 Table function 'remote' is not allowed"],
    ["SELECT * FROM merge('db_ws', '.*')", "403 Table function 'merge' is not allowed"],
    ["SELECT * FROM dictionary('d')", "403 Table function 'dictionary' is not allowed"],
    ["SELECT 1 SETTINGS max_execution_time = 1000", "403 SETTINGS clauses are not allowed in queries; the platform sets query limits"],
    ["SELECT 1 INTO OUTFILE '/tmp/tern-guard-test'", "400 INTO OUTFILE, FORMAT and SETTINGS after a UNION are not allowed here"],
    ["SELECT * FROM (EXPLAIN SELECT 1)", "403 Table function 'viewExplain' is not allowed"],
    ["SHOW TABLES", "400 Only SELECT, DESCRIBE and EXISTS queries are allowed"],
    ["DROP TABLE db_ws.events_1", "400 Only SELECT, DESCRIBE and EXISTS queries are allowed"],
    ["SELECT 1 AS `a\nb`", "400 Names with control characters, backslashes or back-quotes are not allowed"],
    ["SELECT totallyNewFunction(1)", "403 Function 'totallyNewFunction' is not allowed"],
  ])("%s", async (sql, expected) => {
    expect(await verdict(sql)).toBe(expected);
  });

  it("did not write the INTO OUTFILE file", async () => {
    const { existsSync } = await import("node:fs");
    expect(existsSync("/tmp/tern-guard-test")).toBe(false);
  });

  it("refuses two statements without running the second", async () => {
    await client.command({ query: "CREATE DATABASE IF NOT EXISTS guard_multi" });
    await client.command({ query: "CREATE TABLE IF NOT EXISTS guard_multi.t (x UInt8) ENGINE = Memory" });
    const v = await verdict("SELECT 1; DROP TABLE guard_multi.t");
    expect(v.startsWith("400")).toBe(true);
    const rs = await client.query({ query: "EXISTS TABLE guard_multi.t", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ result: 1 }]);
  });
});
