import { describe, expect, it } from "vitest";
import { formatClickHouseType, isNullableType, parseClickHouseType, type ClickHouseType } from "../../../shared/datafiles/types.js";

const parsed: [string, ClickHouseType, string][] = [
  ["String", { kind: "string" }, "String"],
  ["UInt8", { kind: "integer", name: "UInt8", bits: 8, signed: false }, "UInt8"],
  ["Int256", { kind: "integer", name: "Int256", bits: 256, signed: true }, "Int256"],
  ["Float32", { kind: "float", name: "Float32" }, "Float32"],
  ["Float64", { kind: "float", name: "Float64" }, "Float64"],
  ["Decimal(18,4)", { kind: "decimal", name: "Decimal", precision: 18, scale: 4 }, "Decimal(18, 4)"],
  ["Decimal(10)", { kind: "decimal", name: "Decimal", precision: 10, scale: 0 }, "Decimal(10, 0)"],
  ["Decimal64(6)", { kind: "decimal", name: "Decimal64", precision: 18, scale: 6 }, "Decimal64(6)"],
  ["Decimal256(20)", { kind: "decimal", name: "Decimal256", precision: 76, scale: 20 }, "Decimal256(20)"],
  ["FixedString(3)", { kind: "fixedString", length: 3 }, "FixedString(3)"],
  ["UUID", { kind: "uuid" }, "UUID"],
  ["Bool", { kind: "bool" }, "Bool"],
  ["Date", { kind: "date" }, "Date"],
  ["Date32", { kind: "date32" }, "Date32"],
  ["DateTime", { kind: "dateTime" }, "DateTime"],
  ["DateTime('Europe/Madrid')", { kind: "dateTime", timezone: "Europe/Madrid" }, "DateTime('Europe/Madrid')"],
  ["DateTime64(3)", { kind: "dateTime64", precision: 3 }, "DateTime64(3)"],
  ["DateTime64(6, 'UTC')", { kind: "dateTime64", precision: 6, timezone: "UTC" }, "DateTime64(6, 'UTC')"],
  ["IPv4", { kind: "ipv4" }, "IPv4"],
  ["IPv6", { kind: "ipv6" }, "IPv6"],
  ["Enum8('a'=1, 'b' = 2)", { kind: "enum", bits: 8, values: [{ name: "a", value: 1 }, { name: "b", value: 2 }] }, "Enum8('a' = 1, 'b' = 2)"],
  ["Enum16('x', 'y')", { kind: "enum", bits: 16, values: [{ name: "x", value: 1 }, { name: "y", value: 2 }] }, "Enum16('x' = 1, 'y' = 2)"],
  ["Enum8('it''s' = -1)", { kind: "enum", bits: 8, values: [{ name: "it's", value: -1 }] }, "Enum8('it\\'s' = -1)"],
  ["Nullable(String)", { kind: "nullable", inner: { kind: "string" } }, "Nullable(String)"],
  ["LowCardinality(Nullable(String))", { kind: "lowCardinality", inner: { kind: "nullable", inner: { kind: "string" } } }, "LowCardinality(Nullable(String))"],
  ["Array(Array(UInt8))", { kind: "array", element: { kind: "array", element: { kind: "integer", name: "UInt8", bits: 8, signed: false } } }, "Array(Array(UInt8))"],
  ["Map(String, Float64)", { kind: "map", key: { kind: "string" }, value: { kind: "float", name: "Float64" } }, "Map(String, Float64)"],
  ["Tuple(String, UInt8)", { kind: "tuple", elements: [{ type: { kind: "string" } }, { type: { kind: "integer", name: "UInt8", bits: 8, signed: false } }] }, "Tuple(String, UInt8)"],
  ["Tuple(lat Float64, lon Float64)", { kind: "tuple", elements: [{ name: "lat", type: { kind: "float", name: "Float64" } }, { name: "lon", type: { kind: "float", name: "Float64" } }] }, "Tuple(lat Float64, lon Float64)"],
  ["JSON", { kind: "json" }, "JSON"],
  ["JSON(max_dynamic_paths=16)", { kind: "json", args: "max_dynamic_paths=16" }, "JSON(max_dynamic_paths=16)"],
  ["Nested(k String, v UInt8)", { kind: "nested", fields: [{ name: "k", type: { kind: "string" } }, { name: "v", type: { kind: "integer", name: "UInt8", bits: 8, signed: false } }] }, "Nested(k String, v UInt8)"],
  ["Variant(String, UInt64)", { kind: "variant", types: [{ kind: "string" }, { kind: "integer", name: "UInt64", bits: 64, signed: false }] }, "Variant(String, UInt64)"],
  ["Dynamic", { kind: "dynamic" }, "Dynamic"],
  ["SimpleAggregateFunction(sum, UInt64)", { kind: "aggregateFunction", simple: true, fn: "sum", args: [{ kind: "integer", name: "UInt64", bits: 64, signed: false }] }, "SimpleAggregateFunction(sum, UInt64)"],
  ["AggregateFunction(count)", { kind: "aggregateFunction", simple: false, fn: "count", args: [] }, "AggregateFunction(count)"],
  ["AggregateFunction(uniq, String)", { kind: "aggregateFunction", simple: false, fn: "uniq", args: [{ kind: "string" }] }, "AggregateFunction(uniq, String)"],
  ["AggregateFunction(quantiles(0.5, 0.9), Float64)", { kind: "aggregateFunction", simple: false, fn: "quantiles(0.5, 0.9)", args: [{ kind: "float", name: "Float64" }] }, "AggregateFunction(quantiles(0.5, 0.9), Float64)"],
  ["AggregateFunction(argMax, String, DateTime)", { kind: "aggregateFunction", simple: false, fn: "argMax", args: [{ kind: "string" }, { kind: "dateTime" }] }, "AggregateFunction(argMax, String, DateTime)"],
];

describe("parseClickHouseType", () => {
  for (const [input, type, canonical] of parsed) {
    it(`parses ${input}`, () => {
      expect(parseClickHouseType(input)).toEqual({ ok: true, type });
    });
    it(`formats ${input} as ${canonical}`, () => {
      expect(formatClickHouseType(type)).toBe(canonical);
    });
  }

  const rejected: [string, string, number][] = [
    ["Boolean", "`Boolean` is not a valid type; use `Bool` or `UInt8`", 0],
    ["Int", "`Int` needs a width; use Int8, Int16, Int32, Int64, Int128 or Int256", 0],
    ["UInt", "`UInt` needs a width; use UInt8, UInt16, UInt32, UInt64, UInt128 or UInt256", 0],
    ["DateTime64", "DateTime64 needs a precision, e.g. DateTime64(3)", 0],
    ["DateTime64(12)", "DateTime64 precision must be between 0 and 9", 0],
    ["Strin", "unknown type `Strin`", 0],
    ["Nullable(String", "expected `)` to close Nullable(T)", 15],
    ["Map(String)", "expected `,` between the Map key and value types", 10],
    ["Decimal(5, 6)", "Decimal scale must not exceed its precision", 0],
    ["Enum8('a' = 300)", "Enum8 value 300 is out of range -128..127", 15],
    ["FixedString(n)", "expected the FixedString length", 12],
    ["DateTime(UTC)", "expected the DateTime timezone as a quoted string", 9],
    ["String extra", "unexpected text after type", 7],
    ["SimpleAggregateFunction(sum)", "SimpleAggregateFunction takes a function and exactly one type", 0],
  ];
  for (const [input, message, offset] of rejected) {
    it(`rejects ${input}`, () => {
      expect(parseClickHouseType(input)).toEqual({ ok: false, message, offset });
    });
  }
});

describe("isNullableType", () => {
  it("is true for Nullable under LowCardinality", () => {
    expect(isNullableType({ kind: "lowCardinality", inner: { kind: "nullable", inner: { kind: "string" } } })).toBe(true);
  });
  it("is false for Array(Nullable(T))", () => {
    expect(isNullableType({ kind: "array", element: { kind: "nullable", inner: { kind: "string" } } })).toBe(false);
  });
});
