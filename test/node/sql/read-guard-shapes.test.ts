/**
 * The read guard's verdicts kept by a read's shape (shared/template/shape.ts), against the real engine.
 * A conformance table first: for each template and parameter type, two renders with the same shape
 * parse (ClickHouse's `EXPLAIN AST`) into the same tree but for literal values. Then the guard: one
 * parse per shape however many values, other names are other shapes, and an attacker's value where
 * the template lets a value out of its literal (a block comment, a heredoc, joinGet's table name, a
 * forged marker in a column name) is checked as the SQL it is, never by a shape's verdict.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { guardRead, type ReadShape } from "../../../workers/clickhouse/read-guard.js";
import { parseExplainAst, type AstNode } from "../../../shared/sql/ast/index.js";
import { sameButLiterals } from "../../../shared/sql/guard/index.js";
import { compileTemplate, render, type Params } from "../../../shared/template/index.js";
import { TernError } from "../../../shared/errors.js";

let client: ClickHouseClient;
/** ClickHouse calls the guard made (the same real client, counted), and their SQL. */
let calls = 0;
const sent: string[] = [];
let counted: ClickHouseClient;

beforeAll(() => {
  client = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword") });
  counted = new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (prop === "query" || prop === "exec" || prop === "command") {
        return (...args: unknown[]) => {
          calls++;
          sent.push(String((args[0] as { query?: unknown } | undefined)?.query ?? ""));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return v;
    },
  });
});

let bases = 0;
/** Renders of one template share a base, as one isolate's renders do; each template its own (the guard's cache lives across tests). */
function renderer(template: string) {
  const base = `tshape${Date.now().toString(36)}y${bases++}`;
  return (params: Params) => {
    const out = render(compileTemplate(`%\n${template}`), params, { shapeNonce: `${base}n0` });
    const literals: Record<string, string> = {};
    out.shape!.literals.forEach((l, i) => (literals[`n0_${i}`] = l));
    return { sql: out.sql.trim(), shape: { text: out.shape!.text.trim(), base, literals } };
  };
}

async function ast(sql: string): Promise<AstNode> {
  const rs = await client.exec({ query: `EXPLAIN AST ${sql}`, clickhouse_settings: { default_format: "TabSeparatedRaw" } });
  const parsed = parseExplainAst(await new Response(rs.stream as ReadableStream<Uint8Array>).text());
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.root;
}

async function verdict(r: { sql: string; shape: ReadShape }): Promise<string> {
  try {
    await guardRead(counted, r.sql, "db_ws", undefined, r.shape);
    return "ok";
  } catch (e) {
    if (e instanceof TernError) return `${e.status} ${e.message}`;
    throw e;
  }
}

const NOT_ACCESSIBLE = (t: string) =>
  `403 Resource '${t}' is not accessible: only this workspace's datasources and pipes, and tinybird.* service datasources, can be queried`;

const HOSTILE = "it's \\ '' */ /* -- \n\r\t $$ $x$ \" ` } { ünï 😀 \u2028 %";

describe("conformance: two renders of one shape parse the same but for literals", () => {
  it.each<[string, string, Params, Params]>([
    ["String", "SELECT count() FROM db_ws.e_1 WHERE s = {{ String(s) }}", { s: "a" }, { s: HOSTILE }],
    ["untyped string", "SELECT {{ s }} AS v FROM db_ws.e_1", { s: "" }, { s: HOSTILE }],
    ["Date", "SELECT 1 FROM db_ws.e_1 WHERE d >= {{ Date(d) }}", { d: "2026-01-01" }, { d: "1970-12-31" }],
    ["DateTime", "SELECT 1 FROM db_ws.e_1 WHERE t < {{ DateTime(t) }}", { t: "2026-01-01 00:00:00" }, { t: "2026-01-01T23:59:59" }],
    ["DateTime64", "SELECT 1 WHERE t < {{ DateTime64(t) }}", { t: "2026-01-01 00:00:00.000" }, { t: "2026-01-01 00:00:00.999" }],
    ["Int8", "SELECT {{ Int8(n) }}", { n: "1" }, { n: "-128" }],
    ["Int32 in LIMIT", "SELECT * FROM db_ws.e_1 LIMIT {{ Int32(n, 10) }}", { n: "1" }, { n: "2147483647" }],
    ["UInt64", "SELECT 1 WHERE x > {{ UInt64(n) }}", { n: "0" }, { n: "18446744073709551615" }],
    ["Int256", "SELECT {{ Int256(n) }}", { n: "1" }, { n: "-57896044618658097711785492504343953926634992332820282019728792003956564819968" }],
    ["Float32", "SELECT {{ Float32(f) }} * 2", { f: "1.5" }, { f: "-1e-30" }],
    ["Float64 inf", "SELECT {{ Float64(f) }}", { f: "1" }, { f: "-inf" }],
    ["Int, positive", "SELECT x - {{ Int(n) }}", { n: "1" }, { n: "2147483647" }],
    ["Int, negative", "SELECT x + {{ Int(n) }}", { n: "-1" }, { n: "-99" }],
    ["Int after a minus", "SELECT 10 -{{ Int(n) }}", { n: "1" }, { n: "12" }],
    ["Boolean", "SELECT 1 WHERE flag = {{ Boolean(b) }}", { b: "true" }, { b: "0" }],
    ["JSON number", "SELECT {{ x }} + 1", { x: 1.5 }, { x: -2.25e-300 * -1 }],
    ["Array(Int32) in IN", "SELECT 1 FROM db_ws.e_1 WHERE n IN {{ Array(a, 'Int32') }}", { a: "1" }, { a: "-1,2,-2147483648" }],
    ["Array(String), has()", "SELECT has({{ Array(a, 'String') }}, s) FROM db_ws.e_1", { a: "a" }, { a: "x'y,*/,--,z" }],
    ["Array(Float64)", "SELECT {{ Array(a, 'Float64') }}", { a: "1.5" }, { a: "-1e-05,2,3,4" }],
    ["Array(Date)", "SELECT {{ Array(a, 'Date') }}", { a: "2026-01-01" }, { a: "2026-01-01,2026-01-02" }],
    ["in a -- comment", "SELECT 1 -- {{ String(s) }}\nFROM db_ws.e_1", { s: "a" }, { s: HOSTILE }],
    ["many literals, a CTE and a join", "WITH f AS (SELECT * FROM db_ws.e_1 WHERE s = {{ String(a) }}) SELECT * FROM f JOIN db_ws.u_1 AS u ON u.id = f.id WHERE u.n > {{ Int32(b) }} AND u.d IN {{ Array(c, 'Date') }} LIMIT {{ Int(l) }}", { a: "x", b: "1", c: "2026-01-01", l: "5" }, { a: HOSTILE, b: "-7", c: "2026-01-01,2026-02-02", l: "0" }],
  ])("%s", async (_name, template, first, second) => {
    const r = renderer(template);
    const a = r(first);
    const b = r(second);
    expect(b.shape.text).toBe(a.shape.text);
    expect(b.sql).not.toBe(a.sql);
    const [x, y] = await Promise.all([ast(a.sql), ast(b.sql)]);
    expect(sameButLiterals(x, y)).toBe(true);
  });

  it("the comparison itself tells structure from literals", async () => {
    expect(sameButLiterals(await ast("SELECT a FROM t WHERE x = 1"), await ast("SELECT a FROM t WHERE x = 'z'"))).toBe(true);
    expect(sameButLiterals(await ast("SELECT a FROM t WHERE x = 1"), await ast("SELECT b FROM t WHERE x = 1"))).toBe(false);
    expect(sameButLiterals(await ast("SELECT joinGet('db_ws.j', 'v', 1)"), await ast("SELECT joinGet('other.j', 'v', 1)"))).toBe(false);
    expect(sameButLiterals(await ast("SELECT joinGet('db_ws.j', 'v', 1)"), await ast("SELECT joinGet('db_ws.j', 'v', 2)"))).toBe(true);
  });
});

describe("the guard keeps its verdict by shape", () => {
  it("a new value of the same shape is not parsed again", async () => {
    const r = renderer("SELECT count() FROM db_ws.e_1 WHERE s = {{ String(s) }} AND n > {{ Int32(n) }}");
    calls = 0;
    expect(await verdict(r({ s: "a", n: "1" }))).toBe("ok");
    const first = calls;
    expect(first).toBeGreaterThan(0);
    for (const [s, n] of [["b", "2"], [HOSTILE, "-3"], ["'; SELECT * FROM system.tables --", "4"]]) {
      expect(await verdict(r({ s, n }))).toBe("ok");
    }
    expect(calls).toBe(first);
  });

  it("a refusal is kept by shape too", async () => {
    const r = renderer("SELECT * FROM system.tables WHERE name = {{ String(s) }}");
    expect(await verdict(r({ s: "a" }))).toBe(NOT_ACCESSIBLE("system.tables"));
    calls = 0;
    expect(await verdict(r({ s: "b" }))).toBe(NOT_ACCESSIBLE("system.tables"));
    expect(calls).toBe(0);
  });

  it.each<[string, string, Params, Params]>([
    ["column()", "SELECT {{ column(c, 'a') }} FROM db_ws.e_1", { c: "a" }, { c: "b" }],
    ["columns()", "SELECT {{ columns(c, 'a') }} FROM db_ws.e_1", { c: "a" }, { c: "a,b" }],
    ["symbol()", "SELECT 1 AS {{ symbol(s) }} FROM db_ws.e_1", { s: "a" }, { s: "b" }],
  ])("%s with another value does not share the verdict: it is parsed on its own", async (_name, template, first, second) => {
    const r = renderer(template);
    expect(await verdict(r(first))).toBe("ok");
    calls = 0;
    expect(await verdict(r(second))).toBe("ok");
    expect(calls).toBeGreaterThan(0);
  });
});

describe("attacks on a shape's verdict", () => {
  it("a value in a block comment: the probe breaks out, so each value is checked as itself", async () => {
    const r = renderer("SELECT count() /* {{ String(s) }} */ FROM db_ws.e_1");
    expect(await verdict(r({ s: "a" }))).toBe("ok");
    expect(await verdict(r({ s: "*/ FROM system.tables --" }))).toBe(NOT_ACCESSIBLE("system.tables"));
  });

  it("a marker inside a comment is not a whole token: no probe is sent (it would bring the comment's second statement out), and the shape is not shared", async () => {
    const r = renderer("SELECT count() FROM db_ws.e_1 /* {{ String(s) }}\n; SELECT 1 */");
    sent.length = 0;
    calls = 0;
    expect(await verdict(r({ s: "a" }))).toBe("ok");
    // Only the read's own parse went out; a probe (breaking out at */ ahead of the `;`) was not sent.
    expect(sent.filter((q) => q.startsWith("EXPLAIN AST"))).toEqual([`EXPLAIN AST ${r({ s: "a" }).sql}`]);
    const first = calls;
    expect(await verdict(r({ s: "b" }))).toBe("ok");
    expect(calls).toBeGreaterThan(first); // checked as its own SQL: no verdict by shape
  });

  it("a value in a tagged heredoc", async () => {
    const r = renderer("SELECT $x$ {{ String(s) }} $x$ FROM db_ws.e_1");
    expect(await verdict(r({ s: "a" }))).toBe("ok");
    expect(await verdict(r({ s: "$x$, (SELECT count() FROM system.one) AS n, $x$" }))).toBe(NOT_ACCESSIBLE("system.one"));
  });

  it("a value in a backquoted name stays in the name (its backquote is escaped), and each name is checked as itself", async () => {
    const r = renderer("SELECT 1 FROM db_ws.`{{ String(s) }}`");
    expect(await verdict(r({ s: "a" }))).toBe("ok");
    calls = 0;
    expect(await verdict(r({ s: "x` UNION ALL SELECT 1 FROM system.one --" }))).toBe("400 Names with control characters, backslashes or back-quotes are not allowed");
    expect(calls).toBeGreaterThan(0);
  });

  it("joinGet's table name: the literal decides what is read, so it is never a shape's", async () => {
    const r = renderer("SELECT joinGet({{ String(t) }}, 'v', 1)");
    expect(await verdict(r({ t: "db_ws.j_1" }))).toBe("ok");
    expect(await verdict(r({ t: "other.j" }))).toBe(NOT_ACCESSIBLE("other.j"));
  });

  it("a negative number after a minus (a comment) and a positive one are different shapes", async () => {
    const r = renderer("SELECT 1 -{{ Int(n) }} FROM system.one");
    expect(await verdict(r({ n: "-5" }))).toBe("ok"); // SELECT 1 --5 … : the rest of the line is a comment
    expect(await verdict(r({ n: "5" }))).toBe(NOT_ACCESSIBLE("system.one"));
  });

  it("a forged marker in a column name is not trusted as one", async () => {
    const r = renderer("SELECT {{ column(c, 'a') }} FROM db_ws.e_1 WHERE s = {{ String(s) }}");
    const base = r({ c: "a", s: "x" }).shape.base;
    const forged = r({ c: `'${base}n0_0_String'`, s: "x" });
    calls = 0;
    expect(await verdict(forged)).toBe("ok");
    expect(calls).toBeGreaterThan(0);
    // A shape that does not fill to the SQL it comes with is ignored: the SQL is checked as itself.
    const lying = { sql: "SELECT * FROM system.tables", shape: r({ c: "a", s: "x" }).shape };
    expect(await verdict(r({ c: "a", s: "x" }))).toBe("ok");
    expect(await verdict(lying)).toBe(NOT_ACCESSIBLE("system.tables"));
  });
});
