import { describe, expect, it } from "vitest";
import { compileTemplate, isTemplated, render } from "../../../shared/template/index.js";
import { fail, sql } from "./helpers.js";

const S = "Template Syntax Error: ";

describe("activation", () => {
  it.each([
    ["%\nSELECT 1", true],
    ["  \n %\nSELECT 1", true],
    ["% SELECT 1", true],
    ["SELECT {{x}}", false],
    ["SELECT 5 % 2", false],
  ])("isTemplated(%j) is %s", (src, out) => {
    expect(isTemplated(src)).toBe(out);
  });

  it("without % the braces are left untouched", () => {
    expect(sql("SELECT '{{x}}', {% if %}")).toBe("SELECT '{{x}}', {% if %}");
  });

  it("the % marker is removed, the rest is kept", () => {
    expect(sql("%\nSELECT {{String(a, 'x')}}\nFROM t")).toBe("\nSELECT 'x'\nFROM t");
  });
});

describe("control flow", () => {
  it.each([
    ["% {% if defined(a) %}A{% elif defined(b) %}B{% else %}C{% end %}", { a: "1" }, " A"],
    ["% {% if defined(a) %}A{% elif defined(b) %}B{% else %}C{% end %}", { b: "1" }, " B"],
    ["% {% if defined(a) %}A{% elif defined(b) %}B{% else %}C{% end %}", {}, " C"],
    ["% {% if not defined(a) %}no{% end %}", {}, " no"],
    ["% {% if a == 'x' and b != 'y' %}T{% end %}", { a: "x", b: "z" }, " T"],
    ["% {% if a in ['x', 'y'] %}in{% end %}", { a: "y" }, " in"],
    ["% {% if a not in ['x', 'y'] %}out{% end %}", { a: "z" }, " out"],
    ["% {% if Int32(n, 0) > 5 %}big{% else %}small{% end %}", { n: "7" }, " big"],
    ["% {% if 1 < Int32(n, 3) <= 5 %}mid{% end %}", {}, " mid"],
    ["% {% if '{{' in marker %}yes{% end %}", { marker: "a{{b" }, " yes"],
    ["% {% if Int32(test, 1) %}SELECT 1{% else %} select 2 {% end %}", {}, " SELECT 1"],
    ["% {% if test %}SELECT 1{% else %} select 2 {% end %}", {}, "  select 2 "],
    ["% {% for x in split_to_array(s) %}[{{x}}]{% end %}", { s: "a, b ,c" }, " ['a']['b']['c']"],
    ["% {% for i, x in enumerate(split_to_array(s)) %}{{i}}={{x}} {% end %}", { s: "a,b" }, " 0='a' 1='b' "],
    ["% {% for last, x in enumerate_with_last(split_to_array(s)) %}c = {{x}}{% if not last %} OR {% end %}{% end %}", { s: "a,b" }, " c = 'a' OR c = 'b'"],
    ["% {% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% end %}{% if x == 4 %}{% break %}{% end %}{{x}}{% end %}", {}, " 13"],
    ["% {% set n = 0 %}{% while n < 3 %}{{n}}{% set n = n + 1 %}{% end %}", {}, " 012"],
    ["% {% set limit = Int32(l, 10) * 2 %}LIMIT {{limit}}", {}, " LIMIT 20"],
    ["% {% set a, b = 1, 2 %}{{a + b}}", {}, " 3"],
    ["% {% set s = 'x' %}{% set s += 'y' %}{{s}}", {}, " 'xy'"],
    ["% {% for x in [] %}no{% else %}empty{% end %}", {}, " empty"],
    ["% {% try %}{{Int32(x)}}{% except %}fallback{% end %}", { x: "bad" }, " fallback"],
    ["% {% try %}ok{% except %}no{% else %}+{% finally %}!{% end %}", {}, " ok+!"],
    ["% {{ 'a' if defined(x) else 'b' }}", {}, " 'b'"],
    ["% {{ [1, 2][0] }} {{ 'abc'[1:] }} {{ (1, 2) }} {{ {'k': 1}['k'] }}", {}, " 1 'bc' (1, 2) 1"],
    ["% {{ f'{String(x)}-{1 + 1}' }}", { x: "v" }, " 'v-2'"],
    ["% {{ -Int32(x) }}", { x: "5" }, " -5"],
    ["% {{ 'a' + String(x) }}", { x: "b" }, " 'ab'"],
    ["% {{ 'ab' * 2 }}", {}, " 'abab'"],
    ["% {{ String(x).replace('-', '_').split('_') }}", { x: "a-b" }, " ['a', 'b']"],
    ["% {{ ','.join(split_to_array(x)) }}", { x: "a , b" }, " 'a,b'"],
    ["% {{ min(3, 1, 2) }} {{ max([1, 5]) }} {{ int('42') }} {{ float('1') }} {{ len('héllo') }}", {}, " 1 5 42 1.0 5"],
    ["% {{ defined(x) }}", {}, " False"],
    ["% {{ None if defined(x) else 1.5 }}", {}, " 1.5"],
    ["% {% set x = [] %}{{ x }}", {}, " []"],
  ] as const)("%s with %j", (src, params, out) => {
    expect(sql(src, params)).toBe(out);
  });

  it("a local used before its {% set %} is unbound (Python scoping)", () => {
    expect(fail("% {{x}}{% set x = String(x, 'a') %}", { x: "v" })).toEqual({
      cls: "SqlTemplateError",
      status: 400,
      message: `${S}cannot access local variable 'x' where it is not associated with a value`,
    });
  });

  it("a bare param that is missing evaluates to null", () => {
    expect(fail("% SELECT {{test}}", { token: "t" }).message).toBe(`${S}expression "test" evaluated to null`);
  });

  it("an endless while stops at the loop limit", () => {
    expect(fail("% {% while True %}x{% end %}").message).toBe("template loop limit exceeded");
  });
});

describe("comments, escapes and whitespace", () => {
  it.each([
    ["% a{# comment {{x}} #}b", " ab"],
    ["% a{% comment anything here %}b", " ab"],
    ["% {{! x }}", " {{ x }}"],
    ["% {%! if %}", " {% if %}"],
    ["% {#! c #}", " {# c #}"],
    ["% {{{ 1 }}}", " {1}"],
    ["% a  \n\n  b {% whitespace oneline %} c \n  d", " a  \n\n  b  c d"],
    ["% {% whitespace single %}a   \n\n  b\t\tc", " a\nb c"],
    ["% x { y } z", " x { y } z"],
    ["%\n  SELECT\n    {{Int8(a, 1)}}\n", "\n  SELECT\n    toInt8('1')\n"],
  ])("%j renders %j", (src, out) => {
    expect(sql(src)).toBe(out);
  });
});

describe("syntax errors", () => {
  it.each([
    ["% SELECT {% if defined(x) %} x, 1", "Missing {% end %} block for if at line 1"],
    ["% SELECT\n{% for x in y %}\n{{x}}", "Missing {% end %} block for if at line 3"],
    ["% {% end %}", "Extra {% end %} block at <string>:1"],
    ["% {% else %}", "else outside {'if', 'for', 'while', 'try'} block at <string>:1"],
    ["% {% for x in y %}{% elif z %}{% end %}", "elif block cannot be attached to for block at <string>:1"],
    ["% {% break %}", "break outside {'for', 'while'} block at <string>:1"],
    ["% {% import os %}", "import is forbidden at <string>:1"],
    ["% SELECT * FROM {% from os import popen %}", "import is forbidden at <string>:1"],
    ["% {% include 'x' %}", "include is forbidden at <string>:1"],
    ["% {% extends 'x' %}", "extends is forbidden at <string>:1"],
    ["% {% raw x %}", "raw is forbidden at <string>:1"],
    ["% {% module x %}", "module is forbidden at <string>:1"],
    ["% {% autoescape None %}", "autoescape is forbidden at <string>:1"],
    ["% {% apply f %}{% end %}", "apply is forbidden at <string>:1"],
    ["% {% block b %}{% end %}", "block is forbidden at <string>:1"],
    ["% {% foo %}", "unknown operator: 'foo' at <string>:1"],
    ["% {% set %}", "set missing statement at <string>:1"],
    ["% {{ }}", "Empty expression at <string>:1"],
    ["% {% %}", "Empty block tag ({% %}) at <string>:1"],
    ["% {{ x", "Missing end expression }} at <string>:1"],
    ["% {% if x", "Missing end block %} at <string>:1"],
    ["% {# x", "Missing end comment #} at <string>:1"],
    ["% {{ (1 }}", "invalid syntax"],
    ["% {% whitespace fancy %}", "invalid whitespace mode fancy"],
  ])("%j fails with %j", (src, message) => {
    expect(() => compileTemplate(src)).toThrowError(message);
    try {
      compileTemplate(src);
    } catch (e) {
      expect((e as Error).message).toBe(message);
      expect((e as { status: number }).status).toBe(400);
    }
  });
});

describe("sandbox", () => {
  it.each([
    ["% {{ eval('1+1') }}", "Invalid function name: eval"],
    ["% {{ globals() }}", "Invalid function name: globals"],
    ["% {{ __import__('os') }}", "Invalid function name: __import__"],
    ["% {{ Column(x) }}", "Invalid function name: Column"],
    ["% {{ x.read() }}", "Invalid method name: read"],
    ["% {{ ''.__class__ }}", "Invalid expression type: Attribute(value=Constant(value=''), attr='__class__', ctx=Load())"],
    ["% {{ x.constructor }}", "Invalid expression type: Attribute(value=Name(id='x', ctx=Load()), attr='constructor', ctx=Load())"],
    ["% {{ x.__proto__ }}", "Invalid expression type: Attribute(value=Name(id='x', ctx=Load()), attr='__proto__', ctx=Load())"],
    ["% {{ len.__self__ }}", "Invalid expression type: Attribute(value=Name(id='len', ctx=Load()), attr='__self__', ctx=Load())"],
    ["% {{ 888**99 / 888 }}", "Invalid BinOp: Div()"],
    ["% {{ len([1] * 10**7) }}", "Invalid BinOp: Pow()"],
    ["% {{ 5 % 2 }}", "Invalid BinOp: Mod()"],
    ["% {{ 5 // 2 }}", "Invalid BinOp: FloorDiv()"],
    ["% {{ 1 | 2 }}", "Invalid BinOp: BitOr()"],
    ["% {{ ~1 }}", "Invalid UnaryOp: Invert()"],
    ["% {{ +1 }}", "Invalid UnaryOp: UAdd()"],
    ["% {{ a == b }}", "Invalid expression type: Compare(left=Name(id='a', ctx=Load()), ops=[Eq()], comparators=[Name(id='b', ctx=Load())])"],
    ["% {{ xs[i] }}", "Invalid Slice expression: Name(id='i', ctx=Load())"],
    ["% {{ b'x' }}", "Invalid Constant: Constant(value=b'')"],
    ["% {% if x.__class__ %}{% end %}", "Invalid expression type: Attribute(value=Name(id='x', ctx=Load()), attr='__class__', ctx=Load())"],
    ["% {% set y = x.constructor('return 1')() %}", "Invalid method name: constructor"],
  ])("%j is refused: %s", (src, detail) => {
    let err: (Error & { status: number }) | undefined;
    try {
      compileTemplate(src);
    } catch (e) {
      err = e as Error & { status: number };
    }
    expect(err?.constructor.name).toBe("SandboxError");
    expect(err?.message).toBe(`${S}${detail}`);
    expect(err?.status).toBe(400);
  });

  it("a name that is not a function cannot be called in a statement", () => {
    expect(fail("% {% if whatever(p) %}{% end %}").message).toBe(
      `${S}wrong syntax, you might be using a not valid function inside a control block`,
    );
  });

  it("in check mode, calling an unknown name names it and its line", () => {
    expect(fail("% {% if whatever(passenger_count) %}{% end %}", {}, { mode: "check" }).message).toBe(
      `${S}'whatever' is not a valid function, line 1`,
    );
  });

  it("JS prototype names are plain (missing) params", () => {
    expect(sql("% {{String(constructor, 'c')}} {{String(__proto__, 'p')}} {{String(toString, 't')}}")).toBe(" 'c' 'p' 't'");
  });

  it("dict keys never reach the JS prototype", () => {
    expect(fail("% {{ JSON(j)['__proto__'] }}", { j: "{}" }).message).toBe("'__proto__'");
  });

  it("repeating a string past the size limit is refused", () => {
    expect(fail("% {{ 'x' * 100000000 }}").message).toBe("sequence too large for a template");
  });
});

describe("reserved names", () => {
  it.each([
    ["% SELECT {{String(format, 'test')}}", '"format" can not be used as a variable name, line 1'],
    ["% SELECT {{format}}", '"format" can not be used as a variable name, line 1'],
    ["% SELECT\n{{String(q, 'test')}}", '"q" can not be used as a variable name, line 2'],
  ])("%j fails with %j", (src, message) => {
    expect(() => compileTemplate(src)).toThrowError(message);
  });

  it("format= as a keyword argument is fine", () => {
    expect(sql("% {{String(x, 'a', format='text')}}")).toBe(" 'a'");
  });

  it("reserved names are reported as warnings", () => {
    expect(compileTemplate("% {{String(pipeline, 'a')}} {{String(token, 'b')}}").warnings).toEqual(["pipeline", "token"]);
  });
});

describe("check mode", () => {
  it.each([
    ["% select * from t where f = {{Float32(foo)}}", "toFloat32('0.0')"],
    ["% a = {{test}}", "'__no_value__'"],
    ["% {{Int32(foo, 1)}}", "toInt32('1')"],
    ["% {{Date(start)}}", "'2019-01-01'"],
    ["% {{DateTime(start)}}", "'2019-01-01 00:00:00'"],
    ["% {{DateTime64(start)}}", "'2019-01-01 00:00:00.000'"],
    ["% LIMIT {{Int(limit)}}", "0"],
    ["% {{UInt64(n)}}", "toUInt64('0')"],
    ["% {{symbol(attr)}}", "`placeholder`"],
    ["% {{table(t)}}", "placeholder"],
    ["% {{Array(foo, 'Int32')}}", "[0,0]"],
    ["% {{Array(foo, 'Float64')}}", "[0.0,0.0]"],
    ["% {{Array(foo)}}", "['']"],
    ["% {{String(foo)}}", "'__no_value__'"],
    ["% {{String(foo + 'abcd')}}", "'__no_value__'"],
    ["% {{String(foo, 'test')}}", "'test'"],
    ["% {{Boolean(b)}}", "0"],
    ["% {{day_diff(a, b)}}", "0"],
    ["% {{error('nope')}}", "-- {x} \n"],
    ["% {% if defined(x) %}x{% else %}none{% end %}", "none"],
    ["% {% for v in test %}{{v}},{% end %}", "'__no_value__','__no_value__','__no_value__',"],
  ])("%j renders a sample", (src, out) => {
    expect(sql(src, {}, { mode: "check" })).toBe(src.slice(1).replace(/\{\{.*\}\}|\{%.*%\}/, out).replace(/^ /, " "));
  });

  it("supplied params still win", () => {
    expect(sql("% {{Int32(a)}}", { a: "3" }, { mode: "check" })).toBe(" toInt32('3')");
  });

  it("a parsed placeholder JSON fails like Tinybird's", () => {
    expect(fail("% {% for kv in JSON(payload) %}{{kv}}{% end %}", {}, { mode: "check" }).message).toBe(
      `${S}Error parsing JSON: '__no_value__' - Expecting value: line 1 column 1 (char 0)`,
    );
  });

  it("comparing a placeholder explains the fix", () => {
    expect(fail("% {% if x > 0 %}{% end %}", {}, { mode: "check" }).message).toBe(
      "'>' not supported between instances of 'Placeholder' and 'int'. If you are using a dynamic parameter, you need to wrap it around a valid Data Type (e.g. Int8(placeholder))",
    );
  });

  it("normal mode with defaults only", () => {
    expect(render(compileTemplate("% {{Int32(a, 1)}} {{String(b, 'x')}}"), {}).sql).toBe(" toInt32('1') 'x'");
  });
});
