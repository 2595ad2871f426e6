import { describe, expect, it } from "vitest";
import { extractParameters } from "../../../shared/template/index.js";
import { sql } from "./helpers.js";

describe("string literal escaping (Tinybird sqlescape_for_string_expression)", () => {
  it.each([
    ["single quote", "it's", "'it\\'s'"],
    ["injection", "';drop table users;", "'\\';drop table users;'"],
    ["DROP TABLE", "x'; DROP TABLE t; --", "'x\\'; DROP TABLE t; --'"],
    ["double quote", 'action."test run"', "'action.\\\"test run\\\"'"],
    ["backslash", "a\\b", "'a\\\\b'"],
    ["trailing backslash", "a\\", "'a\\\\'"],
    ["backslash + quote", "\\'", "'\\\\\\''"],
    ["percent", "100%", "'100\\%'"],
    ["backtick", "a`b", "'a\\`b'"],
    ["newline", "a\nb", "'a\\nb'"],
    ["carriage return", "a\rb", "'a\\rb'"],
    ["tab", "a\tb", "'a\\tb'"],
    ["backspace", "a\bb", "'a\\bb'"],
    ["NUL", "a\0b", "'a\\0b'"],
    ["0x1A", "a\x1ab", "'a\\zb'"],
    ["other control chars pass through", "a\x01\x7fb", "'a\x01\x7fb'"],
    ["unicode", "héllo 世界 🦆", "'héllo 世界 🦆'"],
    ["lone high surrogate", "a\uD800b", "'a\uFFFDb'"],
    ["lone low surrogate", "a\uDC00", "'a\uFFFD'"],
    ["empty", "", "''"],
  ])("%s", (_name, value, out) => {
    expect(sql("% {{String(x)}}", { x: value })).toBe(` ${out}`);
  });

  it("bare {{x}} escapes the same way", () => {
    expect(sql("% {{x}}", { x: "it's\n" })).toBe(" 'it\\'s\\n'");
  });

  it("Array(String) elements are escaped", () => {
    expect(sql("% {{Array(x, 'String')}}", { x: ["a'b", "c\\"] })).toBe(" ['a\\'b','c\\\\']");
  });

  it("Array(String) elements go through Tinybird's literal round trip (a % gains a backslash)", () => {
    expect(sql("% {{Array(x, 'String')}}", { x: ["50%"] })).toBe(" ['50\\\\\\%']");
  });
});

describe("identifier escaping (Tinybird sqlescape)", () => {
  it.each([
    ["backtick", "a`b", "`a\\`b`"],
    ["double quotes are removed", 'a"b', "`ab`"],
    ["single quote", "a'b", "`a\\'b`"],
    ["backslash", "a\\", "`a\\\\`"],
    ["newline", "a\nb", "`a\\nb`"],
    ["breakout attempt", "x` UNION SELECT * FROM secrets --", "`x\\` UNION SELECT * FROM secrets --`"],
  ])("%s", (_name, value, out) => {
    expect(sql("% {{column(c, 'x')}}", { c: value })).toBe(` ${out}`);
  });
});

describe("signature", () => {
  it("collects typed params with metadata, in source order", () => {
    expect(
      extractParameters([
        "% SELECT * FROM f WHERE d = {{String(d, 'test_1', description='test', required=True)}} AND v = {{Int8(v, 3, format='number', example='1')}}",
      ]),
    ).toEqual([
      { name: "d", type: "String", default: "test_1", required: true, description: "test" },
      { name: "v", type: "Int8", default: 3, required: false, format: "number", example: "1" },
    ]);
  });

  it("walks branches that are not taken, across nodes", () => {
    expect(
      extractParameters([
        "% SELECT 1 {% if defined(start) %} AND d > {{DateTime(start)}}{% else %} AND d > {{Date(day, '2025-01-01')}}{% end %}",
        "% SELECT * FROM n1 LIMIT {{Int32(limit, 10, description='rows')}}",
      ]),
    ).toEqual([
      { name: "start", type: "DateTime", default: null, required: false },
      { name: "day", type: "Date", default: "2025-01-01", required: false },
      { name: "limit", type: "Int32", default: 10, required: false, description: "rows" },
    ]);
  });

  it("Array types, enums and a typed occurrence winning over defined()", () => {
    expect(
      extractParameters([
        "% {% if defined(ids) %}{{Array(ids, 'Int16', enum=['1','2'])}}{% end %}",
        "% {{Array(tags)}} {{String(kind, 'a', enum=['a', 'b'])}}",
      ]),
    ).toEqual([
      { name: "ids", type: "Array(Int16)", default: null, required: false, enum: ["1", "2"] },
      { name: "tags", type: "Array(String)", default: null, required: false },
      { name: "kind", type: "String", default: "a", required: false, enum: ["a", "b"] },
    ]);
  });

  it("untyped uses are String; locals from set/for are not params", () => {
    expect(extractParameters(["% {% set n = Int32(x, 0) %}{% for i in split_to_array(cols) %}{{i}}{% end %}{{column(sort, 'a')}}"])).toEqual([
      { name: "x", type: "Int32", default: 0, required: false },
      { name: "cols", type: "String", default: null, required: false, untyped: true },
      { name: "sort", type: "String", default: null, required: false, untyped: true },
    ]);
  });

  it("big integer defaults are strings; negative defaults are numbers", () => {
    expect(extractParameters(["% {{Int64(a, 9223372036854775807)}} {{Float32(b, -0.5)}}"])).toEqual([
      { name: "a", type: "Int64", default: "9223372036854775807", required: false },
      { name: "b", type: "Float32", default: -0.5, required: false },
    ]);
  });

  it("Int()/Integer() are typed Int32", () => {
    expect(extractParameters(["% LIMIT {{Int(limit, 5)}}"])).toEqual([{ name: "limit", type: "Int32", default: 5, required: false }]);
  });

  it("a plain SQL node has no params", () => {
    expect(extractParameters(["SELECT {{x}}"])).toEqual([]);
  });
});
