import { describe, expect, it } from "vitest";
import {
  checkReadOnly,
  classifyStatement,
  listTables,
  rewriteTables,
  type TableResolver,
} from "../../../shared/sql/rewrite/index.js";

const PIPE_STATS = "SELECT * FROM tern_internal.pipe_stats_rt WHERE workspace_id = 'w1'";

const resolve: TableResolver = (name, db) => {
  if (db === "tinybird") return name === "pipe_stats_rt" ? { subquery: PIPE_STATS } : undefined;
  if (db === "ws_other") return { error: "Database 'ws_other' is not accessible" };
  if (db !== undefined) return undefined;
  switch (name) {
    case "events":
      return { database: "ws_1", table: "events_v1" };
    case "users":
      return { database: "ws_1", table: "users_v2" };
    case "my table":
      return { database: "ws_1", table: "my_table_v1" };
    case "odd":
      return { database: "ws-1", table: "odd`name" };
    case "same":
      return { table: "same" };
    case "bare":
      return { table: "bare_v3" };
    default:
      return undefined;
  }
};

function rewrite(sql: string): string {
  const result = rewriteTables(sql, resolve);
  if (!result.ok) throw new Error(result.error.message);
  return result.sql;
}

describe("rewriteTables: positions that are tables", () => {
  const cases: [string, string, string][] = [
    ["FROM", "SELECT * FROM events", "SELECT * FROM ws_1.events_v1 AS events"],
    ["FROM with AS alias keeps the alias", "SELECT e.x FROM events AS e", "SELECT e.x FROM ws_1.events_v1 AS e"],
    ["FROM with bare alias keeps the alias", "SELECT e.x FROM events e", "SELECT e.x FROM ws_1.events_v1 e"],
    ["FROM with quoted alias keeps the alias", "SELECT 1 FROM events `e`", "SELECT 1 FROM ws_1.events_v1 `e`"],
    ["FINAL after the table", "SELECT * FROM events FINAL", "SELECT * FROM ws_1.events_v1 AS events FINAL"],
    ["SAMPLE after the table", "SELECT * FROM events SAMPLE 0.1", "SELECT * FROM ws_1.events_v1 AS events SAMPLE 0.1"],
    ["JOIN", "SELECT * FROM events JOIN users ON events.uid = users.id",
      "SELECT * FROM ws_1.events_v1 AS events JOIN ws_1.users_v2 AS users ON events.uid = users.id"],
    ["LEFT OUTER JOIN", "SELECT * FROM events LEFT OUTER JOIN users USING uid",
      "SELECT * FROM ws_1.events_v1 AS events LEFT OUTER JOIN ws_1.users_v2 AS users USING uid"],
    ["GLOBAL ANY INNER JOIN", "SELECT * FROM events GLOBAL ANY INNER JOIN users USING (uid)",
      "SELECT * FROM ws_1.events_v1 AS events GLOBAL ANY INNER JOIN ws_1.users_v2 AS users USING (uid)"],
    ["ASOF LEFT JOIN", "SELECT * FROM events e ASOF LEFT JOIN users u ON e.id = u.id AND e.t >= u.t",
      "SELECT * FROM ws_1.events_v1 e ASOF LEFT JOIN ws_1.users_v2 u ON e.id = u.id AND e.t >= u.t"],
    ["LEFT SEMI JOIN", "SELECT 1 FROM events LEFT SEMI JOIN users USING id",
      "SELECT 1 FROM ws_1.events_v1 AS events LEFT SEMI JOIN ws_1.users_v2 AS users USING id"],
    ["CROSS JOIN", "SELECT 1 FROM events CROSS JOIN users", "SELECT 1 FROM ws_1.events_v1 AS events CROSS JOIN ws_1.users_v2 AS users"],
    ["PASTE JOIN", "SELECT 1 FROM events PASTE JOIN users", "SELECT 1 FROM ws_1.events_v1 AS events PASTE JOIN ws_1.users_v2 AS users"],
    ["comma join", "SELECT 1 FROM events, users", "SELECT 1 FROM ws_1.events_v1 AS events, ws_1.users_v2 AS users"],
    ["comma join after aliases and FINAL", "SELECT 1 FROM events e FINAL, users AS u",
      "SELECT 1 FROM ws_1.events_v1 e FINAL, ws_1.users_v2 AS u"],
    ["comma join after an ON condition", "SELECT 1 FROM events e JOIN users u ON e.id = u.id, same",
      "SELECT 1 FROM ws_1.events_v1 e JOIN ws_1.users_v2 u ON e.id = u.id, same"],
    ["comma join after a bracketed USING", "SELECT 1 FROM events JOIN users USING (id), bare",
      "SELECT 1 FROM ws_1.events_v1 AS events JOIN ws_1.users_v2 AS users USING (id), bare_v3 AS bare"],
    ["IN table", "SELECT * FROM events WHERE uid IN users", "SELECT * FROM ws_1.events_v1 AS events WHERE uid IN ws_1.users_v2"],
    ["NOT IN table", "SELECT 1 WHERE uid NOT IN users", "SELECT 1 WHERE uid NOT IN ws_1.users_v2"],
    ["GLOBAL IN table", "SELECT 1 WHERE uid GLOBAL IN users", "SELECT 1 WHERE uid GLOBAL IN ws_1.users_v2"],
    ["GLOBAL NOT IN table", "SELECT 1 WHERE uid GLOBAL NOT IN users", "SELECT 1 WHERE uid GLOBAL NOT IN ws_1.users_v2"],
    ["IN subquery", "SELECT 1 WHERE uid IN (SELECT id FROM users)", "SELECT 1 WHERE uid IN (SELECT id FROM ws_1.users_v2 AS users)"],
    ["GLOBAL IN subquery", "SELECT 1 WHERE uid GLOBAL IN (SELECT id FROM users)",
      "SELECT 1 WHERE uid GLOBAL IN (SELECT id FROM ws_1.users_v2 AS users)"],
    ["IN inside a lambda", "SELECT arrayFilter(x -> x IN users, [1])", "SELECT arrayFilter(x -> x IN ws_1.users_v2, [1])"],
    ["db.table service datasource becomes an aliased subquery", "SELECT count() FROM tinybird.pipe_stats_rt",
      `SELECT count() FROM (${PIPE_STATS}) AS pipe_stats_rt`],
    ["service datasource with alias keeps it", "SELECT count() FROM tinybird.pipe_stats_rt p",
      `SELECT count() FROM (${PIPE_STATS}) p`],
    ["service datasource in IN becomes a bare subquery", "SELECT 1 WHERE x IN tinybird.pipe_stats_rt",
      `SELECT 1 WHERE x IN (${PIPE_STATS})`],
    ["spaced db . table", "SELECT 1 FROM tinybird . pipe_stats_rt", `SELECT 1 FROM (${PIPE_STATS}) AS pipe_stats_rt`],
    ["backtick-quoted table", "SELECT * FROM `events`", "SELECT * FROM ws_1.events_v1 AS events"],
    ["double-quoted table", 'SELECT * FROM "events"', "SELECT * FROM ws_1.events_v1 AS events"],
    ["quoted name with a space", "SELECT * FROM `my table`", "SELECT * FROM ws_1.my_table_v1 AS `my table`"],
    ["quoted db.table", "SELECT 1 FROM `tinybird`.`pipe_stats_rt`", `SELECT 1 FROM (${PIPE_STATS}) AS pipe_stats_rt`],
    ["physical names that need quoting", "SELECT 1 FROM odd", "SELECT 1 FROM `ws-1`.`odd\\`name` AS odd"],
    ["resolution without database", "SELECT 1 FROM bare", "SELECT 1 FROM bare_v3 AS bare"],
    ["identity resolution leaves the text untouched", "SELECT 1 FROM `same`", "SELECT 1 FROM `same`"],
    ["lowercase keywords", "select * from events join users using id",
      "select * from ws_1.events_v1 AS events join ws_1.users_v2 AS users using id"],
    ["odd whitespace and newlines", "SELECT *\r\nFROM\n\t  events\n\nJOIN\tusers\fUSING id",
      "SELECT *\r\nFROM\n\t  ws_1.events_v1 AS events\n\nJOIN\tws_1.users_v2 AS users\fUSING id"],
    ["comment between FROM and the table", "SELECT 1 FROM /* c */ events -- d\n",
      "SELECT 1 FROM /* c */ ws_1.events_v1 AS events -- d\n"],
    ["FROM-first query", "FROM events SELECT count()", "FROM ws_1.events_v1 AS events SELECT count()"],
    ["DESCRIBE TABLE", "DESCRIBE TABLE events", "DESCRIBE TABLE ws_1.events_v1"],
    ["DESC", "DESC events", "DESC ws_1.events_v1"],
    ["EXPLAIN", "EXPLAIN SELECT * FROM events", "EXPLAIN SELECT * FROM ws_1.events_v1 AS events"],
    ["trailing semicolon is kept", "SELECT * FROM events;", "SELECT * FROM ws_1.events_v1 AS events;"],
    ["in() function form", "SELECT in(uid, users)", "SELECT in(uid, ws_1.users_v2)"],
    ["globalNotIn() function form with db.table", "SELECT globalNotIn(x, tinybird.pipe_stats_rt)", `SELECT globalNotIn(x, (${PIPE_STATS}))`],
    ["EXISTS TABLE", "EXISTS TABLE events", "EXISTS TABLE ws_1.events_v1"],
    ["joinGet string argument", "SELECT joinGet('users', 'name', 1)", "SELECT joinGet('ws_1.users_v2', 'name', 1)"],
    ["joinGetOrNull string argument", "SELECT joinGetOrNull('events', 'c', 1)", "SELECT joinGetOrNull('ws_1.events_v1', 'c', 1)"],
  ];
  for (const [name, sql, expected] of cases) {
    it(name, () => expect(rewrite(sql)).toBe(expected));
  }
});

describe("rewriteTables: nesting and set operations", () => {
  const cases: [string, string, string][] = [
    ["subquery in FROM", "SELECT * FROM (SELECT * FROM events) AS s", "SELECT * FROM (SELECT * FROM ws_1.events_v1 AS events) AS s"],
    ["deeply nested subqueries", "SELECT * FROM (SELECT * FROM (SELECT * FROM (SELECT id FROM users)))",
      "SELECT * FROM (SELECT * FROM (SELECT * FROM (SELECT id FROM ws_1.users_v2 AS users)))"],
    ["subquery in JOIN", "SELECT * FROM events JOIN (SELECT id FROM users) u USING id",
      "SELECT * FROM ws_1.events_v1 AS events JOIN (SELECT id FROM ws_1.users_v2 AS users) u USING id"],
    ["scalar subquery in the select list", "SELECT (SELECT count() FROM users) AS n FROM events",
      "SELECT (SELECT count() FROM ws_1.users_v2 AS users) AS n FROM ws_1.events_v1 AS events"],
    ["subquery as a function argument", "SELECT has((SELECT groupArray(id) FROM users), 1)",
      "SELECT has((SELECT groupArray(id) FROM ws_1.users_v2 AS users), 1)"],
    ["exists(subquery)", "SELECT 1 WHERE exists(SELECT 1 FROM users)", "SELECT 1 WHERE exists(SELECT 1 FROM ws_1.users_v2 AS users)"],
    ["UNION ALL", "SELECT id FROM events UNION ALL SELECT id FROM users",
      "SELECT id FROM ws_1.events_v1 AS events UNION ALL SELECT id FROM ws_1.users_v2 AS users"],
    ["bracketed UNION ALL", "(SELECT id FROM events) UNION ALL (SELECT id FROM users)",
      "(SELECT id FROM ws_1.events_v1 AS events) UNION ALL (SELECT id FROM ws_1.users_v2 AS users)"],
    ["UNION DISTINCT / EXCEPT / INTERSECT", "SELECT 1 FROM events UNION DISTINCT SELECT 1 FROM users EXCEPT SELECT 1 FROM bare",
      "SELECT 1 FROM ws_1.events_v1 AS events UNION DISTINCT SELECT 1 FROM ws_1.users_v2 AS users EXCEPT SELECT 1 FROM bare_v3 AS bare"],
    ["table in view() table function", "SELECT * FROM view(SELECT id FROM events)", "SELECT * FROM view(SELECT id FROM ws_1.events_v1 AS events)"],
    ["CTE body is rewritten, CTE name is not", "WITH recent AS (SELECT * FROM events) SELECT * FROM recent",
      "WITH recent AS (SELECT * FROM ws_1.events_v1 AS events) SELECT * FROM recent"],
    ["CTE named like a datasource shadows it", "WITH users AS (SELECT 1 AS id) SELECT * FROM users JOIN events USING id",
      "WITH users AS (SELECT 1 AS id) SELECT * FROM users JOIN ws_1.events_v1 AS events USING id"],
    ["several CTEs", "WITH a AS (SELECT 1 FROM events), b AS (SELECT 2 FROM a) SELECT * FROM a, b",
      "WITH a AS (SELECT 1 FROM ws_1.events_v1 AS events), b AS (SELECT 2 FROM a) SELECT * FROM a, b"],
    ["WITH RECURSIVE", "WITH RECURSIVE r AS (SELECT 1 AS k UNION ALL SELECT k + 1 FROM r WHERE k < 3) SELECT * FROM r",
      "WITH RECURSIVE r AS (SELECT 1 AS k UNION ALL SELECT k + 1 FROM r WHERE k < 3) SELECT * FROM r"],
    ["WITH expression alias used in IN", "WITH (SELECT groupArray(id) FROM users) AS ids SELECT 1 FROM events WHERE id IN ids",
      "WITH (SELECT groupArray(id) FROM ws_1.users_v2 AS users) AS ids SELECT 1 FROM ws_1.events_v1 AS events WHERE id IN ids"],
    ["CTE used in IN", "WITH u AS (SELECT id FROM users) SELECT 1 FROM events WHERE id IN u",
      "WITH u AS (SELECT id FROM ws_1.users_v2 AS users) SELECT 1 FROM ws_1.events_v1 AS events WHERE id IN u"],
    ["a CTE inside one subquery does not hide a table outside it", "SELECT * FROM (WITH users AS (SELECT 1) SELECT * FROM users), users",
      "SELECT * FROM (WITH users AS (SELECT 1) SELECT * FROM users), ws_1.users_v2 AS users"],
    ["a CTE is visible in a later UNION branch", "WITH u AS (SELECT 1) SELECT * FROM u UNION ALL SELECT * FROM u",
      "WITH u AS (SELECT 1) SELECT * FROM u UNION ALL SELECT * FROM u"],
    ["nested WITH inside a subquery", "SELECT * FROM (WITH x AS (SELECT * FROM events) SELECT * FROM x)",
      "SELECT * FROM (WITH x AS (SELECT * FROM ws_1.events_v1 AS events) SELECT * FROM x)"],
  ];
  for (const [name, sql, expected] of cases) {
    it(name, () => expect(rewrite(sql)).toBe(expected));
  }
});

describe("rewriteTables: positions that are not tables", () => {
  const untouched: [string, string][] = [
    ["a string containing the name", "SELECT 'FROM events' FROM numbers(1)"],
    ["a heredoc containing the name", "SELECT $$FROM events$$ FROM numbers(1)"],
    ["a line comment containing the name", "SELECT 1 -- FROM events\n"],
    ["a block comment containing the name", "SELECT 1 /* FROM events */"],
    ["a nested block comment containing the name", "SELECT 1 /* a /* FROM events */ FROM users */"],
    ["a column named like a table", "SELECT events, users FROM numbers(1)"],
    ["a qualified column t.col", "SELECT events.id, max(users.id) FROM numbers(1)"],
    ["an alias named like a table", "SELECT 1 AS events FROM numbers(1) AS users"],
    ["ARRAY JOIN arguments", "SELECT * FROM numbers(1) ARRAY JOIN events"],
    ["LEFT ARRAY JOIN list", "SELECT * FROM numbers(1) LEFT ARRAY JOIN events AS e, users AS u"],
    ["EXTRACT(... FROM column)", "SELECT extract(DAY FROM events) FROM numbers(1)"],
    ["TRIM(... FROM column)", "SELECT trim(BOTH ' ' FROM users) FROM numbers(1)"],
    ["SUBSTRING(... FROM ...)", "SELECT substring(users FROM 2 FOR 3) FROM numbers(1)"],
    ["POSITION(... IN column)", "SELECT position('a' IN events) FROM numbers(1)"],
    ["IS NOT DISTINCT FROM", "SELECT 1 FROM numbers(1) WHERE number IS NOT DISTINCT FROM events"],
    ["IN with a literal list", "SELECT 1 FROM numbers(1) WHERE number IN (1, 2)"],
    ["IN with a function call", "SELECT 1 FROM numbers(1) WHERE number IN tuple(1, 2)"],
    ["a bare USING list is columns", "SELECT 1 FROM numbers(1) AS a JOIN numbers(1) AS b USING number, events"],
    ["query parameters", "SELECT {events:String} FROM numbers(1)"],
    ["WITH TOTALS and WITH FILL are not CTEs", "SELECT n FROM numbers(1) GROUP BY n WITH TOTALS ORDER BY n WITH FILL"],
    ["a map key", "SELECT map('events', 1)['events'] FROM numbers(1)"],
    ["in() with a literal second argument", "SELECT in(1, (1, 2)), notIn(x, users.arr + 1)"],
    ["a method-like t.in(...) call is not IN", "SELECT t.in(1, users)"],
  ];
  for (const [name, sql] of untouched) {
    it(name, () => expect(rewrite(sql)).toBe(sql));
  }
});

describe("rewriteTables: table functions", () => {
  it("leaves numbers(10) alone", () => {
    expect(rewrite("SELECT * FROM numbers(10)")).toBe("SELECT * FROM numbers(10)");
  });
  it("leaves generateRandom with arguments alone", () => {
    const sql = "SELECT * FROM generateRandom('a UInt8', 1) LIMIT 2";
    expect(rewrite(sql)).toBe(sql);
  });
  it("refuses remote()", () => {
    expect(rewriteTables("SELECT * FROM remote('h', db, t)", resolve)).toEqual({
      ok: false,
      error: { code: "forbidden", message: "Table function 'remote' is not allowed", position: 14 },
    });
  });
  it("refuses url() in a JOIN", () => {
    const result = rewriteTables("SELECT * FROM events JOIN url('http://x', CSV) USING id", resolve);
    expect(result.ok || result.error.message).toBe("Table function 'url' is not allowed");
  });
  it("refuses a database-qualified table function", () => {
    const result = rewriteTables("SELECT * FROM system.numbers(1)", resolve);
    expect(result.ok || result.error.message).toBe("Table function 'system.numbers' is not allowed");
  });
  it("accepts a custom allow-list", () => {
    const result = rewriteTables("SELECT * FROM url('http://x', CSV)", resolve, { tableFunctions: new Set(["url"]) });
    expect(result).toMatchObject({ ok: true, sql: "SELECT * FROM url('http://x', CSV)" });
  });
});

describe("rewriteTables: errors", () => {
  const cases: [string, string, { code: string; message: string; position?: number }][] = [
    ["unknown table", "SELECT * FROM nope", { code: "not_found", message: "Resource 'nope' not found", position: 14 }],
    ["unknown table in JOIN", "SELECT * FROM events JOIN nope USING id", { code: "not_found", message: "Resource 'nope' not found", position: 26 }],
    ["unknown table in IN", "SELECT 1 WHERE x IN nope", { code: "not_found", message: "Resource 'nope' not found", position: 20 }],
    ["unknown database", "SELECT * FROM otherdb.t", { code: "not_found", message: "Resource 'otherdb.t' not found", position: 14 }],
    ["unknown service datasource", "SELECT * FROM tinybird.nope", { code: "not_found", message: "Resource 'tinybird.nope' not found", position: 14 }],
    ["database refused by the resolver", "SELECT * FROM ws_other.events",
      { code: "forbidden", message: "Database 'ws_other' is not accessible", position: 14 }],
    ["refused database hidden in a lambda IN", "SELECT arrayFilter(x -> x IN ws_other.t, [1])",
      { code: "forbidden", message: "Database 'ws_other' is not accessible", position: 29 }],
    ["refused database after a comma join following ON", "SELECT 1 FROM events e JOIN users u ON e.id = u.id, ws_other.t",
      { code: "forbidden", message: "Database 'ws_other' is not accessible", position: 52 }],
    ["unterminated string", "SELECT * FROM events WHERE a = 'x", { code: "syntax", message: "Single quoted string is not closed", position: 31 }],
    ["unterminated comment", "SELECT * FROM events /* x", { code: "syntax", message: "Multiline comment is not closed", position: 21 }],
    ["multi-statement", "SELECT * FROM events; SELECT * FROM users", { code: "multi_statement", message: "Multi-statements are not allowed", position: 20 }],
    ["joinGet on a service datasource", "SELECT joinGet('tinybird.pipe_stats_rt', 'c', 1)",
      { code: "forbidden", message: "Resource 'tinybird.pipe_stats_rt' cannot be used in joinGet", position: 15 }],
    ["unknown table in in()", "SELECT in(1, nope)", { code: "not_found", message: "Resource 'nope' not found", position: 13 }],
    ["SHOW", "SHOW TABLES FROM ws_other", { code: "forbidden", message: "SHOW statements cannot be rewritten", position: 0 }],
  ];
  for (const [name, sql, error] of cases) {
    it(name, () => expect(rewriteTables(sql, resolve)).toEqual({ ok: false, error }));
  }
  it("a // comment hides nothing from the check", () => {
    // ClickHouse reads `//` as a comment, so the next line is a real FROM.
    const result = rewriteTables("SELECT 1 // '\nFROM ws_other.t -- '", resolve);
    expect(result.ok || result.error.message).toBe("Database 'ws_other' is not accessible");
  });
});

describe("rewriteTables: reported references", () => {
  it("reports each reference with context and span", () => {
    const result = rewriteTables("SELECT * FROM events e WHERE id IN users", resolve);
    expect(result.ok && result.tables).toEqual([
      { name: "events", start: 14, end: 20, context: "from", hasAlias: true },
      { name: "users", start: 35, end: 40, context: "in", hasAlias: false },
    ]);
  });
});

describe("listTables", () => {
  const cases: [string, string, { name: string; database?: string }[], { name: string; database?: string }[]][] = [
    ["distinct names in order", "SELECT * FROM b JOIN a USING id WHERE x IN (SELECT x FROM b)", [{ name: "b" }, { name: "a" }], []],
    ["databases", "SELECT * FROM a JOIN tinybird.pipe_stats_rt USING id", [{ name: "a" }, { database: "tinybird", name: "pipe_stats_rt" }], []],
    ["CTE names are excluded", "WITH c AS (SELECT * FROM a) SELECT * FROM c", [{ name: "a" }], []],
    ["table functions separately", "SELECT * FROM numbers(3), remote('h', d.t)", [], [{ name: "numbers" }, { name: "remote" }]],
    ["nothing in strings or comments", "SELECT 'FROM a' -- FROM b\n", [], []],
  ];
  for (const [name, sql, tables, tableFunctions] of cases) {
    it(name, () => expect(listTables(sql)).toEqual({ ok: true, tables, tableFunctions }));
  }
  it("reports syntax errors", () => {
    expect(listTables("SELECT 'x")).toEqual({ ok: false, error: { code: "syntax", message: "Single quoted string is not closed", position: 7 } });
  });
});

describe("classifyStatement", () => {
  const cases: [string, string][] = [
    ["SELECT 1", "select"],
    ["  -- c\n select 1", "select"],
    ["(SELECT 1) UNION ALL (SELECT 2)", "select"],
    ["FROM t SELECT 1", "select"],
    ["WITH a AS (SELECT 1) SELECT * FROM a", "with"],
    ["EXPLAIN SELECT 1", "explain"],
    ["SHOW TABLES", "show"],
    ["DESCRIBE TABLE t", "describe"],
    ["desc t", "describe"],
    ["EXISTS TABLE t", "exists"],
    ["INSERT INTO t VALUES (1)", "insert"],
    ["CREATE TABLE t (a UInt8) ENGINE = Memory", "create"],
    ["ALTER TABLE t DELETE WHERE 1", "alter"],
    ["DROP TABLE t", "drop"],
    ["TRUNCATE TABLE t", "other"],
    ["/* only a comment */", "empty"],
    ["'a string'", "other"],
  ];
  for (const [sql, kind] of cases) {
    it(`${JSON.stringify(sql)} is ${kind}`, () => expect(classifyStatement(sql)).toBe(kind));
  }
});

describe("checkReadOnly", () => {
  const accepted: [string, string][] = [
    ["SELECT 1", "select"],
    ["SELECT 1;", "select"],
    ["SELECT 1 ; ;", "select"],
    ["WITH 1 AS x SELECT x", "with"],
    ["EXPLAIN SELECT 1", "explain"],
    ["SELECT ';' -- ; DROP TABLE t", "select"],
  ];
  for (const [sql, kind] of accepted) {
    it(`accepts ${JSON.stringify(sql)}`, () => expect(checkReadOnly(sql)).toEqual({ ok: true, kind }));
  }
  const refused: [string, { code: string; message: string; position?: number }][] = [
    ["INSERT INTO t SELECT 1", { code: "not_read_only", message: "Only read-only queries (SELECT) are allowed, got INSERT", position: 0 }],
    ["/* x */ drop table t", { code: "not_read_only", message: "Only read-only queries (SELECT) are allowed, got DROP", position: 0 }],
    ["SET readonly = 0", { code: "not_read_only", message: "Only read-only queries (SELECT) are allowed, got SET", position: 0 }],
    ["SELECT 1; DROP TABLE t", { code: "multi_statement", message: "Multi-statements are not allowed", position: 8 }],
    ["SELECT 1;SELECT 2", { code: "multi_statement", message: "Multi-statements are not allowed", position: 8 }],
    ["SELECT 1 INTO OUTFILE 'x.csv'", { code: "not_read_only", message: "INTO OUTFILE is not allowed", position: 9 }],
    ["", { code: "syntax", message: "Empty query" }],
    ["SELECT 'x", { code: "syntax", message: "Single quoted string is not closed", position: 7 }],
  ];
  for (const [sql, error] of refused) {
    it(`refuses ${JSON.stringify(sql)}`, () => expect(checkReadOnly(sql)).toEqual({ ok: false, error }));
  }
});
