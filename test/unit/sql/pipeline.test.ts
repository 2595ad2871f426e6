import { describe, expect, it } from "vitest";
import { compilePipe, trimStatement, wrapForQueryParam, type PipeNode } from "../../../shared/sql/pipeline/index.js";
import type { TableResolver } from "../../../shared/sql/rewrite/index.js";

const resolve: TableResolver = (name, db) => {
  if (db === "tinybird" && name === "pipe_stats_rt") return { subquery: "SELECT * FROM tern_internal.pipe_stats_rt WHERE workspace_id = 'w1'" };
  if (db !== undefined) return { error: `Database '${db}' is not accessible` };
  if (name === "events") return { database: "ws_1", table: "events_v1" };
  if (name === "users") return { database: "ws_1", table: "users_v2" };
  return undefined;
};

function compile(nodes: PipeNode[], target: string): string {
  const result = compilePipe(nodes, target, resolve);
  if (!result.ok) throw new Error(result.error.message);
  return result.sql;
}

describe("compilePipe", () => {
  it("a single node is just its rewritten SQL", () => {
    expect(compile([{ name: "only", sql: "SELECT * FROM events" }], "only")).toBe("SELECT * FROM ws_1.events_v1 AS events");
  });

  it("a node reading an earlier node gets it as a CTE", () => {
    const nodes = [
      { name: "filtered", sql: "SELECT * FROM events WHERE x > 1" },
      { name: "endpoint", sql: "SELECT count() FROM filtered" },
    ];
    expect(compile(nodes, "endpoint")).toBe(
      "WITH\nfiltered AS (\nSELECT * FROM ws_1.events_v1 AS events WHERE x > 1\n)\nSELECT count() FROM filtered",
    );
  });

  it("a chain keeps pipe order", () => {
    const nodes = [
      { name: "a", sql: "SELECT id FROM events" },
      { name: "b", sql: "SELECT id FROM a" },
      { name: "c", sql: "SELECT id FROM b" },
    ];
    expect(compile(nodes, "c")).toBe("WITH\na AS (\nSELECT id FROM ws_1.events_v1 AS events\n),\nb AS (\nSELECT id FROM a\n)\nSELECT id FROM b");
  });

  it("includes only nodes the target reaches", () => {
    const nodes = [
      { name: "unused", sql: "SELECT * FROM nowhere" },
      { name: "a", sql: "SELECT 1 AS x" },
      { name: "b", sql: "SELECT 2 AS x" },
      { name: "t", sql: "SELECT x FROM b" },
    ];
    const result = compilePipe(nodes, "t", resolve);
    expect(result).toEqual({ ok: true, sql: "WITH\nb AS (\nSELECT 2 AS x\n)\nSELECT x FROM b", nodes: ["b", "t"], tables: [] });
  });

  it("the target need not be the last node", () => {
    const nodes = [
      { name: "a", sql: "SELECT 1 AS x" },
      { name: "b", sql: "SELECT x FROM a" },
      { name: "c", sql: "SELECT * FROM nowhere" },
    ];
    expect(compile(nodes, "b")).toBe("WITH\na AS (\nSELECT 1 AS x\n)\nSELECT x FROM a");
  });

  it("a node read twice (diamond) is written once", () => {
    const nodes = [
      { name: "base", sql: "SELECT id FROM events" },
      { name: "left_side", sql: "SELECT id FROM base" },
      { name: "right_side", sql: "SELECT id FROM base" },
      { name: "t", sql: "SELECT * FROM left_side JOIN right_side USING id" },
    ];
    expect(compile(nodes, "t")).toBe(
      "WITH\nbase AS (\nSELECT id FROM ws_1.events_v1 AS events\n),\nleft_side AS (\nSELECT id FROM base\n),\n" +
        "right_side AS (\nSELECT id FROM base\n)\nSELECT * FROM left_side JOIN right_side USING id",
    );
  });

  it("a node referenced in IN and in a subquery", () => {
    const nodes = [
      { name: "ids", sql: "SELECT id FROM users" },
      { name: "t", sql: "SELECT * FROM events WHERE uid IN ids AND uid IN (SELECT id FROM ids)" },
    ];
    expect(compile(nodes, "t")).toBe(
      "WITH\nids AS (\nSELECT id FROM ws_1.users_v2 AS users\n)\n" +
        "SELECT * FROM ws_1.events_v1 AS events WHERE uid IN ids AND uid IN (SELECT id FROM ids)",
    );
  });

  it("a node that starts with WITH nests inside its CTE", () => {
    const nodes = [
      { name: "a", sql: "WITH 2 AS k, x AS (SELECT id FROM events) SELECT id * k AS id FROM x" },
      { name: "t", sql: "SELECT * FROM a" },
    ];
    expect(compile(nodes, "t")).toBe(
      "WITH\na AS (\nWITH 2 AS k, x AS (SELECT id FROM ws_1.events_v1 AS events) SELECT id * k AS id FROM x\n)\nSELECT * FROM a",
    );
  });

  it("a target that starts with WITH gets the nodes merged into its WITH", () => {
    const nodes = [
      { name: "a", sql: "SELECT 1 AS x" },
      { name: "t", sql: "WITH 10 AS k\nSELECT x * k FROM a" },
    ];
    expect(compile(nodes, "t")).toBe("WITH\na AS (\nSELECT 1 AS x\n),\n10 AS k\nSELECT x * k FROM a");
  });

  it("a target with WITH RECURSIVE keeps RECURSIVE first", () => {
    const nodes = [
      { name: "a", sql: "SELECT 3 AS n" },
      { name: "t", sql: "WITH RECURSIVE r AS (SELECT 1 AS k UNION ALL SELECT k + 1 FROM r WHERE k < (SELECT n FROM a)) SELECT * FROM r" },
    ];
    expect(compile(nodes, "t")).toBe(
      "WITH RECURSIVE\na AS (\nSELECT 3 AS n\n),\nr AS (SELECT 1 AS k UNION ALL SELECT k + 1 FROM r WHERE k < (SELECT n FROM a)) SELECT * FROM r",
    );
  });

  it("a bracketed UNION target is wrapped", () => {
    const nodes = [
      { name: "a", sql: "SELECT 1 AS x" },
      { name: "t", sql: "(SELECT x FROM a) UNION ALL (SELECT x + 1 FROM a)" },
    ];
    expect(compile(nodes, "t")).toBe("WITH\na AS (\nSELECT 1 AS x\n)\nSELECT * FROM (\n(SELECT x FROM a) UNION ALL (SELECT x + 1 FROM a)\n)");
  });

  it("UNION ALL of two nodes", () => {
    const nodes = [
      { name: "a", sql: "SELECT id FROM events" },
      { name: "b", sql: "SELECT id FROM users" },
      { name: "t", sql: "SELECT id FROM a UNION ALL SELECT id FROM b" },
    ];
    expect(compile(nodes, "t")).toBe(
      "WITH\na AS (\nSELECT id FROM ws_1.events_v1 AS events\n),\nb AS (\nSELECT id FROM ws_1.users_v2 AS users\n)\n" +
        "SELECT id FROM a UNION ALL SELECT id FROM b",
    );
  });

  it("trailing semicolons, comments and blank lines are trimmed", () => {
    const nodes = [
      { name: "a", sql: "\n  -- first\n  SELECT 1 AS x -- one\n;\n\n" },
      { name: "t", sql: "SELECT x FROM a; -- done" },
    ];
    expect(compile(nodes, "t")).toBe("WITH\na AS (\nSELECT 1 AS x\n)\nSELECT x FROM a");
  });

  it("multi-line strings and heredocs inside nodes are copied byte for byte", () => {
    const nodes = [
      { name: "a", sql: "SELECT 'line1\n  line2' AS s, $$x\n y$$ AS h" },
      { name: "t", sql: "SELECT s, h FROM a" },
    ];
    expect(compile(nodes, "t")).toBe("WITH\na AS (\nSELECT 'line1\n  line2' AS s, $$x\n y$$ AS h\n)\nSELECT s, h FROM a");
  });

  it("node names needing quotes are quoted", () => {
    const nodes = [
      { name: "my node", sql: "SELECT 1 AS x" },
      { name: "t", sql: "SELECT x FROM `my node`" },
    ];
    expect(compile(nodes, "t")).toBe("WITH\n`my node` AS (\nSELECT 1 AS x\n)\nSELECT x FROM `my node`");
  });

  it("service datasources are resolved inside nodes", () => {
    const nodes = [
      { name: "calls", sql: "SELECT pipe_name FROM tinybird.pipe_stats_rt" },
      { name: "t", sql: "SELECT count() FROM calls" },
    ];
    expect(compile(nodes, "t")).toBe(
      "WITH\ncalls AS (\nSELECT pipe_name FROM (SELECT * FROM tern_internal.pipe_stats_rt WHERE workspace_id = 'w1') AS pipe_stats_rt\n)\n" +
        "SELECT count() FROM calls",
    );
  });

  it("reports included nodes and datasource names", () => {
    const nodes = [
      { name: "a", sql: "SELECT id FROM events" },
      { name: "b", sql: "SELECT id FROM a JOIN users USING id WHERE id IN (SELECT id FROM events)" },
    ];
    const result = compilePipe(nodes, "b", resolve);
    expect(result.ok && { nodes: result.nodes, tables: result.tables }).toEqual({
      nodes: ["a", "b"],
      tables: [{ name: "users" }, { name: "events" }],
    });
  });

  it("a node's own CTE named like an earlier node is not a dependency", () => {
    const nodes = [
      { name: "a", sql: "SELECT * FROM nowhere" },
      { name: "t", sql: "WITH a AS (SELECT 1 AS x) SELECT x FROM a" },
    ];
    expect(compile(nodes, "t")).toBe("WITH a AS (SELECT 1 AS x) SELECT x FROM a");
  });
});

describe("compilePipe: errors", () => {
  const cases: [string, PipeNode[], string, { code: string; message: string; node?: string; position?: number }][] = [
    ["unknown target", [{ name: "a", sql: "SELECT 1" }], "b", { code: "pipe", message: "Node 'b' not found" }],
    ["duplicate node names", [{ name: "a", sql: "SELECT 1" }, { name: "a", sql: "SELECT 2" }], "a",
      { code: "pipe", message: "Node 'a' is defined more than once", node: "a" }],
    ["forward reference", [{ name: "a", sql: "SELECT * FROM b" }, { name: "b", sql: "SELECT 1" }, { name: "t", sql: "SELECT * FROM a" }], "t",
      { code: "pipe", message: "Node 'a' references node 'b', which is defined after it", node: "a", position: 14 }],
    ["cycle through a forward reference", [{ name: "a", sql: "SELECT * FROM b" }, { name: "b", sql: "SELECT * FROM a" }], "b",
      { code: "pipe", message: "Node 'a' references node 'b', which is defined after it", node: "a", position: 14 }],
    ["self reference", [{ name: "a", sql: "SELECT * FROM a" }], "a", { code: "pipe", message: "Node 'a' references itself", node: "a", position: 14 }],
    ["unknown datasource in an included node", [{ name: "a", sql: "SELECT * FROM nope" }, { name: "t", sql: "SELECT * FROM a" }], "t",
      { code: "not_found", message: "Resource 'nope' not found", node: "a", position: 14 }],
    ["refused database", [{ name: "t", sql: "SELECT * FROM other_ws.events" }], "t",
      { code: "forbidden", message: "Database 'other_ws' is not accessible", node: "t", position: 14 }],
    ["syntax error in a node", [{ name: "t", sql: "SELECT 'x" }], "t",
      { code: "syntax", message: "Single quoted string is not closed", node: "t", position: 7 }],
    ["empty node", [{ name: "t", sql: "  -- nothing\n" }], "t", { code: "pipe", message: "Node 't' has no SQL", node: "t" }],
    ["multi-statement node", [{ name: "t", sql: "SELECT 1; SELECT 2" }], "t",
      { code: "multi_statement", message: "Multi-statements are not allowed", node: "t", position: 8 }],
  ];
  for (const [name, nodes, target, error] of cases) {
    it(name, () => expect(compilePipe(nodes, target, resolve)).toEqual({ ok: false, error }));
  }
});

describe("wrapForQueryParam", () => {
  const endpoint = "SELECT * FROM ws_1.events_v1 AS events";
  const cases: [string, string, string][] = [
    ["simple count", "SELECT count() FROM _", "WITH\n_ AS (\nSELECT * FROM ws_1.events_v1 AS events\n)\nSELECT count() FROM _"],
    ["lowercase, alias and qualified columns", "select _.id from _ where _.id > 1",
      "WITH\n_ AS (\nSELECT * FROM ws_1.events_v1 AS events\n)\nselect _.id from _ where _.id > 1"],
    ["q with its own WITH", "WITH 2 AS k SELECT count() * k FROM _",
      "WITH\n_ AS (\nSELECT * FROM ws_1.events_v1 AS events\n),\n2 AS k SELECT count() * k FROM _"],
    ["q with a FORMAT clause and semicolon", "SELECT * FROM _ FORMAT JSON;",
      "WITH\n_ AS (\nSELECT * FROM ws_1.events_v1 AS events\n)\nSELECT * FROM _ FORMAT JSON"],
    ["self join and IN _", "SELECT a.id FROM _ AS a JOIN _ AS b USING id WHERE a.id IN _",
      "WITH\n_ AS (\nSELECT * FROM ws_1.events_v1 AS events\n)\nSELECT a.id FROM _ AS a JOIN _ AS b USING id WHERE a.id IN _"],
    ["q without any table", "SELECT 1", "WITH\n_ AS (\nSELECT * FROM ws_1.events_v1 AS events\n)\nSELECT 1"],
  ];
  for (const [name, q, expected] of cases) {
    it(name, () => expect(wrapForQueryParam(endpoint, q)).toEqual({ ok: true, sql: expected }));
  }

  it("an endpoint that is already a WITH query nests as the CTE body", () => {
    expect(wrapForQueryParam("WITH\na AS (\nSELECT 1 AS x\n)\nSELECT x FROM a;", "SELECT sum(x) FROM _")).toEqual({
      ok: true,
      sql: "WITH\n_ AS (\nWITH\na AS (\nSELECT 1 AS x\n)\nSELECT x FROM a\n)\nSELECT sum(x) FROM _",
    });
  });

  const refused: [string, string, { code: string; message: string; position?: number }][] = [
    ["another datasource", "SELECT * FROM _ JOIN events USING id",
      { code: "forbidden", message: "q can only read from _ (the endpoint result), not 'events'", position: 21 }],
    ["another workspace's table", "SELECT * FROM ws_2.events_v1",
      { code: "forbidden", message: "q can only read from _ (the endpoint result), not 'ws_2.events_v1'", position: 14 }],
    ["a table in an IN", "SELECT * FROM _ WHERE id IN secrets",
      { code: "forbidden", message: "q can only read from _ (the endpoint result), not 'secrets'", position: 28 }],
    ["a table in a nested subquery", "SELECT * FROM _ WHERE id IN (SELECT id FROM (SELECT id FROM tinybird.pipe_stats_rt))",
      { code: "forbidden", message: "q can only read from _ (the endpoint result), not 'tinybird.pipe_stats_rt'", position: 60 }],
    ["a table function", "SELECT * FROM numbers(10)",
      { code: "forbidden", message: "Table function 'numbers' is not allowed in q; read from _", position: 14 }],
    ["a write", "INSERT INTO t SELECT * FROM _",
      { code: "not_read_only", message: "Only read-only queries (SELECT) are allowed, got INSERT", position: 0 }],
    ["a second statement", "SELECT * FROM _; DROP TABLE t", { code: "multi_statement", message: "Multi-statements are not allowed", position: 15 }],
    ["DESCRIBE", "DESCRIBE _", { code: "not_read_only", message: "Only SELECT queries are allowed in q", position: 0 }],
    ["an unterminated string", "SELECT '", { code: "syntax", message: "Single quoted string is not closed", position: 7 }],
    ["nothing", " ", { code: "syntax", message: "Empty query" }],
  ];
  for (const [name, q, error] of refused) {
    it(`refuses ${name}`, () => expect(wrapForQueryParam(endpoint, q)).toEqual({ ok: false, error }));
  }
});

describe("trimStatement", () => {
  it("drops surrounding trivia and trailing semicolons", () => {
    expect(trimStatement(" /* a */ SELECT 1 ;; -- b\n")).toBe("SELECT 1");
  });
  it("keeps semicolons inside strings", () => {
    expect(trimStatement("SELECT ';'")).toBe("SELECT ';'");
  });
});
