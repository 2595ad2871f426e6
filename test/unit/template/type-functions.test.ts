import { describe, expect, it } from "vitest";
import { fail, sql } from "./helpers.js";

const S = "Template Syntax Error: ";
const REQ = (names: string) =>
  `${S}Required parameter is not defined. Check the parameters ${names}. Please provide a value or set a default value in the pipe code.`;

describe("String", () => {
  it.each([
    ["%\nSELECT {{String(x)}}", { x: "abc" }, "\nSELECT 'abc'"],
    ["% SELECT {{String(x, 'd')}}", {}, " SELECT 'd'"],
    ["% SELECT {{String(x, default='d')}}", {}, " SELECT 'd'"],
    ["% SELECT {{String(x, 'd')}}", { x: "" }, " SELECT ''"],
    ["% SELECT {{String(x, 'd', description='Name', required=False, example='ann', format='text', enum=['a','b'])}}", { x: "v" }, " SELECT 'v'"],
    ["% SELECT {{String(x)}}", { x: 5 }, " SELECT '5'"],
    ["% SELECT {{String(x)}}", { x: 1.5 }, " SELECT '1.5'"],
    ["% SELECT {{String(x)}}", { x: true }, " SELECT 'True'"],
    ["% SELECT {{String(x)}}", { x: ["a", "b"] }, " SELECT '[\\'a\\', \\'b\\']'"],
    ["% SELECT {{x}}", { x: "bare" }, " SELECT 'bare'"],
  ] as const)("%s with %j", (src, params, out) => {
    expect(sql(src, params)).toBe(out);
  });

  it("a missing required String names every undefaulted param of the node", () => {
    expect(fail("% SELECT {{String(a)}}, {{String(b, 'x')}}, {{Int32(c)}}")).toEqual({
      cls: "MissingParameterError",
      status: 400,
      message: REQ("a and c"),
    });
  });

  it("lists three params with commas and 'and'", () => {
    expect(fail("% SELECT {{String(a)}}, {{String(b)}}, {{Int32(c)}}").message).toBe(REQ("a, b and c"));
  });

  it("defined(x) alone does not count as a required param", () => {
    expect(fail("% {% if defined(y) %}1{% end %} {{String(a)}}").message).toBe(REQ("a"));
  });

  it("`or` is outside the {{ }} sandbox (as in Tinybird)", () => {
    expect(fail("% SELECT {{String(x, defined=False) or 'none'}}")).toEqual({
      cls: "SandboxError",
      status: 400,
      message: `${S}Invalid expression type: BoolOp(op=Or(), values=[Call(func=Name(id='String', ctx=Load()), args=[Name(id='x', ctx=Load())], keywords=[keyword(arg='defined', value=Constant(value=False))]), Constant(value='none')])`,
    });
  });

  it("defined=False returns null, which is an error inside {{ }}", () => {
    expect(fail("% SELECT {{String(x, defined=False)}}")).toEqual({
      cls: "SqlTemplateError",
      status: 400,
      message: `${S}expression "String(x, defined=Fa..." evaluated to null`,
    });
  });
});

describe("signed integers", () => {
  it.each([
    ["Int8", "-128", "toInt8('-128')"],
    ["Int8", "127", "toInt8('127')"],
    ["Int16", "-32768", "toInt16('-32768')"],
    ["Int16", "32767", "toInt16('32767')"],
    ["Int32", "2147483647", "toInt32('2147483647')"],
    ["Int32", "-2147483648", "toInt32('-2147483648')"],
    ["Int32", "+5", "toInt32('5')"],
    ["Int32", "007", "toInt32('7')"],
    ["Int32", "-0", "toInt32('0')"],
    ["Int32", "5\n", "toInt32('5')"],
    ["Int64", "9223372036854775807", "toInt64('9223372036854775807')"],
    ["Int64", "-9223372036854775808", "toInt64('-9223372036854775808')"],
    ["Int128", "170141183460469231731687303715884105727", "toInt128('170141183460469231731687303715884105727')"],
    ["Int256", "-57896044618658097711785492504343953926634992332820282019728792003956564819968", "toInt256('-57896044618658097711785492504343953926634992332820282019728792003956564819968')"],
  ])("%s(%j) renders %s", (type, value, out) => {
    expect(sql(`% {{${type}(x)}}`, { x: value })).toBe(` ${out}`);
  });

  it.each([
    ["Int8", "128"],
    ["Int8", "-129"],
    ["Int16", "32768"],
    ["Int32", "2147483648"],
    ["Int32", "-2147483649"],
    ["Int64", "9223372036854775808"],
    ["Int128", "170141183460469231731687303715884105728"],
    ["Int256", "57896044618658097711785492504343953926634992332820282019728792003956564819968"],
    ["Int32", "1.5"],
    ["Int32", "1e3"],
    ["Int32", " 5"],
    ["Int32", "5 "],
    ["Int32", "0x10"],
    ["Int32", "1_000"],
    ["Int32", ""],
    ["Int32", "five"],
    ["Int32", "1; DROP TABLE t"],
    ["Int32", "٥"],
  ])("%s rejects %j", (type, value) => {
    expect(fail(`% {{${type}(x)}}`, { x: value })).toEqual({
      cls: "InvalidParameterError",
      status: 400,
      message: `${S}Error validating '${value}' to type ${type}`,
    });
  });

  it("validates the default too", () => {
    expect(fail("% {{Int8(x, 300)}}").message).toBe(`${S}Error validating '300' to type Int8`);
  });

  it("uses the default when missing", () => {
    expect(sql("% LIMIT {{Int32(limit, 20)}}")).toBe(" LIMIT toInt32('20')");
  });

  it("accepts a JSON number", () => {
    expect(sql("% {{Int64(x)}}", { x: 42 })).toBe(" toInt64('42')");
  });

  it("rejects a JSON float", () => {
    expect(fail("% {{Int64(x)}}", { x: 4.5 }).message).toBe(`${S}Error validating '4.5' to type Int64`);
  });

  it("rejects a JSON boolean", () => {
    expect(fail("% {{Int32(x)}}", { x: true }).message).toBe(`${S}Error validating 'True' to type Int32`);
  });

  it("arithmetic on typed ints gives a bare int (pagination)", () => {
    expect(sql("% LIMIT {{Int32(page_size, 20)}} OFFSET {{Int32(page, 0) * Int32(page_size, 20)}}", { page: "3" })).toBe(
      " LIMIT toInt32('20') OFFSET 60",
    );
  });
});

describe("unsigned integers", () => {
  it.each([
    ["UInt8", "255", "toUInt8('255')"],
    ["UInt16", "65535", "toUInt16('65535')"],
    ["UInt32", "4294967295", "toUInt32('4294967295')"],
    ["UInt64", "18446744073709551615", "toUInt64('18446744073709551615')"],
    ["UInt128", "340282366920938463463374607431768211455", "toUInt128('340282366920938463463374607431768211455')"],
    ["UInt256", "0", "toUInt256('0')"],
    ["UInt128", "+7", "toUInt128('7')"],
  ])("%s(%j) renders %s", (type, value, out) => {
    expect(sql(`% {{${type}(x)}}`, { x: value })).toBe(` ${out}`);
  });

  it.each([
    ["UInt8", "256"],
    ["UInt8", "-1"],
    ["UInt8", "+1"],
    ["UInt64", "18446744073709551616"],
    ["UInt128", "-1"],
    ["UInt256", "115792089237316195423570985008687907853269984665640564039457584007913129639936"],
  ])("%s rejects %j", (type, value) => {
    expect(fail(`% {{${type}(x)}}`, { x: value }).message).toBe(`${S}Error validating '${value}' to type ${type}`);
  });
});

describe("Int and Integer", () => {
  it.each([
    ["% LIMIT {{Int(x)}}", { x: "10" }, " LIMIT 10"],
    ["% LIMIT {{Integer(x)}}", { x: "-3" }, " LIMIT -3"],
    ["% LIMIT {{Int(x, 5)}}", {}, " LIMIT 5"],
  ] as const)("%s with %j", (src, params, out) => {
    expect(sql(src, params)).toBe(out);
  });

  it("validates as Int32", () => {
    expect(fail("% {{Int(x)}}", { x: "2147483648" }).message).toBe(`${S}Error validating '2147483648' to type Int32`);
  });
});

describe("floats", () => {
  it.each([
    ["Float32", "1.5", "toFloat32('1.5')"],
    ["Float32", "1", "toFloat32('1.0')"],
    ["Float64", "-0.1", "toFloat64('-0.1')"],
    ["Float64", "1e3", "toFloat64('1000.0')"],
    ["Float64", "1e16", "toFloat64('1e+16')"],
    ["Float64", "0.00001", "toFloat64('1e-05')"],
    ["Float64", ".5", "toFloat64('0.5')"],
    ["Float64", "5.", "toFloat64('5.0')"],
    ["Float64", " 2.5\n", "toFloat64('2.5')"],
    ["Float64", "inf", "toFloat64('inf')"],
    ["Float64", "-Infinity", "toFloat64('-inf')"],
    ["Float64", "nan", "toFloat64('nan')"],
    ["Float64", "1e400", "toFloat64('inf')"],
    ["Float64", "0.1", "toFloat64('0.1')"],
    ["Float64", "123456789012345678", "toFloat64('1.2345678901234568e+17')"],
  ])("%s(%j) renders %s", (type, value, out) => {
    expect(sql(`% {{${type}(x)}}`, { x: value })).toBe(` ${out}`);
  });

  it.each([["abc"], ["1_000.0"], [""], ["1.5.5"], ["0x10"], ["1e"], ["'; DROP TABLE t"]])("Float64 rejects %j", (value) => {
    expect(fail("% {{Float64(x)}}", { x: value }).message).toBe(`${S}Error validating '${value}' to type Float64`);
  });

  it("a JSON int becomes a float", () => {
    expect(sql("% {{Float32(x)}}", { x: -1 })).toBe(" toFloat32('-1.0')");
  });

  it("the default renders through the same cast", () => {
    expect(sql("% {{Float32(x, 0.5)}}")).toBe(" toFloat32('0.5')");
  });
});

describe("Boolean", () => {
  it.each([
    [{ x: "1" }, "1"],
    [{ x: "0" }, "0"],
    [{ x: "true" }, "1"],
    [{ x: "FALSE" }, "0"],
    [{ x: "False" }, "0"],
    [{ x: "yes" }, "1"],
    [{ x: "" }, "0"],
    [{ x: true }, "1"],
    [{ x: false }, "0"],
    [{}, "0"],
  ] as const)("Boolean with %j renders %s", (params, out) => {
    expect(sql("% {{Boolean(x)}}", params)).toBe(` ${out}`);
  });

  it("a missing Boolean uses its default", () => {
    expect(sql("% {{Boolean(x, True)}} {{Boolean(y, 'FALSE')}}")).toBe(" 1 0");
  });

  it("Boolean takes no metadata kwargs (as in Tinybird)", () => {
    expect(fail("% {{Boolean(x, False, description='d')}}")).toEqual({
      cls: "TemplateValueError",
      status: 400,
      message: "boolean() got an unexpected keyword argument 'description'",
    });
  });
});

describe("Date, DateTime, DateTime64", () => {
  it.each([
    ["Date", "2025-01-31", "'2025-01-31'"],
    ["Date", "2025-99-99", "'2025-99-99'"],
    ["DateTime", "2025-01-31 10:00:00", "'2025-01-31 10:00:00'"],
    ["DateTime", "2025-01-31T10:00:00", "'2025-01-31T10:00:00'"],
    ["DateTime", "2025/01/31 10:00:00.123Z", "'2025/01/31 10:00:00.123Z'"],
    ["DateTime", "31-01-2025 1:2:3", "'31-01-2025 1:2:3'"],
    ["DateTime", "2025-01-31 10:00:00'; DROP TABLE t --", "'2025-01-31 10:00:00\\'; DROP TABLE t --'"],
    ["DateTime64", "2025-01-31 10:00:00.000", "'2025-01-31 10:00:00.000'"],
    ["DateTime64", "2025-01-31T10:00:00.123456", "'2025-01-31T10:00:00.123456'"],
  ])("%s(%j) renders %s", (type, value, out) => {
    expect(sql(`% {{${type}(x)}}`, { x: value })).toBe(` ${out}`);
  });

  it.each([
    ["Date", "2025-1-31"],
    ["Date", "2025-01-31 00:00:00"],
    ["Date", "20250131"],
    ["DateTime", "2025-01-31"],
    ["DateTime", "2025-01-31 10:00"],
    ["DateTime", "yesterday"],
    ["DateTime64", "2025-01-31 10:00:00"],
    ["DateTime64", "2025-01-31 10:00:00.1"],
  ])("%s rejects %j", (type, value) => {
    expect(fail(`% {{${type}(x)}}`, { x: value }).message).toBe(`${S}Error validating '${value}' to type ${type}`);
  });

  it("defaults render quoted", () => {
    expect(sql("% {{DateTime64(t, '2020-09-09 10:10:10.000')}} {{Date(d, '2020-01-01')}}")).toBe(
      " '2020-09-09 10:10:10.000' '2020-01-01'",
    );
  });
});

describe("Array", () => {
  it.each([
    ["% {{Array(x)}}", { x: "a,b,c" }, " ['a','b','c']"],
    ["% {{Array(x, 'String')}}", { x: ["a", "b"] }, " ['a','b']"],
    ["% {{Array(x, 'Int32')}}", { x: "1,2,3" }, " [1,2,3]"],
    ["% {{Array(x, 'Int32')}}", { x: ["1", "2"] }, " [1,2]"],
    ["% {{Array(x, 'Int64')}}", { x: [1, 2] }, " [1,2]"],
    ["% {{Array(x, 'Float32')}}", { x: "1.5,2" }, " [1.5,2.0]"],
    ["% {{Array(x, 'Date')}}", { x: "2025-01-01,2025-01-02" }, " ['2025-01-01','2025-01-02']"],
    ["% {{Array(x, 'DateTime')}}", { x: "2025-01-01 00:00:00" }, " ['2025-01-01 00:00:00']"],
    ["% {{Array(x, 'Boolean')}}", { x: "true,0,false,x" }, " [1,0,0,1]"],
    ["% {{Array(x, 'Int')}}", { x: "4,5" }, " [4,5]"],
    ["% {{Array(x, 'String', 'pre,pro')}}", {}, " ['pre','pro']"],
    ["% {{Array(x, 'String', default=['a','b'])}}", {}, " ['a','b']"],
    ["% {{Array(x, 'Int32', default='1,2')}}", {}, " [1,2]"],
    ["% {{Array(x, 'String', '')}}", {}, " ['']"],
    ["% {{Array(x, 'String')}}", { x: "" }, " ['']"],
    ["% WHERE id IN {{Array(ids, 'UInt64', description='ids')}}", { ids: "18446744073709551615" }, " WHERE id IN [18446744073709551615]"],
  ] as const)("%s with %j", (src, params, out) => {
    expect(sql(src, params)).toBe(out);
  });

  it("names the bad element and its index", () => {
    expect(fail("% {{ Array(embedding, 'Float32') }}", { embedding: "1,2,3,4, null" })).toEqual({
      cls: "InvalidParameterError",
      status: 400,
      message: `${S}Error validating [1,2,3,4, null][4] ( null) to type Float32`,
    });
  });

  it("calls an empty element 'empty string'", () => {
    expect(fail("% {{ Array(x, 'Int32', '') }}").message).toBe(`${S}Error validating [][0] (empty string) to type Int32`);
  });

  it("shows a list value as a Python list", () => {
    expect(fail("% {{ Array(x, 'Int8') }}", { x: ["1", "999"] }).message).toBe(
      `${S}Error validating [['1', '999']][1] (999) to type Int8`,
    );
  });

  it("Int elements are validated as Int32", () => {
    expect(fail("% {{Array(x, 'Int')}}", { x: "1,a" }).message).toBe(`${S}Error validating 'a' to type Int32`);
  });

  it("a missing Array without default is required", () => {
    expect(fail("% {{Array(x, 'Int32')}}").message).toBe(REQ("x"));
  });

  it("defined=False gives null for use in sql_and", () => {
    expect(sql("% {{sql_and(id__in=Array(ids, 'Int32', defined=False), n=String(n, defined=False))}}", { n: "a" })).toBe(" n = 'a'");
  });

  it("Array params are pre-processed into lists for the other expressions", () => {
    expect(sql("% {{Array(x)}} {% if defined(x) and x != [''] %}{{len(x)}}{% end %}", { x: "a,b" })).toBe(" ['a','b'] 2");
  });

  it("only when the first use of the name is the Array() (Tinybird looks at the first entry)", () => {
    expect(sql("% {% if defined(x) %}{{len(x)}}{% end %} {{Array(x)}}", { x: "a,b" })).toBe(" 3 ['a','b']");
  });

  it("the [''] guard skips an empty array param", () => {
    expect(sql("% SELECT 1 {% if defined(x) and x != [''] %}AND a IN {{Array(x)}}{% end %}", { x: "" })).toBe(" SELECT 1 ");
  });
});

describe("JSON", () => {
  it("parses a JSON param for use in expressions", () => {
    expect(
      sql("% SELECT {% for kv in JSON(payload) %} OR d = {{kv['dp']}}{% end %}", { payload: '[{"dp":"Design"},{"dp":"Sales"}]' }),
    ).toBe(" SELECT  OR d = 'Design' OR d = 'Sales'");
  });

  it("get() with a default", () => {
    expect(sql("% {{JSON(f).get('k', 'none')}}", { f: '{"a": 1}' })).toBe(" 'none'");
  });

  it("a missing JSON param is an empty object", () => {
    expect(sql("% {{len(JSON(f))}}")).toBe(" 0");
  });

  it("a string default is parsed", () => {
    expect(sql("% {{JSON(f, '[1, 2]')[1]}}")).toBe(" 2");
  });

  it("reports parse errors like Python's json", () => {
    expect(fail("% {{JSON(f)}}", { f: "" })).toEqual({
      cls: "SqlTemplateError",
      status: 400,
      message: `${S}Error parsing JSON: '' - Expecting value: line 1 column 1 (char 0)`,
    });
  });

  it("truncates long bad input to 16 characters", () => {
    expect(fail("% {{JSON(f)}}", { f: "not json at all, really" }).message).toBe(
      `${S}Error parsing JSON: 'not json at all,...' - Expecting value: line 1 column 1 (char 0)`,
    );
  });

  it("get() on a string explains itself", () => {
    expect(fail("% {% for item in JSON(f) %}{{item.get('op')}}{% end %}", { f: '["test"]' }).message).toBe(
      `${S}'str' object has no attribute 'get'. Make sure you're using an object/dictionary where trying to use .get()`,
    );
  });
});
