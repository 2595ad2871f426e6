// A render's shape (shared/template/shape.ts): the SQL with each value the engine inserted as one
// literal replaced by a marker naming its type; identifiers and anything structural stay verbatim.
// What ClickHouse's parse says about two renders of one shape is test/node/sql/read-guard-shapes.test.ts.
import { describe, expect, it } from "vitest";
import { compileTemplate, fillShape, isLiteralOf, probeLiteral, render, type Params } from "../../../shared/template/index.js";

const NONCE = "tshapetest1n0";
const m = (i: number, type: string) => `'${NONCE}_${i}_${type}'`;

function shapeOf(template: string, params: Params) {
  const out = render(compileTemplate(`%\n${template}`), params, { shapeNonce: NONCE });
  return { sql: out.sql.slice(1), text: out.shape!.text.slice(1), literals: out.shape!.literals };
}

describe("literals become markers naming their type", () => {
  it.each([
    ["String", "SELECT {{ String(s) }}", { s: "it's" }, `SELECT ${m(0, "String")}`, ["'it\\'s'"]],
    ["untyped string", "SELECT {{ s }}", { s: "a\nb" }, `SELECT ${m(0, "String")}`, ["'a\\nb'"]],
    ["Date", "SELECT {{ Date(d) }}", { d: "2026-01-02" }, `SELECT ${m(0, "String")}`, ["'2026-01-02'"]],
    ["DateTime", "SELECT {{ DateTime(d) }}", { d: "2026-01-02 03:04:05" }, `SELECT ${m(0, "String")}`, ["'2026-01-02 03:04:05'"]],
    ["DateTime64", "SELECT {{ DateTime64(d) }}", { d: "2026-01-02 03:04:05.678" }, `SELECT ${m(0, "String")}`, ["'2026-01-02 03:04:05.678'"]],
    ["Int32", "SELECT {{ Int32(n) }}", { n: "-5" }, `SELECT ${m(0, "Int32")}`, ["toInt32('-5')"]],
    ["UInt64", "SELECT {{ UInt64(n) }}", { n: "5" }, `SELECT ${m(0, "UInt64")}`, ["toUInt64('5')"]],
    ["Float64", "SELECT {{ Float64(f) }}", { f: "1.5" }, `SELECT ${m(0, "Float64")}`, ["toFloat64('1.5')"]],
    ["Int, positive", "SELECT {{ Int(n) }}", { n: "7" }, `SELECT ${m(0, "Int")}`, ["7"]],
    ["Int, negative", "SELECT {{ Int(n) }}", { n: "-7" }, `SELECT ${m(0, "NegInt")}`, ["-7"]],
    ["Boolean", "SELECT {{ Boolean(b) }}", { b: "true" }, `SELECT ${m(0, "Int")}`, ["1"]],
    ["JSON number", "SELECT {{ x }}", { x: 2.5 }, `SELECT ${m(0, "Float")}`, ["2.5"]],
    ["Array(Int32)", "SELECT {{ Array(a, 'Int32') }}", { a: "1,-2" }, `SELECT ${m(0, "Array")}`, ["[1,-2]"]],
    ["Array(String)", "SELECT {{ Array(a, 'String') }}", { a: "x,y'" }, `SELECT ${m(0, "Array")}`, ["['x','y\\'']"]],
    ["two literals", "SELECT {{ String(a) }}, {{ Int32(b) }}", { a: "x", b: "1" }, `SELECT ${m(0, "String")}, ${m(1, "Int32")}`, ["'x'", "toInt32('1')"]],
  ])("%s", (_name, template, params, text, literals) => {
    const shape = shapeOf(template, params);
    expect(shape.text).toBe(text);
    expect(shape.literals).toEqual(literals);
    expect(fillShape(shape.text, "tshapetest1", (id) => shape.literals[Number(id.split("_")[1])])).toBe(shape.sql);
  });
});

describe("what can change the statement's structure stays verbatim", () => {
  it.each([
    ["column()", "SELECT {{ column(c, 'a') }}", { c: "tenant" }, "SELECT `tenant`"],
    ["columns()", "SELECT {{ columns(c, 'a') }}", { c: "a,b" }, "SELECT `a`,`b`"],
    ["symbol()", "SELECT 1 AS {{ symbol(s) }}", { s: "x" }, "SELECT 1 AS `x`"],
    ["sql_and()", "SELECT 1 WHERE {{ sql_and(a__in=Array(v, 'Int32')) }}", { v: "1,2" }, "SELECT 1 WHERE a in [1,2]"],
    ["sql_unescape()", "SELECT {{ sql_unescape(String(s), '%') }}", { s: "a%" }, "SELECT 'a%'"],
    ["a boolean", "SELECT {{ b }}", { b: true }, "SELECT True"],
    ["a list", "SELECT {{ l }}", { l: ["a", "b"] }, "SELECT ['a', 'b']"],
    ["an Array() holding a float that is not finite", "SELECT {{ Array(f, 'Float64') }}", { f: "1,inf" }, "SELECT [1.0,inf]"],
    ["max_threads()", "{{ max_threads(n) }} SELECT 1", { n: 2 }, "-- max_threads 2\n SELECT 1"],
    ["a float that is not finite", "SELECT {{ Float64(f) + 0 }}", { f: "inf" }, "SELECT inf"],
  ])("%s", (_name, template, params, text) => {
    const shape = shapeOf(template, params);
    expect(shape.text).toBe(text);
    expect(shape.text).toBe(shape.sql);
  });

  it.each([
    ["glued to a name: a5 is one identifier", "SELECT a{{ Int(n) }}", { n: "5" }],
    ["inside quotes: the value's text lands outside a string", "SELECT '{{ String(s) }}'", { s: "x" }],
    ["after x: a hex string", "SELECT x{{ String(s) }}", { s: "ab" }],
    ["after a dot", "SELECT 1.{{ Int(n) }}", { n: "5" }],
    ["a negative number after a minus: a comment", "SELECT -{{ Int(n) }}", { n: "-5" }],
    ["an array after a closing bracket: a subscript", "SELECT f(){{ Array(a, 'Int32') }}", { a: "1" }],
    ["before an opening parenthesis: parametric call", "SELECT {{ Int32(n) }}(1)", { n: "1" }],
  ])("a literal glued to a neighbour that could merge with it: %s", (_name, template, params) => {
    const shape = shapeOf(template, params);
    expect(shape.text).toBe(shape.sql);
    expect(shape.literals.length).toBe(1);
  });

  it("a negative number after a minus has another shape than a positive one", () => {
    expect(shapeOf("SELECT -{{ Int(n) }}", { n: "5" }).text).toBe(`SELECT -${m(0, "Int")}`);
    expect(shapeOf("SELECT -{{ Int(n) }}", { n: "-5" }).text).toBe("SELECT --5");
  });
});

describe("one shape for every value of a type; other names, other shapes", () => {
  const template = "SELECT {{ column(c, 'a') }} FROM t WHERE s = {{ String(s) }} AND n > {{ Int32(n) }} AND d IN {{ Array(d, 'Date') }}";
  const values = [
    { c: "a", s: "x", n: "1", d: "2026-01-01" },
    { c: "a", s: "it's \\ */ -- \n $$ ünï 😀", n: "-2147483648", d: "2026-01-01,2026-02-02" },
    { c: "a", s: `'${NONCE}_0_String'`, n: "0", d: "2026-03-03" },
  ];

  it("any string (quotes, backslashes, comment and heredoc openers, line breaks, unicode, marker text) leaves the shape as it is", () => {
    const shapes = values.map((v) => shapeOf(template, v));
    expect(new Set(shapes.map((s) => s.text)).size).toBe(1);
    expect(new Set(shapes.map((s) => s.sql)).size).toBe(3);
  });

  it.each([
    ["column()", { c: "b" }],
    ["column() holding marker text", { c: `'${NONCE}_0_String'` }],
  ])("%s with another value is another shape", (_name, change) => {
    expect(shapeOf(template, { ...values[0]!, ...change }).text).not.toBe(shapeOf(template, values[0]!).text);
  });

  it("columns() and symbol() with other values are other shapes", () => {
    const t = "SELECT {{ columns(c, 'a') }} AS {{ symbol(s) }} FROM t";
    const a = shapeOf(t, { c: "a", s: "x" }).text;
    expect(shapeOf(t, { c: "a,b", s: "x" }).text).not.toBe(a);
    expect(shapeOf(t, { c: "a", s: "y" }).text).not.toBe(a);
  });

  it("a branch a value takes is in the shape", () => {
    const t = "SELECT 1 {% if defined(x) %} WHERE a = {{ String(x) }}{% end %}";
    expect(shapeOf(t, {}).text).not.toBe(shapeOf(t, { x: "a" }).text);
  });
});

describe("literal forms and probes", () => {
  it.each([
    ["String", "'a\\'b'", true],
    ["String", "'a'b'", false],
    ["String", "'a\n'", false],
    ["Int", "12", true],
    ["Int", "-12", false],
    ["NegInt", "-12", true],
    ["Float", "1e-05", true],
    ["NegFloat", "-0.0", true],
    ["Int32", "toInt32('-5')", true],
    ["Int32", "toInt64('-5')", false],
    ["Int32", "toInt32('5') OR 1", false],
    ["Float32", "toFloat32('inf')", true],
    ["Array", "[1,-2,'a\\'',1.5e+20]", true],
    ["Array", "[`a`]", false],
    ["Array", "[1] OR 1", false],
  ])("%s %j: %s", (type, text, ok) => {
    expect(isLiteralOf(type, text)).toBe(ok);
  });

  it.each(["String", "Int", "NegInt", "Float", "NegFloat", "Array", "Int32", "UInt8", "Float64"])("the probe of %s is one of its type and never the actual value", (type) => {
    const probe = probeLiteral(type, "x");
    expect(isLiteralOf(type, probe)).toBe(true);
    expect(probeLiteral(type, probe)).not.toBe(probe);
    expect(isLiteralOf(type, probeLiteral(type, probe))).toBe(true);
  });

  it("render refuses a guessable nonce", () => {
    expect(() => render(compileTemplate("%\nSELECT 1"), {}, { shapeNonce: "a'b" })).toThrow(/shapeNonce/);
  });
});
