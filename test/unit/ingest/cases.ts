/**
 * The conformance table for value coercion: (type, JSON input text) → exact
 * output value, or quarantine. Shared by the unit test (validator output) and
 * the node round-trip test (ClickHouse stores exactly what was validated:
 * `stored` is `toString(x)` read back, defaulting to the output's text).
 */

export interface AcceptCase {
  type: string;
  /** JSON text of the value, as it appears in the line. */
  json: string;
  /** The coerced value in the output row; `undefined` = key left out (DEFAULT applies). */
  out: unknown;
  /** `toString(x)` in ClickHouse after inserting the output (null for NULL); defaults to String(out) / JSON of out. */
  stored?: string | null;
}

export interface RejectCase {
  type: string;
  json: string;
  /** Appended to the message (`…is not <Type>: <because>`) when the type name alone does not say why. */
  because?: string;
  /** The raw value as the quarantine row shows it, when it is not the JSON text (defaults to it). */
  raw?: string;
}

const ok = (type: string, json: string, out: unknown, stored?: string | null): AcceptCase =>
  stored === undefined ? { type, json, out } : { type, json, out, stored };
const no = (type: string, json: string, because?: string, raw?: string): RejectCase => ({ type, json, ...(because ? { because } : {}), ...(raw ? { raw } : {}) });
const LONE = (escaped: string) => `it holds a lone UTF-16 surrogate (${escaped}), which is not Unicode text`;

export const ACCEPT: AcceptCase[] = [
  // ---- integers: exact ranges, numeric strings, 64-bit+ as strings
  ok("Int8", "-128", -128), ok("Int8", "127", 127), ok("Int8", '"-12"', -12), ok("Int8", '"+5"', 5),
  ok("Int8", "true", 1), ok("Int8", "1.0", 1), ok("Int8", "-0", 0),
  ok("UInt8", "0", 0), ok("UInt8", "255", 255), ok("UInt8", '"255"', 255),
  ok("Int16", "-32768", -32768), ok("Int16", "32767", 32767),
  ok("UInt16", "65535", 65535),
  ok("Int32", "-2147483648", -2147483648), ok("Int32", "2147483647", 2147483647), ok("Int32", "1e3", 1000),
  ok("UInt32", "4294967295", 4294967295),
  ok("Int64", "-9223372036854775808", "-9223372036854775808"), ok("Int64", "9223372036854775807", "9223372036854775807"),
  ok("Int64", '"9223372036854775807"', "9223372036854775807"), ok("Int64", "42", 42), ok("Int64", '"-0042"', "-42"),
  ok("Int64", "9007199254740993", "9007199254740993"),
  ok("UInt64", "18446744073709551615", "18446744073709551615"), ok("UInt64", '"18446744073709551615"', "18446744073709551615"),
  ok("Int128", '"-170141183460469231731687303715884105728"', "-170141183460469231731687303715884105728"),
  ok("Int128", "170141183460469231731687303715884105727", "170141183460469231731687303715884105727"),
  ok("UInt128", '"340282366920938463463374607431768211455"', "340282366920938463463374607431768211455"),
  ok("Int256", '"-57896044618658097711785492504343953926634992332820282019728792003956564819968"', "-57896044618658097711785492504343953926634992332820282019728792003956564819968"),
  ok("UInt256", "115792089237316195423570985008687907853269984665640564039457584007913129639935", "115792089237316195423570985008687907853269984665640564039457584007913129639935"),

  // ---- floats
  ok("Float64", "1.5", 1.5), ok("Float64", "-0.000001", -0.000001), ok("Float64", "1e308", 1e308, "1e308"),
  ok("Float64", '"2.5"', 2.5), ok("Float64", '"1e3"', 1000), ok("Float64", "7", 7),
  ok("Float64", '"inf"', "inf"), ok("Float64", '"-Infinity"', "-inf"), ok("Float64", '"NaN"', "nan"),
  ok("Float32", "0.5", 0.5), ok("Float32", "3.4028234663852886e38", 3.4028234663852886e38, "3.4028235e38"),
  ok("Float64", "-0", -0, "-0"), ok("Float64", "100000000000000000000", 100000000000000000000, "100000000000000000000"),
  ok("Float32", '"inf"', "inf"),

  // ---- decimals: precision and scale (extra fraction digits are truncated, as ClickHouse does)
  ok("Decimal(10, 2)", "1.5", "1.50", "1.5"), ok("Decimal(10, 2)", '"12345678.99"', "12345678.99"),
  ok("Decimal(10, 2)", "-0.001", "0.00", "0"), ok("Decimal(10, 2)", "1.239", "1.23"), ok("Decimal(10, 2)", "1e2", "100.00", "100"),
  ok("Decimal(10, 2)", '"-99999999.99"', "-99999999.99"),
  ok("Decimal(38, 10)", "1234567890123456789012345678.0123456789", "1234567890123456789012345678.0123456789"),
  ok("Decimal(5, 0)", "99999", "99999"),
  ok("Decimal64(4)", '"-3.14159"', "-3.1415"), ok("Decimal(10, 2)", '"7.5"', "7.5"), ok("Decimal(10, 2)", '"-007"', "-007", "-7"),
  ok("Decimal(10, 2)", '"1.5e1"', "15.00", "15"),

  // ---- Bool
  ok("Bool", "true", true), ok("Bool", "false", false), ok("Bool", "1", true), ok("Bool", "0", false),
  ok("Bool", '"true"', true), ok("Bool", '"FALSE"', false), ok("Bool", '"1"', true),

  // ---- String: non-strings become their JSON text
  ok("String", '"héllo 🌍"', "héllo 🌍"), ok("String", '""', ""), ok("String", '"a\\nb\\"c"', 'a\nb"c'),
  ok("String", "12", "12"), ok("String", "1.25", "1.25"), ok("String", "true", "true"),
  ok("String", '{"a":[1,2]}', '{"a":[1,2]}'), ok("String", "[1,\"x\"]", '[1,"x"]'),
  ok("String", "123456789012345678901", "123456789012345678901"),
  ok("FixedString(3)", '"abc"', "abc"), ok("FixedString(3)", '"ab"', "ab"), ok("FixedString(3)", '"é"', "é"),
  ok("LowCardinality(String)", '"x"', "x"),

  // ---- UUID
  ok("UUID", '"123e4567-e89b-12d3-a456-426614174000"', "123e4567-e89b-12d3-a456-426614174000"),
  ok("UUID", '"123E4567E89B12D3A456426614174000"', "123e4567-e89b-12d3-a456-426614174000"),

  // ---- dates
  ok("Date", '"2024-02-29"', "2024-02-29"), ok("Date", '"1970-01-01"', "1970-01-01"), ok("Date", '"2149-06-06"', "2149-06-06"),
  ok("Date", "19000", "2022-01-08"),
  ok("Date32", '"1900-01-01"', "1900-01-01"), ok("Date32", '"2299-12-31"', "2299-12-31"), ok("Date32", "-1", "1969-12-31"),
  ok("DateTime('UTC')", '"2024-01-02 03:04:05"', "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", '"2024-01-02T03:04:05Z"', 1704164645, "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", '"2024-01-02T03:04:05.999Z"', 1704164645, "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", '"2024-01-02T05:04:05+02:00"', 1704164645, "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", '"2024-01-01T21:34:05-0530"', 1704164645, "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", '"2024-01-02T03:04:05"', "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", '"2024-01-02"', "2024-01-02 00:00:00"),
  ok("DateTime('UTC')", "1704164645", 1704164645, "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", '"1704164645"', 1704164645, "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", "1704164645.75", 1704164645, "2024-01-02 03:04:05"),
  ok("DateTime('UTC')", '"1970-01-01 00:00:00"', "1970-01-01 00:00:00"),
  ok("DateTime('UTC')", '"2106-02-07 06:28:15"', "2106-02-07 06:28:15"),
  ok("DateTime('UTC')", '"2024-02-29 23:59:59"', "2024-02-29 23:59:59"),
  ok("DateTime", '"2024-01-02 03:04:05"', "2024-01-02 03:04:05"),
  ok("DateTime64(3, 'UTC')", '"2024-01-02 03:04:05.123"', "2024-01-02 03:04:05.123"),
  ok("DateTime64(3, 'UTC')", '"2024-01-02 03:04:05"', "2024-01-02 03:04:05.000"),
  ok("DateTime64(3, 'UTC')", '"2024-01-02 03:04:05.123456"', "2024-01-02 03:04:05.123"),
  ok("DateTime64(3, 'UTC')", '"2024-01-02T03:04:05.1Z"', "1704164645.100", "2024-01-02 03:04:05.100"),
  ok("DateTime64(3, 'UTC')", '"2024-01-02T04:04:05.5+01:00"', "1704164645.500", "2024-01-02 03:04:05.500"),
  ok("DateTime64(3, 'UTC')", "1704164645123", "1704164645.123", "2024-01-02 03:04:05.123"),
  ok("DateTime64(3, 'UTC')", "1704164645.5", "1704164645.500", "2024-01-02 03:04:05.500"),
  ok("DateTime64(3, 'UTC')", '"1950-06-01 12:00:00.250"', "1950-06-01 12:00:00.250"),
  ok("DateTime64(6, 'UTC')", '"2024-01-02T03:04:05.123456789Z"', "1704164645.123456", "2024-01-02 03:04:05.123456"),
  ok("DateTime64(0, 'UTC')", '"2024-01-02T03:04:05.9Z"', "1704164645", "2024-01-02 03:04:05"),
  // DateTime64(9) holds nanoseconds in an Int64: up to 2262-04-11 23:47:16.85, the last whole second kept
  ok("DateTime64(9, 'UTC')", '"2262-04-11 23:47:15.123456789"', "2262-04-11 23:47:15.123456789"),
  ok("DateTime64(9, 'UTC')", '"2262-04-11T23:47:15Z"', "9223372035.000000000", "2262-04-11 23:47:15.000000000"),
  ok("DateTime64(9, 'Asia/Tokyo')", '"2262-04-11 09:00:00"', "2262-04-11 09:00:00.000000000"),
  ok("DateTime64(9, 'Asia/Tokyo')", '"2262-04-12 08:00:00"', "2262-04-12 08:00:00.000000000"),
  // read in the column's zone, wall-clock text near a limit is resolved to the instant ClickHouse stores
  ok("DateTime('Asia/Tokyo')", '"2106-02-07 15:00:00"', "2106-02-07 15:00:00"),
  ok("DateTime('America/New_York')", '"1969-12-31 20:00:00"', "1969-12-31 20:00:00"),

  // ---- composites
  ok("Array(Int32)", "[1,2,3]", [1, 2, 3], "[1,2,3]"), ok("Array(Int32)", "[]", [], "[]"),
  ok("Array(Int32)", '["1",2]', [1, 2], "[1,2]"),
  ok("Array(Nullable(String))", '["a",null]', ["a", null], "['a',NULL]"),
  ok("Array(Array(UInt8))", "[[1],[2,3]]", [[1], [2, 3]], "[[1],[2,3]]"),
  ok("Array(UInt64)", '[18446744073709551615,"1"]', ["18446744073709551615", "1"], "[18446744073709551615,1]"),
  ok("Array(DateTime('UTC'))", '["2024-01-02T03:04:05Z"]', [1704164645], "['2024-01-02 03:04:05']"),
  ok("Array(UInt8)", "[-0,1]", [-0, 1], "[0,1]"), ok("UInt8", "-0", 0, "0"), ok("UInt64", "-0", 0, "0"),
  ok("Map(String, UInt64)", '{"a":1,"b":"2"}', { a: 1, b: "2" }, "{'a':1,'b':2}"),
  ok("Map(Int32, String)", '{"1":"x","-2":"y"}', { "1": "x", "-2": "y" }, "{1:'x',-2:'y'}"),
  ok("Map(String, Nullable(Int8))", '{"k":null}', { k: null }, "{'k':NULL}"),
  ok("Tuple(a Int32, b String)", '{"a":1,"b":"x"}', { a: 1, b: "x" }, "(1,'x')"),
  ok("Tuple(a Int32, b String)", '[1,"x"]', { a: 1, b: "x" }, "(1,'x')"),
  ok("Tuple(a Int32, b String)", '{"a":"7"}', { a: 7 }, "(7,'')"),
  ok("Tuple(Int32, String)", '[1,"x"]', [1, "x"], "(1,'x')"),
  ok("Tuple(a Nullable(Int32), b Array(String))", '{"a":null,"b":["q"]}', { a: null, b: ["q"] }, "(NULL,['q'])"),

  // ---- Nullable, LowCardinality(Nullable)
  ok("Nullable(Int32)", "null", null, null), ok("Nullable(Int32)", "5", 5),
  ok("LowCardinality(Nullable(String))", "null", null, null),
  ok("Nullable(DateTime('UTC'))", '"2024-01-02T03:04:05Z"', 1704164645, "2024-01-02 03:04:05"),

  // ---- Enum: by name or by number; output is the name
  ok("Enum8('a' = 1, 'b' = 2)", '"a"', "a"), ok("Enum8('a' = 1, 'b' = 2)", "2", "b"), ok("Enum8('a' = 1, 'b' = 2)", '"2"', "b"),
  ok("Enum16('lo' = -1000, 'hi' = 1000)", "-1000", "lo"),

  // ---- IP
  ok("IPv4", '"1.2.3.4"', "1.2.3.4"), ok("IPv4", '"255.255.255.255"', "255.255.255.255"), ok("IPv4", "16909060", "1.2.3.4"),
  ok("IPv6", '"::1"', "::1"), ok("IPv6", '"2001:db8::ff00:42:8329"', "2001:db8::ff00:42:8329"),
  ok("IPv6", '"1.2.3.4"', "1.2.3.4", "::ffff:1.2.3.4"), ok("IPv6", '"::ffff:1.2.3.4"', "::ffff:1.2.3.4"),

  // ---- JSON, SimpleAggregateFunction
  ok("JSON", '{"a":1,"b":{"c":"x"}}', { a: 1, b: { c: "x" } }),
  ok("JSON", '{"a":1,"a.b":2}', { a: 1, "a.b": 2 }, '{"a":1,"a":{"b":2}}'),
  ok("JSON", '{"a":18446744073709549568,"b":-9223372036854774784}', { a: 18446744073709549568, b: -9223372036854774784 }, '{"a":18446744073709549568,"b":-9223372036854774784}'),
  ok("JSON", '{"a":1e21,"b":[{"c":1},{"c":"x"}]}', { a: 1e21, b: [{ c: 1 }, { c: "x" }] }, '{"a":1e21,"b":[{"c":1},{"c":"x"}]}'),
  ok("String", '"🌍 \\ud83c\\udf0d"', "🌍 🌍"),
  ok("Dynamic", '{"a":[1,"x"]}', { a: [1, "x"] }, "([1,'x'])"), ok("Dynamic", "1e300", 1e300, "1e300"),
  ok("SimpleAggregateFunction(sum, UInt64)", "5", 5),
  ok("SimpleAggregateFunction(max, DateTime('UTC'))", '"2024-01-02T03:04:05Z"', 1704164645, "2024-01-02 03:04:05"),
];

export const REJECT: RejectCase[] = [
  // integers: ±1 past the limits, fractions, junk
  no("Int8", "128"), no("Int8", "-129"), no("Int8", '"128"'), no("Int8", "1.5"), no("Int8", '""'), no("Int8", '" 5"'),
  no("Int8", '"1e2"'), no("Int8", '"abc"'), no("Int8", "[1]"), no("Int8", "{}"),
  no("UInt8", "256"), no("UInt8", "-1"), no("Int16", "32768"), no("Int16", "-32769"), no("UInt16", "65536"),
  no("Int32", "2147483648"), no("Int32", "-2147483649"), no("UInt32", "4294967296"), no("UInt32", "-1"),
  no("Int64", "9223372036854775808"), no("Int64", '"-9223372036854775809"'), no("UInt64", "18446744073709551616"), no("UInt64", "-1"),
  no("UInt64", '"-1"'), no("Int64", "1.5"),
  no("Int128", '"170141183460469231731687303715884105728"'),
  no("UInt256", "115792089237316195423570985008687907853269984665640564039457584007913129639936"),
  // floats
  no("Float64", '""'), no("Float64", '"abc"'), no("Float64", "true"), no("Float64", '" 1"'), no("Float32", "3.5e+38"), no("Float32", '"-1e39"'),
  // decimals
  no("Decimal(10, 2)", "123456789"), no("Decimal(10, 2)", '"100000000.00"'), no("Decimal(5, 2)", "1234.5"), no("Decimal(10, 2)", '"1.2.3"'),
  no("Decimal(10, 2)", '"abc"'), no("Decimal(10, 2)", "true"),
  // Bool
  no("Bool", "2"), no("Bool", '"yes"'), no("Bool", '""'), no("Bool", "[]"),
  // FixedString: bytes, not characters
  no("FixedString(3)", '"abcd"'), no("FixedString(3)", '"éé"'), no("FixedString(2)", '"🌍"'),
  // UUID
  no("UUID", '"not-a-uuid"'), no("UUID", '"123e4567-e89b-12d3-a456-42661417400"'), no("UUID", "1"),
  // dates
  no("Date", '"2023-02-29"'), no("Date", '"2024-13-01"'), no("Date", '"1969-12-31"'), no("Date", '"2149-06-07"'),
  no("Date", '"2024-01-02 10:00:00"'), no("Date", "65536"), no("Date", "-1"), no("Date", '""'),
  no("Date32", '"1899-12-31"'), no("Date32", '"2300-01-01"'), no("Date32", '"0050-01-01"'), no("DateTime64(3)", '"0050-01-01 00:00:00.000"'),
  no("DateTime('UTC')", '"2026-13-45 00:00:00"'), no("DateTime('UTC')", '"2024-02-30 00:00:00"'), no("DateTime('UTC')", '"2024-01-02 24:00:00"'),
  no("DateTime('UTC')", '"2024-01-02 23:60:00"'), no("DateTime('UTC')", '"1969-12-31 23:59:59"'), no("DateTime('UTC')", '"2106-02-07 06:28:16"'),
  no("DateTime('UTC')", "-1"), no("DateTime('UTC')", "4294967296"), no("DateTime('UTC')", '""'), no("DateTime('UTC')", '"yesterday"'),
  no("DateTime('UTC')", '"2024-01-02T03:04:05+15:00"'), no("DateTime('UTC')", "true"),
  no("DateTime64(3, 'UTC')", '"1899-12-31 23:59:59"'), no("DateTime64(3, 'UTC')", '"2300-01-01 00:00:00"'),
  no("DateTime64(3, 'UTC')", '"1969-12-31T23:59:59Z"'),
  // composites and nested nulls
  no("Array(Int32)", "1"), no("Array(Int32)", '"[1,2]"'), no("Array(Int32)", "[1,null]"), no("Array(UInt8)", "[1,256]"),
  no("Array(Array(UInt8))", "[[1],[null]]"),
  no("Map(String, UInt8)", "[1]"), no("Map(String, UInt8)", '{"a":-1}'), no("Map(Int32, String)", '{"x":"y"}'), no("Map(String, String)", '{"a":null}'),
  no("Tuple(a Int32, b String)", '{"a":1,"c":2}'), no("Tuple(a Int32, b String)", "[1]"), no("Tuple(Int32, String)", '{"a":1}'),
  no("Tuple(Int32, String)", '[1,"x",3]'), no("Tuple(a Int32, b String)", '{"a":null}'),
  // Enum, IP, JSON, AggregateFunction
  no("Enum8('a' = 1, 'b' = 2)", '"c"'), no("Enum8('a' = 1, 'b' = 2)", "3"), no("Enum8('a' = 1, 'b' = 2)", "true"),
  no("IPv4", '"256.1.1.1"'), no("IPv4", '"1.2.3"'), no("IPv4", '"01.2.3.4"'), no("IPv4", "-1"), no("IPv4", '"::1"'),
  no("IPv6", '"1::2::3"'), no("IPv6", '"12345::"'), no("IPv6", '"g::1"'), no("IPv6", '"1:2:3:4:5:6:7:8:9"'),
  no("JSON", "[1]"), no("JSON", '"x"'), no("JSON", "1"),
  // ClickHouse refuses the whole insert over these: caught at the edge, with the reason
  no("String", '"x\\ud800y"', LONE("\\ud800"), "x\\ud800y"), no("String", '"\\udc00"', LONE("\\udc00"), "\\udc00"),
  no("String", '"\\udc00\\ud800"', LONE("\\udc00"), "\\udc00\\ud800"),
  no("LowCardinality(Nullable(String))", '"\\ud83c"', LONE("\\ud83c"), "\\ud83c"),
  no("Array(String)", '["ok","\\udfff"]', LONE("\\udfff"), '["ok","\\udfff"]'),
  no("Map(String, UInt8)", '{"\\ud800":1}', LONE("\\ud800"), '{"\\ud800":1}'),
  no("JSON", '{"a":{"b":"\\udbff"}}', LONE("\\udbff"), '{"a":{"b":"\\udbff"}}'),
  no("Float64", "1e309", undefined, "1e309"), no("Float64", "-1e400", undefined, "-1e400"), no("Array(Float64)", "[1,1e400]", undefined, "[1,Infinity]"),
  no("DateTime64(9, 'UTC')", '"2262-04-11 23:47:16"'), no("DateTime64(9, 'UTC')", '"2299-01-01 00:00:00"'),
  no("DateTime64(9, 'UTC')", "9223372036854775807"), no("DateTime64(9, 'UTC')", '"2262-04-11T23:47:16Z"'),
  // read in the column's zone, wall-clock text this close to the limit may pass it
  no("DateTime64(9, 'America/New_York')", '"2262-04-11 20:00:00"'), no("DateTime64(9, 'Asia/Tokyo')", '"2262-04-12 09:00:00"'),
  // ClickHouse would clamp these silently (to 1970-01-01 00:00:00 / 2106-02-07 06:28:15 UTC)
  no("DateTime('Asia/Tokyo')", '"1970-01-01 05:00:00"'), no("DateTime('America/New_York')", '"2106-02-07 06:28:15"'),
  no("DateTime('Asia/Tokyo')", '"2106-02-07 15:28:16"'),
  no("Map(Bool, String)", '{"true":"x"}', "ClickHouse cannot read Bool map keys from JSON"),
  no("JSON", '{"a":{"b":1},"a.b":2}', "path 'a.b' has two values (dotted keys are paths)"),
  no("JSON", '{"a":[{"b":{"c":1},"b.c":2}]}', "path 'b.c' has two values (dotted keys are paths)"),
  no("JSON", '{"a":1e400}', "a number is beyond the range of Float64", '{"a":Infinity}'),
  no("JSON", '{"a":[[1,-1e400]]}', "a number is beyond the range of Float64", '{"a":[[1,-Infinity]]}'),
  no("JSON", '{"a":100000000000000000000}', "an integer is outside Int64/UInt64 (send it as a string, or with an exponent past 1e21)"),
  no("JSON", '{"a":18446744073709551616}', "an integer is outside Int64/UInt64 (send it as a string, or with an exponent past 1e21)", '{"a":18446744073709552000}'),
  no("JSON", '{"a":-9223372036854775809}', "an integer is outside Int64/UInt64 (send it as a string, or with an exponent past 1e21)", '{"a":-9223372036854776000}'),
  no("Dynamic", "1e400", undefined, "Infinity"), no("Dynamic", '{"a":[1e400]}', "a number is beyond the range of Float64", '{"a":[Infinity]}'),
  no("AggregateFunction(uniq, String)", '"x"'),
];
