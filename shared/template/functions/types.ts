/**
 * @module
 * The parameter-declaring type functions: `String`, `Int8`…`UInt256`, `Int`,
 * `Integer`, `Float32/64`, `Boolean`, `Date`, `DateTime`, `DateTime64`,
 * `Array`, `JSON`. Validation follows Tinybird's `datatypes.testers`;
 * rendering follows its `sql_template` (`toInt32('5')`, quoted strings…).
 */

import { InvalidParameterError, MissingParameterError, SqlTemplateError, TemplateValueError } from "../errors.js";
import { quoteString } from "../escape.js";
import { isArrayLiteralElement } from "../shape.js";
import {
  Placeholder,
  PyDict,
  PyFunction,
  SqlText,
  TypedFloat,
  TypedInt,
  asString,
  floatRepr,
  fromJson,
  pyRepr,
  pyStr,
  truthy,
  type CallContext,
  type NativeFn,
  type PyValue,
} from "../values.js";

// ---------------------------------------------------------------------------
// Python-style argument binding

export function bind(
  fname: string,
  names: readonly string[],
  required: number,
  args: PyValue[],
  kwargs: Map<string, PyValue> | undefined,
): (PyValue | undefined)[] {
  if (args.length > names.length) {
    const range = required === names.length ? `${names.length}` : `from ${required} to ${names.length}`;
    throw new TemplateValueError(`${fname}() takes ${range} positional arguments but ${args.length} were given`);
  }
  const out: (PyValue | undefined)[] = names.map((_, i) => (i < args.length ? args[i] : undefined));
  if (kwargs) {
    for (const [k, v] of kwargs) {
      const i = names.indexOf(k);
      if (i === -1) throw new TemplateValueError(`${fname}() got an unexpected keyword argument '${k}'`);
      if (i < args.length) throw new TemplateValueError(`${fname}() got multiple values for argument '${k}'`);
      out[i] = v;
    }
  }
  for (let i = 0; i < required; i++)
    if (out[i] === undefined) throw new TemplateValueError(`${fname}() missing 1 required positional argument: '${names[i]}'`);
  return out;
}

// ---------------------------------------------------------------------------
// Testers (Tinybird `datatypes.testers`, applied to `str(x)`)

const PY_WS = "\\s\\x1c-\\x1f\\x85";
const INTX = /^[+-]?[0-9]+\n?$/;
const UINTX = /^[0-9]+\n?$/;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}\n?$/;
const DATETIME = [
  new RegExp(`^[0-9]{4}[^\\n][0-9]{2}[^\\n][0-9]{2}(T|[${PY_WS}])[0-9]{2}:[0-9]{2}:[0-9]{2}`),
  /^[0-9]{2}[^\n][0-9]{2}[^\n][0-9]{4}[^\n][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}/,
];
const DATETIME64 = [
  new RegExp(`^[0-9]{4}[^\\n][0-9]{2}[^\\n][0-9]{2}(T|[${PY_WS}])[0-9]{2}:[0-9]{2}:[0-9]{2}[^\\n][0-9]{3}`),
  /^[0-9]{2}[^\n][0-9]{2}[^\n][0-9]{4}[^\n][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}[^\n][0-9]{1,3}/,
];
const FLOAT = new RegExp(
  `^[${PY_WS}]*([+-]?)(?:((?:[0-9](?:_?[0-9])*)?\\.[0-9](?:_?[0-9])*(?:[eE][+-]?[0-9](?:_?[0-9])*)?|[0-9](?:_?[0-9])*\\.?(?:[eE][+-]?[0-9](?:_?[0-9])*)?)|(inf|infinity|nan))[${PY_WS}]*$`,
  "i",
);
const INT_TEXT = new RegExp(`^[${PY_WS}]*([+-]?)([0-9](?:_?[0-9])*)[${PY_WS}]*$`);

/** Python `float(str)`; undefined when it would raise. */
export function parsePyFloat(s: string): number | undefined {
  const m = FLOAT.exec(s);
  if (!m) return undefined;
  const sign = m[1] === "-" ? -1 : 1;
  if (m[3]) return m[3].toLowerCase() === "nan" ? NaN : sign * Infinity;
  return sign * Number((m[2] ?? "").replace(/_/g, ""));
}

/** Python `int(str)` (base 10); undefined when it would raise. */
export function parsePyInt(s: string): bigint | undefined {
  const m = INT_TEXT.exec(s);
  if (!m) return undefined;
  const v = BigInt((m[2] ?? "").replace(/_/g, ""));
  return m[1] === "-" ? -v : v;
}

const INT_BITS: Record<string, [bigint, bigint]> = {};
for (const bits of [8, 16, 32, 64, 128, 256]) {
  const b = BigInt(bits);
  INT_BITS[`Int${bits}`] = [-(1n << (b - 1n)), 1n << (b - 1n)];
  INT_BITS[`UInt${bits}`] = [0n, 1n << b];
}

function intValue(s: string): bigint {
  return BigInt(s.replace(/\n$/, ""));
}

export const TESTERS: Readonly<Record<string, (s: string) => boolean>> = {
  DateTime64: (s) => DATETIME64.some((r) => r.test(s)),
  DateTime: (s) => DATETIME.some((r) => r.test(s)),
  Date: (s) => DATE.test(s),
  ...Object.fromEntries(
    Object.entries(INT_BITS).map(([t, [lo, hi]]) => {
      const re = t.startsWith("UInt") && (t === "UInt128" || t === "UInt256" ? false : true) ? UINTX : INTX;
      return [
        t,
        (s: string) => {
          if (!re.test(s)) return false;
          const v = intValue(s);
          return v >= lo && v < hi;
        },
      ];
    }),
  ),
  Float32: (s) => !s.includes("_") && parsePyFloat(s) !== undefined,
  Float64: (s) => !s.includes("_") && parsePyFloat(s) !== undefined,
};

// ---------------------------------------------------------------------------
// Transforms

/** Python `int(x)` for the values a tester accepted. */
export function pyInt(x: PyValue): bigint {
  if (typeof x === "bigint") return x;
  if (typeof x === "boolean") return x ? 1n : 0n;
  if (typeof x === "number") {
    if (!Number.isFinite(x)) throw new TemplateValueError(Number.isNaN(x) ? "cannot convert float NaN to integer" : "cannot convert float infinity to integer");
    return BigInt(Math.trunc(x));
  }
  if (x instanceof TypedInt) return x.value;
  if (x instanceof TypedFloat) return pyInt(x.value);
  const s = asString(x);
  if (s !== undefined) {
    const v = parsePyInt(s);
    if (v === undefined) throw new TemplateValueError(`invalid literal for int() with base 10: ${pyRepr(s)}`);
    return v;
  }
  throw new TemplateValueError(`int() argument must be a string, a bytes-like object or a real number, not '${x === null ? "NoneType" : x.constructor.name}'`);
}

/** Python `float(x)`. */
export function pyFloat(x: PyValue): number {
  if (typeof x === "number") return x;
  if (typeof x === "bigint") return Number(x);
  if (typeof x === "boolean") return x ? 1 : 0;
  if (x instanceof TypedInt) return Number(x.value);
  if (x instanceof TypedFloat) return x.value;
  const s = asString(x);
  if (s !== undefined) {
    const v = parsePyFloat(s);
    if (v === undefined) throw new TemplateValueError(`could not convert string to float: ${pyRepr(s)}`);
    return v;
  }
  throw new TemplateValueError(`float() argument must be a string or a real number, not '${x === null ? "NoneType" : "object"}'`);
}

type Transform = (x: PyValue) => PyValue;

const strT: Transform = (x) => pyStr(x);
const intT: Transform = (x) => pyInt(x);
const floatT: Transform = (x) => pyFloat(x);
const typedInt = (t: string): Transform => (x) => new TypedInt(pyInt(x), t);
const typedFloat = (t: string): Transform => (x) => new TypedFloat(pyFloat(x), t);

/** Check-mode placeholder values (Tinybird `type_fns_check`). */
const CHECK_PLACEHOLDERS: Readonly<Record<string, PyValue>> = {
  DateTime64: "2019-01-01 00:00:00.000",
  DateTime: "2019-01-01 00:00:00",
  Date: "2019-01-01",
  Float32: 0,
  Float64: 0,
  Int: 0n,
  Int32: 0n,
  ...Object.fromEntries(Object.keys(INT_BITS).map((t) => [t, 0n])),
};

const TYPE_ARGS = ["x", "default", "defined", "required", "description", "enum", "example", "format"];

/** Tinybird's `transform_type(tester, transform, placeholder)`: the scalar type functions. */
function transformType(tester: string, transform: Transform, placeholderKey: string | null): NativeFn {
  return (args, kwargs, ctx) => {
    const [x0, dflt, defined] = bind("transform_type.<locals>._f", TYPE_ARGS, 1, args, kwargs);
    return applyType(tester, transform, placeholderKey, x0 ?? null, dflt ?? null, defined === undefined ? true : truthy(defined), ctx);
  };
}

function applyType(
  tester: string,
  transform: Transform,
  placeholderKey: string | null,
  x0: PyValue,
  dflt: PyValue,
  defined: boolean,
  ctx: CallContext,
): PyValue {
  let x = x0;
  if (x instanceof Placeholder) {
    if (truthy(dflt)) x = dflt;
    else x = tester === "String" ? "__no_value__" : ctx.state.check && placeholderKey ? (CHECK_PLACEHOLDERS[placeholderKey] ?? null) : null;
  } else if (x === null) {
    x = dflt;
    if (x === null) {
      if (defined) throw new MissingParameterError();
      return null;
    }
  }
  if (tester === "String") {
    if (x !== null) return transform(x);
  } else {
    const test = TESTERS[tester];
    if (test && test(pyStr(x))) return transform(x);
  }
  throw new InvalidParameterError(`Error validating '${pyStr(x)}' to type ${tester}`);
}

// ---------------------------------------------------------------------------
// Boolean

function booleanValue(x: PyValue, dflt: PyValue): bigint {
  if (x === null) return dflt === null ? 0n : booleanValue(dflt, null);
  if (x instanceof Placeholder) return booleanValue(dflt, null);
  const s = asString(x);
  if (s !== undefined && (s === "0" || s.toLowerCase() === "false")) return 0n;
  return truthy(x) ? 1n : 0n;
}

const booleanFn: NativeFn = (args, kwargs) => {
  const [x, d] = bind("boolean", ["x", "default"], 1, args, kwargs);
  return booleanValue(x ?? null, d ?? null);
};

// ---------------------------------------------------------------------------
// Array

interface ElementType {
  tester: string | null;
  convert: (t: PyValue, ctx: CallContext) => PyValue;
}

function elementTypes(): Map<string, ElementType> {
  const m = new Map<string, ElementType>();
  const scalar = (tester: string, tf: Transform, key: string | null): ElementType => ({
    tester,
    convert: (t, ctx) => applyType(tester, tf, key, t, null, true, ctx),
  });
  m.set("bool", { tester: null, convert: (t) => booleanValue(t, null) });
  m.set("Boolean", { tester: null, convert: (t) => booleanValue(t, null) });
  m.set("DateTime", scalar("DateTime", strT, "DateTime"));
  m.set("DateTime64", scalar("DateTime64", strT, "DateTime64"));
  m.set("Date", scalar("Date", strT, "Date"));
  m.set("Float32", scalar("Float32", floatT, "Float32"));
  m.set("Float64", scalar("Float64", floatT, "Float64"));
  m.set("Int", { ...scalar("Int32", intT, "Int"), tester: null });
  m.set("Integer", { ...scalar("Int32", intT, "Int32"), tester: null });
  for (const t of Object.keys(INT_BITS)) m.set(t, scalar(t, intT, t));
  m.set("String", { ...scalar("String", strT, null), tester: null });
  m.set("Symbol", { tester: null, convert: (t) => symbolOf(t) });
  m.set("Column", { tester: null, convert: (t) => symbolOf(t) });
  return m;
}

function symbolOf(t: PyValue): PyValue {
  if (t instanceof Placeholder) return new SqlText("`placeholder`", "symbol");
  const s = asString(t);
  if (s === undefined) throw new TemplateValueError(`'${typeof t}' object has no attribute 'translate'`);
  return new SqlText("`" + s.replace(/"/g, "") + "`", "symbol");
}

const ELEMENT_TYPES = elementTypes();

/** `expression_wrapper` for one rendered value. */
export function wrapValue(v: PyValue, name: string): string {
  if (typeof v === "string") return quoteString(v);
  if (v instanceof Placeholder) return "'__no_value__'";
  if (v === null) {
    const short = name.length > 20 ? name.slice(0, 20) + "..." : name;
    throw new SqlTemplateError(`expression "${short}" evaluated to null`);
  }
  return pyStr(v);
}

/** Element values of an Array() call, as Python values (before SQL rendering). */
export function arrayElements(x: PyValue, type: PyValue, ctx: CallContext): PyValue[] {
  const typeName = asString(type) ?? (type === null ? null : pyStr(type));
  const list: PyValue[] = Array.isArray(x)
    ? x
    : (() => {
        const s = asString(x);
        if (s === undefined) throw new SqlTemplateError("transform type function Array is not well defined");
        return s.split(",");
      })();
  const et = typeName === null ? undefined : ELEMENT_TYPES.get(typeName);
  const tester = typeName !== null ? TESTERS[typeName] : undefined;
  const out: PyValue[] = [];
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as PyValue;
    if (tester) {
      const ts = pyStr(t);
      if (!tester(ts)) {
        const shown = Array.isArray(x) ? pyRepr(x) : pyStr(x);
        throw new InvalidParameterError(
          `Error validating [${shown}][${i}] (${t === "" ? "empty string" : ts}) to type ${typeName}`,
        );
      }
      if (!et) throw new TemplateValueError(pyRepr(typeName));
      out.push(et.convert(t, ctx));
    } else out.push(et ? et.convert(t, ctx) : t);
  }
  return out;
}

const ARRAY_ARGS = ["x", "_type", "default", "defined", "required", "description", "enum", "example", "format"];

const arrayFn: NativeFn = (args, kwargs, ctx) => {
  const [x0, type0, dflt0, defined0] = bind("array_type.<locals>._f", ARRAY_ARGS, 1, args, kwargs);
  let x: PyValue = x0 ?? null;
  const type: PyValue = type0 ?? null;
  const dflt: PyValue = dflt0 ?? null;
  const typeName = asString(type);
  if (x instanceof Placeholder) {
    if (truthy(dflt)) x = dflt;
    else if (typeName !== undefined && ELEMENT_TYPES.has(typeName)) {
      if (typeName === "String") x = "";
      else {
        const et = ELEMENT_TYPES.get(typeName) as ElementType;
        const p = new Placeholder(x.name, x.line);
        x = [0, 1].map(() => pyStr(et.convert(p, ctx))).join(",");
      }
    } else x = "";
  } else if (x === null) {
    x = dflt;
    if (x === null) {
      if (defined0 === undefined || truthy(defined0)) throw new MissingParameterError();
      return null;
    }
  }
  const values = arrayElements(x, type, ctx);
  const text = "[" + values.map((v, i) => wrapValue(v, pyStr(values[i] ?? null))).join(",") + "]";
  return new SqlText(text, "expression", values.every(isArrayLiteralElement));
};

// ---------------------------------------------------------------------------
// JSON

function pyJsonError(text: string, e: unknown): string {
  let i = 0;
  while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  const first = text[i];
  const rest = text.slice(i);
  const literalOk = ["true", "false", "null", "NaN", "Infinity"].some((w) => rest.startsWith(w));
  if (first === undefined || !(`{["-0123456789`.includes(first) || literalOk)) {
    const before = text.slice(0, i);
    const line = before.split("\n").length;
    const col = i - (before.lastIndexOf("\n") + 1) + 1;
    return `Expecting value: line ${line} column ${col} (char ${i})`;
  }
  return e instanceof Error ? e.message : String(e);
}

const jsonFn: NativeFn = (args, kwargs) => {
  const [x0, dflt0] = bind("json_type", ["x", "default"], 1, args, kwargs);
  let x: PyValue = x0 ?? null;
  const dflt: PyValue = dflt0 ?? null;
  if (x instanceof Placeholder) x = truthy(dflt) ? dflt : "__no_value__";
  if (x === null) x = typeof dflt === "string" ? dflt : "{}";
  const s = asString(x);
  if (s === undefined) return x;
  const shown = Array.from(s).length > 16 ? Array.from(s).slice(0, 16).join("") + "..." : s;
  try {
    return fromJson(JSON.parse(s));
  } catch (e) {
    throw new SqlTemplateError(`Error parsing JSON: '${shown}' - ${pyJsonError(s, e)}`, undefined);
  }
};

// ---------------------------------------------------------------------------

/** All type functions by name (including `bool`, `Symbol`, `Column` aliases). */
export const TYPE_FUNCTIONS: ReadonlyMap<string, PyFunction> = new Map(
  (
    [
      ["bool", booleanFn],
      ["Boolean", booleanFn],
      ["DateTime", transformType("DateTime", strT, "DateTime")],
      ["DateTime64", transformType("DateTime64", strT, "DateTime64")],
      ["Date", transformType("Date", strT, "Date")],
      ["Float32", transformType("Float32", typedFloat("Float32"), "Float32")],
      ["Float64", transformType("Float64", typedFloat("Float64"), "Float64")],
      ["Int", transformType("Int32", intT, "Int")],
      ["Integer", transformType("Int32", intT, "Int32")],
      ...Object.keys(INT_BITS).map((t) => [t, transformType(t, typedInt(t), t)] as [string, NativeFn]),
      ["String", transformType("String", strT, null)],
      ["Array", arrayFn],
      ["JSON", jsonFn],
    ] as [string, NativeFn][]
  ).map(([n, f]) => [n, new PyFunction(n, f)]),
);

/** Type names that declare a parameter (Tinybird `parameter_types`). */
export const PARAMETER_TYPES = new Set([
  "String", "Boolean", "DateTime64", "DateTime", "Date", "Float32", "Float64", ...Object.keys(INT_BITS), "Array", "JSON",
]);

export { PyDict, floatRepr };
