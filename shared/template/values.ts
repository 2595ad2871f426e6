/**
 * @module
 * The value model of the template sandbox: Tinybird evaluates templates as
 * Python, so values follow Python semantics (int vs float, `str()` vs
 * `repr()`, truthiness, equality). Ints are `bigint`, floats are `number`.
 */

import { TemplateValueError } from "./errors.js";
import type { RenderState } from "./types.js";

/** Result of `Int8(..)`…`UInt256(..)`: renders as `toInt32('5')`, computes as an int. */
export class TypedInt {
  constructor(
    readonly value: bigint,
    readonly type: string,
  ) {}
}

/** Result of `Float32(..)`/`Float64(..)`: renders as `toFloat32('1.5')`. */
export class TypedFloat {
  constructor(
    readonly value: number,
    readonly type: string,
  ) {}
}

/**
 * Ready-made SQL text that is emitted unquoted: `Expression` (a str subclass in
 * Tinybird: Array(), sql_and(), max_threads()...) or `Symbol` (column(), symbol()).
 */
export class SqlText {
  constructor(
    readonly text: string,
    readonly kind: "expression" | "symbol",
    /** One literal token (an `Array()` of literals): a render's shape marks it (`shape.ts`). */
    readonly literal = false,
  ) {}
}

/** Check-mode stand-in for a parameter that was not supplied (Tinybird's `Placeholder`). */
export class Placeholder {
  constructor(
    readonly name: string,
    readonly line: number | "unknown",
  ) {}
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

export class PySet {
  constructor(readonly items: PyValue[]) {}
}

export class PyDict {
  constructor(readonly map: Map<PyKey, PyValue> = new Map()) {}
}

export type PyKey = string | bigint | number | boolean | null;

export interface CallContext {
  line: number;
  state: RenderState;
}

export type NativeFn = (args: PyValue[], kwargs: Map<string, PyValue> | undefined, ctx: CallContext) => PyValue;

export class PyFunction {
  constructor(
    readonly name: string,
    readonly fn: NativeFn,
  ) {}
}

export type PyValue =
  | null
  | boolean
  | bigint
  | number
  | string
  | PyValue[]
  | PyTuple
  | PySet
  | PyDict
  | TypedInt
  | TypedFloat
  | SqlText
  | Placeholder
  | PyFunction;

export function typeName(v: PyValue): string {
  if (v === null) return "NoneType";
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "bigint":
      return "int";
    case "number":
      return "float";
    case "string":
      return "str";
  }
  if (Array.isArray(v)) return "list";
  if (v instanceof PyTuple) return "tuple";
  if (v instanceof PySet) return "set";
  if (v instanceof PyDict) return "dict";
  if (v instanceof TypedInt) return "Integer";
  if (v instanceof TypedFloat) return "Float";
  if (v instanceof SqlText) return v.kind === "expression" ? "Expression" : "Symbol";
  if (v instanceof Placeholder) return "Placeholder";
  return "function";
}

/** Python `float.__repr__`: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const exp = x.toExponential(); // shortest digits, e.g. "-1.2345e+2"
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
  if (!m) return String(x);
  const sign = m[1] ?? "";
  const digits = (m[2] ?? "") + (m[3] ?? "");
  const e = Number(m[4]);
  if (e < -4 || e >= 16) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = Math.abs(e) < 10 ? `0${Math.abs(e)}` : String(Math.abs(e));
    return `${sign}${mant}e${e < 0 ? "-" : "+"}${es}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  if (digits.length <= e + 1) return `${sign}${digits}${"0".repeat(e + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
}

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python `str.__repr__`. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && NON_PRINTABLE.test(ch)) {
      if (cp < 0x100) out += "\\x" + cp.toString(16).padStart(2, "0");
      else if (cp < 0x10000) out += "\\u" + cp.toString(16).padStart(4, "0");
      else out += "\\U" + cp.toString(16).padStart(8, "0");
    } else out += ch;
  }
  return out + quote;
}

/** Python `repr()`. */
export function pyRepr(v: PyValue): string {
  if (v === null) return "None";
  switch (typeof v) {
    case "boolean":
      return v ? "True" : "False";
    case "bigint":
      return v.toString();
    case "number":
      return floatRepr(v);
    case "string":
      return strRepr(v);
  }
  if (Array.isArray(v)) return "[" + v.map(pyRepr).join(", ") + "]";
  if (v instanceof PyTuple)
    return v.items.length === 1 ? `(${pyRepr(v.items[0] ?? null)},)` : "(" + v.items.map(pyRepr).join(", ") + ")";
  if (v instanceof PySet) return v.items.length === 0 ? "set()" : "{" + v.items.map(pyRepr).join(", ") + "}";
  if (v instanceof PyDict) {
    const parts: string[] = [];
    for (const [k, val] of v.map) parts.push(`${pyRepr(k)}: ${pyRepr(val)}`);
    return "{" + parts.join(", ") + "}";
  }
  if (v instanceof TypedInt) return v.value.toString();
  if (v instanceof TypedFloat) return floatRepr(v.value);
  if (v instanceof SqlText) return v.kind === "expression" ? strRepr(v.text) : v.text;
  if (v instanceof Placeholder) return "'__no_value__'";
  return `<function ${v.name}>`;
}

/** Python `str()`. */
export function pyStr(v: PyValue): string {
  if (typeof v === "string") return v;
  if (v instanceof TypedInt) return `to${v.type}('${v.value.toString()}')`;
  if (v instanceof TypedFloat) return `to${v.type}('${floatRepr(v.value)}')`;
  if (v instanceof SqlText) return v.text;
  if (v instanceof Placeholder) return "__no_value__";
  return pyRepr(v);
}

export function truthy(v: PyValue): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case "boolean":
      return v;
    case "bigint":
      return v !== 0n;
    case "number":
      return v !== 0;
    case "string":
      return v.length > 0;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PyTuple || v instanceof PySet) return v.items.length > 0;
  if (v instanceof PyDict) return v.map.size > 0;
  if (v instanceof TypedInt) return v.value !== 0n;
  if (v instanceof TypedFloat) return v.value !== 0;
  if (v instanceof SqlText) return v.kind === "symbol" || v.text.length > 0;
  return true;
}

/** Numeric view of a value (bool/int/float and the typed wrappers), or undefined. */
export function asNumber(v: PyValue): bigint | number | undefined {
  if (typeof v === "bigint" || typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (v instanceof TypedInt) return v.value;
  if (v instanceof TypedFloat) return v.value;
  return undefined;
}

/** String view: str and the str subclass Expression. */
export function asString(v: PyValue): string | undefined {
  if (typeof v === "string") return v;
  if (v instanceof SqlText && v.kind === "expression") return v.text;
  return undefined;
}

function numEq(a: bigint | number, b: bigint | number): boolean {
  if (typeof a === "bigint" && typeof b === "bigint") return a === b;
  if (typeof a === "number" && typeof b === "number") return a === b;
  const f = typeof a === "number" ? a : (b as number);
  const i = typeof a === "bigint" ? a : (b as bigint);
  return Number.isInteger(f) && BigInt(f) === i;
}

export function pyEquals(a: PyValue, b: PyValue): boolean {
  if (a === b) return true;
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== undefined && nb !== undefined) return numEq(na, nb);
  const sa = asString(a);
  const sb = asString(b);
  if (sa !== undefined && sb !== undefined) return sa === sb;
  if (Array.isArray(a) && Array.isArray(b)) return seqEq(a, b);
  if (a instanceof PyTuple && b instanceof PyTuple) return seqEq(a.items, b.items);
  if (a instanceof PyDict && b instanceof PyDict) {
    if (a.map.size !== b.map.size) return false;
    for (const [k, v] of a.map) {
      if (!b.map.has(k) || !pyEquals(v, b.map.get(k) ?? null)) return false;
    }
    return true;
  }
  if (a instanceof PySet && b instanceof PySet)
    return a.items.length === b.items.length && a.items.every((x) => b.items.some((y) => pyEquals(x, y)));
  return false;
}

function seqEq(a: PyValue[], b: PyValue[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!pyEquals(a[i] ?? null, b[i] ?? null)) return false;
  return true;
}

function numCmp(a: bigint | number, b: bigint | number): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Python ordering (`<`): returns -1/0/1 (NaN when unordered) or throws a Python TypeError. */
export function pyCompare(a: PyValue, b: PyValue, op: string): number {
  const na = asNumber(a);
  const nb = asNumber(b);
  if (na !== undefined && nb !== undefined) return numCmp(na, nb);
  const sa = asString(a);
  const sb = asString(b);
  if (sa !== undefined && sb !== undefined) return sa < sb ? -1 : sa > sb ? 1 : 0;
  const la = Array.isArray(a) ? a : a instanceof PyTuple ? a.items : undefined;
  const lb = Array.isArray(b) ? b : b instanceof PyTuple ? b.items : undefined;
  if (la && lb && Array.isArray(a) === Array.isArray(b)) {
    const n = Math.min(la.length, lb.length);
    for (let i = 0; i < n; i++) {
      const x = la[i] ?? null;
      const y = lb[i] ?? null;
      if (!pyEquals(x, y)) return pyCompare(x, y, op);
    }
    return la.length - lb.length;
  }
  let msg = `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`;
  if (a instanceof Placeholder || b instanceof Placeholder)
    msg += ". If you are using a dynamic parameter, you need to wrap it around a valid Data Type (e.g. Int8(placeholder))";
  throw new TemplateValueError(msg);
}

/** Hashable key for dict/set membership. */
export function toKey(v: PyValue): PyKey {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (v instanceof TypedInt) return v.value;
  if (v instanceof TypedFloat) return v.value;
  if (v instanceof SqlText && v.kind === "expression") return v.text;
  throw new TemplateValueError(`unhashable type: '${typeName(v)}'`);
}

/** Items of an iterable value, or a Python TypeError. */
export function iterate(v: PyValue): PyValue[] {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple || v instanceof PySet) return v.items;
  if (typeof v === "string") return Array.from(v);
  if (v instanceof SqlText && v.kind === "expression") return Array.from(v.text);
  if (v instanceof PyDict) return Array.from(v.map.keys());
  if (v instanceof Placeholder) return [new Placeholder("__no_value__", "unknown"), new Placeholder("__no_value__", "unknown"), new Placeholder("__no_value__", "unknown")];
  throw new TemplateValueError(`'${typeName(v)}' object is not iterable`);
}

/** Convert an HTTP/JSON parameter value into a Python value. */
export function fromJson(v: unknown): PyValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "bigint":
      return v;
    case "number":
      return Number.isInteger(v) ? BigInt(v) : v;
  }
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === "object") {
    const m = new Map<PyKey, PyValue>();
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) m.set(k, fromJson(val));
    return new PyDict(m);
  }
  return String(v);
}
