// The key of a cached endpoint answer (shared/cache/endpoint-key.ts) as the Worker builds it: a
// node template rendered with the request params after a JWT's fixed params win (pipe-call.ts),
// then hashed with the rest of the key. Conformance table: for every param type and for
// column()/columns()/symbol()/sql_and()/split_to_array(), a value that changes the SQL changes
// the key; order, an explicit default and unused params do not.
import { describe, expect, it } from "vitest";
import { compileTemplate, render, type Params } from "../../../shared/template/index.js";
import {
  ageSeconds,
  answerCacheControl,
  canonicalJson,
  endpointCacheKey,
  endpointCacheKeyText,
  endpointCacheUrl,
  freshness,
  isCompleteAnswer,
  type EndpointCacheKeyParts,
} from "../../../shared/cache/endpoint-key.js";

const BASE: EndpointCacheKeyParts = {
  workspaceId: "ws1",
  pipe: "p",
  deploymentId: "3",
  liveSince: "2026-12-07T10:00:00.000Z",
  format: "JSON",
  sql: "SELECT 1",
  settings: {},
  fixedParams: {},
  filters: [],
};

/** The key of one call of a one-node endpoint, as pipe-call.ts + cache.ts compute it. */
function keyOf(template: string, request: Params, fixed: Params = {}, parts: Partial<EndpointCacheKeyParts> = {}): Promise<string> {
  const params = { ...request, ...fixed };
  const out = render(compileTemplate(`%\n${template}`), params);
  return endpointCacheKey({ ...BASE, fixedParams: fixed, ...parts, sql: out.sql, settings: { ...out.settings, ...parts.settings } });
}

/** [type, template, base params, params that must give another key, params that must give the same key] */
const TABLE: Array<[string, string, Params, Params[], Params[]]> = [
  ["String", "SELECT {{ String(s, 'a') }}", { s: "x" }, [{ s: "y" }, { s: "x " }, { s: "X" }, { s: "" }, {}], [{ s: "x", unused: "1" }]],
  ["String default", "SELECT {{ String(s, 'a') }}", {}, [{ s: "b" }], [{ s: "a" }, { other: "z" }]],
  ["Int8", "SELECT {{ Int8(n, 1) }}", { n: "2" }, [{ n: "3" }, { n: "-2" }, {}], [{ n: 2 }]],
  ["Int16", "SELECT {{ Int16(n, 1) }}", { n: "2" }, [{ n: "3" }], [{ n: "2" }]],
  ["Int32", "SELECT {{ Int32(n, 1) }}", { n: "2" }, [{ n: "20" }, {}], [{ n: 2 }]],
  ["Int64", "SELECT {{ Int64(n, 1) }}", { n: "9007199254740993" }, [{ n: "9007199254740992" }], [{ n: "9007199254740993" }]],
  ["Int128", "SELECT {{ Int128(n, 1) }}", { n: "170141183460469231731687303715884105727" }, [{ n: "170141183460469231731687303715884105726" }], []],
  ["Int256", "SELECT {{ Int256(n, 1) }}", { n: "5" }, [{ n: "6" }], []],
  ["UInt8", "SELECT {{ UInt8(n, 1) }}", { n: "2" }, [{ n: "3" }], [{ n: 2 }]],
  ["UInt16", "SELECT {{ UInt16(n, 1) }}", { n: "2" }, [{ n: "3" }], []],
  ["UInt32", "SELECT {{ UInt32(n, 1) }}", { n: "2" }, [{ n: "3" }], []],
  ["UInt64", "SELECT {{ UInt64(n, 1) }}", { n: "18446744073709551615" }, [{ n: "18446744073709551614" }], []],
  ["UInt128", "SELECT {{ UInt128(n, 1) }}", { n: "2" }, [{ n: "3" }], []],
  ["UInt256", "SELECT {{ UInt256(n, 1) }}", { n: "2" }, [{ n: "3" }], []],
  ["Float32", "SELECT {{ Float32(f, 1.5) }}", { f: "2.5" }, [{ f: "2.25" }, {}], []],
  ["Float64", "SELECT {{ Float64(f, 1.5) }}", { f: "0.1" }, [{ f: "0.2" }, { f: "0.10000001" }], []],
  ["Boolean", "SELECT {{ Boolean(b, False) }}", { b: "true" }, [{ b: "false" }, {}], [{ b: "1" }, { b: "True" }]],
  ["Date", "SELECT {{ Date(d, '2026-01-01') }}", { d: "2026-01-02" }, [{ d: "2026-01-03" }, {}], []],
  ["DateTime", "SELECT {{ DateTime(d, '2026-01-01 00:00:00') }}", { d: "2026-01-01 00:00:01" }, [{ d: "2026-01-01 00:00:02" }, {}], []],
  ["DateTime64", "SELECT {{ DateTime64(d, '2026-01-01 00:00:00.000') }}", { d: "2026-01-01 00:00:00.001" }, [{ d: "2026-01-01 00:00:00.002" }], []],
  ["Array Int32", "SELECT {{ Array(a, 'Int32', default='1') }}", { a: "1,2" }, [{ a: "2,1" }, { a: "1,2,3" }, { a: ["1", "3"] }, {}], [{ a: ["1", "2"] }]],
  ["Array String", "SELECT {{ Array(a, 'String', default='x') }}", { a: ["x", "y"] }, [{ a: ["x", "z"] }, { a: "x,y,z" }], [{ a: "x,y" }]],
  ["column()", "SELECT {{ column(c, 'a') }} FROM t", { c: "b" }, [{ c: "a" }, { c: "B" }, {}], []],
  ["column() default", "SELECT {{ column(c, 'a') }} FROM t", {}, [{ c: "b" }], [{ c: "a" }]],
  ["columns()", "SELECT {{ columns(c, 'a,b') }} FROM t", { c: "a,b,c" }, [{ c: "a,b" }, { c: "c,b,a" }, {}], [{ c: "a, b, c" }]],
  ["columns(fn=)", "SELECT {{ columns(c, 'a', fn='sum') }} FROM t", { c: "x" }, [{ c: "y" }], []],
  ["symbol()", "SELECT * FROM {{ symbol(s) }}", { s: "t1" }, [{ s: "t2" }, { s: "T1" }], []],
  ["symbol(quote)", "SELECT {{ symbol(s, '\"') }}", { s: "a" }, [{ s: "b" }], []],
  ["sql_and()", "SELECT 1 WHERE {{ sql_and(a=String(a, defined=False), n__gt=Int32(n, defined=False)) }}", { a: "x", n: "1" }, [{ a: "x" }, { n: "1" }, { a: "y", n: "1" }, { a: "x", n: "2" }], [{ n: "1", a: "x" }]],
  ["defined()", "SELECT 1 {% if defined(t) %} WHERE t = {{ String(t) }} {% end %}", { t: "a" }, [{}, { t: "b" }], []],
  ["split_to_array()", "SELECT {{ split_to_array(s, 'a') }}", { s: "a,b" }, [{ s: "b,a" }, {}], []],
];

describe("a param that changes the answer changes the key", () => {
  it.each(TABLE)("%s", async (_name, template, base, different, same) => {
    const baseKey = await keyOf(template, base);
    for (const params of different) {
      expect(await keyOf(template, params), `${JSON.stringify(params)} vs ${JSON.stringify(base)}`).not.toBe(baseKey);
    }
    for (const params of same) {
      expect(await keyOf(template, params), `${JSON.stringify(params)} vs ${JSON.stringify(base)}`).toBe(baseKey);
    }
  });

  it("parameter order never matters", async () => {
    const t = "SELECT {{ String(a, 'x') }}, {{ Int32(b, 1) }}, {{ column(c, 'z') }}";
    expect(await keyOf(t, { a: "1", b: "2", c: "q" })).toBe(await keyOf(t, { c: "q", b: "2", a: "1" }));
  });
});

describe("the token's scope", () => {
  const t = "SELECT * FROM events WHERE tenant = {{ String(tenant, 'none') }}";

  it("a JWT's fixed params win over the request, and different fixed params are different keys", async () => {
    const acme = await keyOf(t, { tenant: "globex" }, { tenant: "acme" });
    expect(acme).toBe(await keyOf(t, { tenant: "initech" }, { tenant: "acme" }));
    expect(acme).not.toBe(await keyOf(t, { tenant: "globex" }, { tenant: "globex" }));
    expect(acme).not.toBe(await keyOf(t, { tenant: "acme" }));
  });

  it("fixed params and filters are in the key even where the SQL would not show them", async () => {
    const plain = await keyOf("SELECT 1", {});
    expect(await keyOf("SELECT 1", {}, { unused: "x" })).not.toBe(plain);
    expect(await keyOf("SELECT 1", {}, {}, { filters: ["tenant = 'a'"] })).not.toBe(plain);
    expect(await keyOf("SELECT 1", {}, {}, { filters: ["x = 1", "y = 2"] })).toBe(await keyOf("SELECT 1", {}, {}, { filters: ["y = 2", "x = 1"] }));
  });
});

describe("what else is in the key", () => {
  const parts: Array<[string, Partial<EndpointCacheKeyParts>]> = [
    ["workspace", { workspaceId: "ws2" }],
    ["pipe", { pipe: "q" }],
    ["deployment", { deploymentId: "4" }],
    ["since (a rollback to the same deployment)", { liveSince: "2026-12-07T10:00:05.000Z" }],
    ["format", { format: "CSV" }],
    ["output settings", { settings: { output_format_json_quote_64bit_integers: "1" } }],
    ["q= (the SQL run)", { sql: "SELECT c FROM (SELECT 1) AS _" }],
  ];
  it.each(parts)("%s", async (_name, change) => {
    expect(await endpointCacheKey({ ...BASE, ...change })).not.toBe(await endpointCacheKey(BASE));
  });

  it("no field can spill into another (the text is JSON)", () => {
    expect(endpointCacheKeyText({ ...BASE, pipe: 'p","3' })).not.toBe(endpointCacheKeyText({ ...BASE, pipe: "p", deploymentId: '","3' }));
  });

  it("settings and fixed params are order-insensitive; arrays keep their order", () => {
    expect(canonicalJson({ b: 1, a: [2, 1] })).toBe('{"a":[2,1],"b":1}');
    expect(canonicalJson({ a: 1n })).toBe('{"a":"1n"}');
  });

  it("the storage URL is on a private host and names the workspace and pipe", async () => {
    const hash = await endpointCacheKey(BASE);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(endpointCacheUrl("ws 1", "p/x", hash)).toBe(`https://endpoint-cache.tern.invalid/ws%201/p%2Fx/${hash}`);
  });
});

describe("freshness and headers", () => {
  it.each([
    [0, 60, 0, "fresh"],
    [59_999, 60, 0, "fresh"],
    [60_000, 60, 0, "expired"],
    [60_000, 60, 30, "stale"],
    [89_999, 60, 30, "stale"],
    [90_000, 60, 30, "expired"],
    [-1, 60, 30, "expired"],
    [Number.NaN, 60, 30, "expired"],
  ] as const)("stored %d ms ago, CACHE %d, stale %d: %s", (ago, ttl, stale, state) => {
    expect(freshness(1_000_000 - ago, 1_000_000, ttl, stale)).toBe(state);
  });

  it("Age and Cache-Control", () => {
    expect(ageSeconds(1000, 3999)).toBe(2);
    expect(ageSeconds(5000, 1000)).toBe(0);
    expect(answerCacheControl(60, 0, 0)).toBe("private, max-age=60");
    expect(answerCacheControl(60, 0, 15)).toBe("private, max-age=45");
    expect(answerCacheControl(1, 30, 5)).toBe("private, max-age=0, stale-while-revalidate=30");
  });
});

describe("only complete answers are stored", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const json = '{\n\t"meta": [],\n\t"data": [],\n\t"rows": 0,\n\t"statistics":\n\t{\n\t\t"elapsed": 0.001,\n\t\t"rows_read": 0,\n\t\t"bytes_read": 0\n\t}\n}\n';
  it.each([
    ["a JSON envelope with its statistics", json, "JSON", true],
    ["a JSON answer cut before its statistics", json.slice(0, 40), "JSON", false],
    ["a JSON answer with ClickHouse's exception at the end", `${json.slice(0, 40)}Code: 395. DB::Exception: boom. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO)`, "JSON", false],
    ["CSV", "1,2\n3,4\n", "CSV", true],
    ["CSV with an exception written after rows", "1,2\nCode: 395. DB::Exception: late failure: while executing. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 25.1)\n", "CSV", false],
  ] as const)("%s", (_name, body, format, ok) => {
    expect(isCompleteAnswer(enc(body), format)).toBe(ok);
  });
});
