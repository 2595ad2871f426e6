/**
 * @module
 * The expression sandbox: a compile-time check that mirrors Tinybird's
 * `check_valid_expr` for `{{ }}` (and a slightly wider allowlist for `{% %}`
 * statements), and a tree-walking evaluator with Python semantics. Nothing is
 * ever looked up on JS objects by a template-supplied name: attribute access
 * only reaches the methods implemented here.
 */

import { SandboxError, TemplateLookupError, TemplateValueError, UnboundLocalTemplateError } from "./errors.js";
import type { Expr } from "./parse.js";
import {
  Placeholder,
  PyDict,
  PyFunction,
  PySet,
  PyTuple,
  TypedFloat,
  TypedInt,
  asNumber,
  asString,
  floatRepr,
  iterate,
  pyCompare,
  pyEquals,
  pyRepr,
  pyStr,
  toKey,
  truthy,
  typeName,
  type CallContext,
  type PyKey,
  type PyValue,
} from "./values.js";

/** Functions callable inside `{{ }}` (Tinybird's VALID_FUNCTION_NAMES). */
export const EXPRESSION_FUNCTIONS = new Set([
  "Boolean", "DateTime", "DateTime64", "Date", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64", "Int128",
  "Int256", "UInt8", "UInt16", "UInt32", "UInt64", "UInt128", "UInt256", "String", "Array", "symbol", "cache_ttl",
  "error", "custom_error", "backend_hint", "activate", "disable", "sql_unescape", "max_threads", "tb_secret", "tb_var",
  "Int", "table", "TABLE", "len", "list", "min", "max", "Integer", "int", "float", "JSON",
  "defined", "column", "columns", "day_diff", "date_diff_in_seconds", "date_diff_in_minutes", "date_diff_in_hours",
  "date_diff_in_days", "split_to_array", "enumerate_with_last", "sql_and",
]);

/** `{% %}` statements are plain Python in Tinybird; we allow a few more safe builtins there. */
export const STATEMENT_FUNCTIONS = new Set([
  ...EXPRESSION_FUNCTIONS,
  "Column", "Symbol", "bool", "str", "sum", "enumerate", "range", "abs", "any", "all", "sorted", "tuple", "round",
]);

export const EXPRESSION_METHODS = new Set(["split", "get", "join", "replace"]);
export const STATEMENT_METHODS = new Set([
  ...EXPRESSION_METHODS,
  "lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "keys", "values", "items", "count", "index", "find",
]);

const BINOP_NAMES: Record<string, string> = {
  "+": "Add", "-": "Sub", "*": "Mult", "/": "Div", "//": "FloorDiv", "%": "Mod", "**": "Pow", "@": "MatMult",
  "|": "BitOr", "&": "BitAnd", "^": "BitXor", "<<": "LShift", ">>": "RShift",
};
const UNARY_NAMES: Record<string, string> = { "-": "USub", "+": "UAdd", not: "Not", "~": "Invert" };
const CMP_NAMES: Record<string, string> = {
  "==": "Eq", "!=": "NotEq", "<": "Lt", "<=": "LtE", ">": "Gt", ">=": "GtE", in: "In", "not in": "NotIn", is: "Is", "is not": "IsNot",
};

/** An approximation of Python's `ast.dump`, for sandbox messages. */
export function dump(e: Expr): string {
  switch (e.k) {
    case "const":
      return `Constant(value=${pyRepr(e.v)})`;
    case "bytes":
      return "Constant(value=b'')";
    case "name":
      return `Name(id='${e.id}', ctx=Load())`;
    case "attr":
      return `Attribute(value=${dump(e.obj)}, attr='${e.name}', ctx=Load())`;
    case "cmp":
      return `Compare(left=${dump(e.left)}, ops=[${e.ops.map((o) => `${CMP_NAMES[o]}()`).join(", ")}], comparators=[${e.rights.map(dump).join(", ")}])`;
    case "bool":
      return `BoolOp(op=${e.op === "and" ? "And" : "Or"}(), values=[${e.values.map(dump).join(", ")}])`;
    case "bin":
      return `BinOp(left=${dump(e.l)}, op=${BINOP_NAMES[e.op]}(), right=${dump(e.r)})`;
    case "unary":
      return `UnaryOp(op=${UNARY_NAMES[e.op]}(), operand=${dump(e.arg)})`;
    case "call":
      return `Call(func=${dump(e.func)}, args=[${e.args.map(dump).join(", ")}], keywords=[${e.kwargs.map((k) => `keyword(arg='${k.name}', value=${dump(k.value)})`).join(", ")}])`;
    case "list":
      return `List(elts=[${e.items.map(dump).join(", ")}], ctx=Load())`;
    case "tuple":
      return `Tuple(elts=[${e.items.map(dump).join(", ")}], ctx=Load())`;
    case "set":
      return `Set(elts=[${e.items.map(dump).join(", ")}])`;
    case "dict":
      return `Dict(keys=[${e.keys.map(dump).join(", ")}], values=[${e.values.map(dump).join(", ")}])`;
    case "sub":
      return `Subscript(value=${dump(e.obj)}, slice=${dump(e.index)}, ctx=Load())`;
    case "slice":
      return `Subscript(value=${dump(e.obj)}, slice=Slice(), ctx=Load())`;
    case "ifexp":
      return `IfExp(test=${dump(e.test)}, body=${dump(e.body)}, orelse=${dump(e.orelse)})`;
    case "fstr":
      return "JoinedStr(values=[])";
  }
}

/**
 * Sandbox check. `strict` = the `{{ }}` rules (Tinybird's checker, messages
 * included); otherwise the `{% %}` rules. Keyword arguments are checked too.
 */
export function checkExpr(e: Expr, strict: boolean): void {
  const fns = strict ? EXPRESSION_FUNCTIONS : STATEMENT_FUNCTIONS;
  const methods = strict ? EXPRESSION_METHODS : STATEMENT_METHODS;
  const visit = (x: Expr): void => {
    switch (x.k) {
      case "call": {
        const f = x.func;
        if (f.k === "name") {
          if (strict && !fns.has(f.id)) throw new SandboxError(`Invalid function name: ${f.id}`);
        } else if (f.k === "call") visit(f);
        else if (f.k === "attr") {
          if (!methods.has(f.name)) throw new SandboxError(`Invalid method name: ${f.name}`);
          visit(f.obj);
        } else throw new SandboxError(`Invalid function: ${dump(x)}`);
        for (const a of x.args) visit(a);
        for (const k of x.kwargs) visit(k.value);
        return;
      }
      case "const":
      case "name":
        return;
      case "bytes":
        throw new SandboxError(`Invalid Constant: ${dump(x)}`);
      case "unary":
        if (x.op !== "-" && x.op !== "not" && (strict || x.op !== "+"))
          throw new SandboxError(`Invalid UnaryOp: ${UNARY_NAMES[x.op]}()`);
        visit(x.arg);
        return;
      case "bin": {
        const ok = strict ? ["+", "-", "*"] : ["+", "-", "*", "/", "//", "%", "**"];
        if (!ok.includes(x.op)) throw new SandboxError(`Invalid BinOp: ${BINOP_NAMES[x.op]}()`);
        visit(x.l);
        visit(x.r);
        return;
      }
      case "sub":
        visit(x.obj);
        if (strict && x.index.k !== "const" && x.index.k !== "sub")
          throw new SandboxError(`Invalid Slice expression: ${dump(x.index)}`);
        visit(x.index);
        return;
      case "slice":
        visit(x.obj);
        if (x.lower) visit(x.lower);
        if (x.upper) visit(x.upper);
        if (x.step) visit(x.step);
        return;
      case "dict":
        x.keys.forEach(visit);
        x.values.forEach(visit);
        return;
      case "list":
      case "tuple":
      case "set":
        x.items.forEach(visit);
        return;
      case "fstr":
        for (const p of x.parts) if (typeof p !== "string") visit(p);
        return;
      case "ifexp":
        visit(x.test);
        visit(x.body);
        visit(x.orelse);
        return;
      case "cmp":
        if (strict) throw new SandboxError(`Invalid expression type: ${dump(x)}`);
        visit(x.left);
        x.rights.forEach(visit);
        return;
      case "bool":
        if (strict) throw new SandboxError(`Invalid expression type: ${dump(x)}`);
        x.values.forEach(visit);
        return;
      case "attr":
        throw new SandboxError(`Invalid expression type: ${dump(x)}`);
    }
  };
  visit(e);
}

/** Everything the evaluator needs from the renderer. */
export interface Scope extends CallContext {
  /** Names assigned somewhere in the template: Python treats them as locals everywhere. */
  localNames: ReadonlySet<string>;
  locals: Map<string, PyValue>;
  lookupParam(name: string, line: number): PyValue;
  functions: ReadonlyMap<string, PyFunction>;
}

const MAX_SEQ = 1_000_000;

function checkSize(n: number): void {
  if (n > MAX_SEQ) throw new TemplateValueError("sequence too large for a template");
}

export function evaluate(e: Expr, s: Scope): PyValue {
  switch (e.k) {
    case "const":
      return e.v;
    case "name":
      return lookupName(e.id, s);
    case "call":
      return evalCall(e, s);
    case "bin":
      return binop(e.op, evaluate(e.l, s), evaluate(e.r, s));
    case "unary": {
      const v = evaluate(e.arg, s);
      if (e.op === "not") return !truthy(v);
      return unary(e.op, v);
    }
    case "bool": {
      let v: PyValue = null;
      for (const x of e.values) {
        v = evaluate(x, s);
        if (e.op === "and" ? !truthy(v) : truthy(v)) return v;
      }
      return v;
    }
    case "cmp": {
      let left = evaluate(e.left, s);
      for (let i = 0; i < e.ops.length; i++) {
        const right = evaluate(e.rights[i] as Expr, s);
        if (!compare(e.ops[i] as string, left, right)) return false;
        left = right;
      }
      return true;
    }
    case "ifexp":
      return truthy(evaluate(e.test, s)) ? evaluate(e.body, s) : evaluate(e.orelse, s);
    case "list":
      return e.items.map((x) => evaluate(x, s));
    case "tuple":
      return new PyTuple(e.items.map((x) => evaluate(x, s)));
    case "set": {
      const items: PyValue[] = [];
      for (const x of e.items) {
        const v = evaluate(x, s);
        toKey(v);
        if (!items.some((y) => pyEquals(y, v))) items.push(v);
      }
      return new PySet(items);
    }
    case "dict": {
      const m = new Map<PyKey, PyValue>();
      for (let i = 0; i < e.keys.length; i++) m.set(toKey(evaluate(e.keys[i] as Expr, s)), evaluate(e.values[i] as Expr, s));
      return new PyDict(m);
    }
    case "fstr": {
      let out = "";
      for (const p of e.parts) out += typeof p === "string" ? p : pyStr(evaluate(p, s));
      return out;
    }
    case "sub":
      return subscript(evaluate(e.obj, s), evaluate(e.index, s));
    case "slice":
      return slice(
        evaluate(e.obj, s),
        e.lower ? evaluate(e.lower, s) : null,
        e.upper ? evaluate(e.upper, s) : null,
        e.step ? evaluate(e.step, s) : null,
      );
    case "attr":
    case "bytes":
      throw new SandboxError(`Invalid expression type: ${dump(e)}`);
  }
}

function lookupName(id: string, s: Scope): PyValue {
  if (s.localNames.has(id)) {
    const v = s.locals.get(id);
    if (v === undefined) throw new UnboundLocalTemplateError(id);
    return v;
  }
  const f = s.functions.get(id);
  if (f) return f;
  return s.lookupParam(id, s.line);
}

function evalCall(e: Extract<Expr, { k: "call" }>, s: Scope): PyValue {
  const args = e.args.map((a) => evaluate(a, s));
  let kwargs: Map<string, PyValue> | undefined;
  if (e.kwargs.length) {
    kwargs = new Map();
    for (const k of e.kwargs) {
      if (kwargs.has(k.name)) throw new TemplateValueError(`keyword argument repeated: ${k.name}`);
      kwargs.set(k.name, evaluate(k.value, s));
    }
  }
  const f = e.func;
  if (f.k === "attr") return callMethod(evaluate(f.obj, s), f.name, args, kwargs);
  const callee = evaluate(f, s);
  if (callee instanceof PyFunction) return callee.fn(args, kwargs, s);
  if (callee instanceof Placeholder)
    throw new SqlTemplateErrorLike(`'${callee.name}' is not a valid function, line ${callee.line}`);
  throw new TemplateValueError(`'${typeName(callee)}' object is not callable`);
}

/** Raised for Placeholder calls: becomes a `Template Syntax Error`. */
export class SqlTemplateErrorLike extends Error {}

// ---------------------------------------------------------------------------
// Operators

function unsupported(op: string, a: PyValue, b: PyValue): never {
  throw new TemplateValueError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function numResult(op: string, x: bigint | number, y: bigint | number, a: PyValue, b: PyValue): PyValue {
  if (typeof x === "bigint" && typeof y === "bigint") {
    switch (op) {
      case "+":
        return x + y;
      case "-":
        return x - y;
      case "*":
        return x * y;
      case "/":
        if (y === 0n) throw new TemplateValueError("division by zero");
        return Number(x) / Number(y);
      case "//": {
        if (y === 0n) throw new TemplateValueError("integer division or modulo by zero");
        const q = x / y;
        return (x % y !== 0n && (x < 0n) !== (y < 0n)) ? q - 1n : q;
      }
      case "%": {
        if (y === 0n) throw new TemplateValueError("integer division or modulo by zero");
        const r = x % y;
        return r !== 0n && (r < 0n) !== (y < 0n) ? r + y : r;
      }
      case "**": {
        if (y < 0n) return Number(x) ** Number(y);
        const bits = x === 0n ? 0 : x.toString(2).length;
        if (bits * Number(y) > 4096) throw new TemplateValueError("exponent too large for a template");
        return x ** y;
      }
    }
    return unsupported(op, a, b);
  }
  const fx = Number(x);
  const fy = Number(y);
  switch (op) {
    case "+":
      return fx + fy;
    case "-":
      return fx - fy;
    case "*":
      return fx * fy;
    case "/":
      if (fy === 0) throw new TemplateValueError("float division by zero");
      return fx / fy;
    case "//":
      if (fy === 0) throw new TemplateValueError("float floor division by zero");
      return Math.floor(fx / fy);
    case "%": {
      if (fy === 0) throw new TemplateValueError("float modulo");
      const r = fx % fy;
      return r !== 0 && (r < 0) !== (fy < 0) ? r + fy : r;
    }
    case "**":
      return fx ** fy;
  }
  return unsupported(op, a, b);
}

function repeat<T>(items: T[], n: bigint | number): T[] {
  const k = Math.max(0, Number(n));
  checkSize(items.length * k);
  const out: T[] = [];
  for (let i = 0; i < k; i++) out.push(...items);
  return out;
}

export function binop(op: string, a: PyValue, b: PyValue): PyValue {
  if (op === "+" && a instanceof Placeholder) return new Placeholder("__no_value__", "unknown");
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== undefined && y !== undefined) return numResult(op, x, y, a, b);
  if (op === "+") {
    const sa = asString(a);
    const sb = asString(b);
    if (sa !== undefined && sb !== undefined) {
      checkSize(sa.length + sb.length);
      return sa + sb;
    }
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (a instanceof PyTuple && b instanceof PyTuple) return new PyTuple([...a.items, ...b.items]);
  }
  if (op === "*") {
    const nb = asNumber(b);
    const na = asNumber(a);
    const [seq, n] = typeof nb === "bigint" ? [a, nb] : typeof na === "bigint" ? [b, na] : [null, undefined];
    if (n !== undefined) {
      const str = asString(seq);
      if (str !== undefined) {
        checkSize(str.length * Math.max(0, Number(n)));
        return str.repeat(Math.max(0, Number(n)));
      }
      if (Array.isArray(seq)) return repeat(seq, n);
      if (seq instanceof PyTuple) return new PyTuple(repeat(seq.items, n));
    }
  }
  const sym = op;
  throw new TemplateValueError(`unsupported operand type(s) for ${sym}: '${typeName(a)}' and '${typeName(b)}'`);
}

function unary(op: string, v: PyValue): PyValue {
  const n = asNumber(v);
  if (n === undefined) throw new TemplateValueError(`bad operand type for unary ${op}: '${typeName(v)}'`);
  if (op === "+") return typeof v === "boolean" ? n : v instanceof TypedInt ? n : v instanceof TypedFloat ? n : n;
  return typeof n === "bigint" ? -n : -n;
}

function contains(container: PyValue, item: PyValue): boolean {
  const s = asString(container);
  if (s !== undefined) {
    const i = asString(item);
    if (i === undefined) throw new TemplateValueError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return s.includes(i);
  }
  if (container instanceof PyDict) return container.map.has(toKey(item));
  if (container instanceof Placeholder) return iterate(container).some((x) => pyEquals(x, item));
  if (Array.isArray(container) || container instanceof PyTuple || container instanceof PySet)
    return iterate(container).some((x) => pyEquals(x, item));
  throw new TemplateValueError(`argument of type '${typeName(container)}' is not iterable`);
}

function compare(op: string, a: PyValue, b: PyValue): boolean {
  switch (op) {
    case "==":
      return pyEquals(a, b);
    case "!=":
      return !pyEquals(a, b);
    case "<":
      return pyCompare(a, b, op) < 0;
    case "<=":
      return pyCompare(a, b, op) <= 0;
    case ">":
      return pyCompare(a, b, op) > 0;
    case ">=":
      return pyCompare(a, b, op) >= 0;
    case "in":
      return contains(b, a);
    case "not in":
      return !contains(b, a);
    case "is":
      return a === b || (a === null && b === null) || (typeof a === "boolean" && a === b);
    case "is not":
      return !compare("is", a, b);
  }
  return false;
}

// ---------------------------------------------------------------------------
// Subscripts

function toIndex(v: PyValue): number | undefined {
  const n = asNumber(v);
  if (typeof n === "bigint") return Number(n);
  return undefined;
}

function codePoints(s: string): string[] | string {
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s) : s;
}

export function subscript(obj: PyValue, key: PyValue): PyValue {
  if (obj instanceof Placeholder) {
    const i = toIndex(key);
    if (i !== undefined && i > 2) throw new TemplateLookupError("list index out of range", "index");
    return new Placeholder("__no_value__", "unknown");
  }
  if (obj instanceof PyDict) {
    const k = toKey(key);
    if (!obj.map.has(k)) throw new TemplateLookupError(pyRepr(key), "key");
    return obj.map.get(k) ?? null;
  }
  const str = asString(obj);
  const seq: PyValue[] | string | undefined =
    str !== undefined ? codePoints(str) : Array.isArray(obj) ? obj : obj instanceof PyTuple ? obj.items : undefined;
  if (seq === undefined) throw new TemplateValueError(`'${typeName(obj)}' object is not subscriptable`);
  const i = toIndex(key);
  const kind = str !== undefined ? "string" : obj instanceof PyTuple ? "tuple" : "list";
  if (i === undefined) throw new TemplateValueError(`${kind} indices must be integers or slices, not ${typeName(key)}`);
  const j = i < 0 ? seq.length + i : i;
  if (j < 0 || j >= seq.length) throw new TemplateLookupError(`${kind} index out of range`, "index");
  return (seq[j] as PyValue) ?? null;
}

function slice(obj: PyValue, lo: PyValue, hi: PyValue, step: PyValue): PyValue {
  if (obj instanceof Placeholder) return new Placeholder("__no_value__", "unknown");
  const str = asString(obj);
  const seq: PyValue[] | string[] | undefined =
    str !== undefined ? Array.from(str) : Array.isArray(obj) ? obj : obj instanceof PyTuple ? obj.items : undefined;
  if (seq === undefined) throw new TemplateValueError(`'${typeName(obj)}' object is not subscriptable`);
  const len = seq.length;
  const st = step === null ? 1 : toIndex(step);
  if (st === undefined || st === 0) throw new TemplateValueError("slice indices must be integers or None or have an __index__ method");
  const norm = (v: PyValue, dflt: number): number => {
    if (v === null) return dflt;
    const n = toIndex(v);
    if (n === undefined) throw new TemplateValueError("slice indices must be integers or None or have an __index__ method");
    if (n < 0) return Math.max(st > 0 ? 0 : -1, len + n);
    return Math.min(st > 0 ? len : len - 1, n);
  };
  const start = norm(lo, st > 0 ? 0 : len - 1);
  const stop = norm(hi, st > 0 ? len : -1);
  const out: (PyValue | string)[] = [];
  if (st > 0) for (let i = start; i < stop; i += st) out.push(seq[i] as PyValue);
  else for (let i = start; i > stop; i += st) out.push(seq[i] as PyValue);
  if (str !== undefined) return (out as string[]).join("");
  return obj instanceof PyTuple ? new PyTuple(out as PyValue[]) : (out as PyValue[]);
}

// ---------------------------------------------------------------------------
// Methods

const PY_WS = "\\s\\x1c-\\x1f\\x85";
const WS_RUN = new RegExp(`[${PY_WS}]+`);
const WS_EDGES = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, "g");

/** Python `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  return s.replace(WS_EDGES, "");
}

function stripChars(s: string, chars: PyValue, left: boolean, right: boolean): string {
  if (chars === null || chars === undefined) {
    let out = s;
    if (left) out = out.replace(new RegExp(`^[${PY_WS}]+`), "");
    if (right) out = out.replace(new RegExp(`[${PY_WS}]+$`), "");
    return out;
  }
  const set = asString(chars);
  if (set === undefined) throw new TemplateValueError("strip arg must be None or str");
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.includes(s[a] as string)) a++;
  if (right) while (b > a && set.includes(s[b - 1] as string)) b--;
  return s.slice(a, b);
}

/** Python `str.split(sep=None, maxsplit=-1)`. */
export function pySplit(s: string, sep: PyValue, maxsplit: PyValue = -1n): string[] {
  const max = Number(asNumber(maxsplit ?? -1n) ?? -1);
  if (sep === null) {
    const parts = s.replace(new RegExp(`^[${PY_WS}]+`), "").split(WS_RUN);
    if (parts.length && parts[parts.length - 1] === "") parts.pop();
    if (max >= 0 && parts.length > max + 1) {
      // re-join the tail with the original text
      let rest = s.replace(new RegExp(`^[${PY_WS}]+`), "");
      const head: string[] = [];
      for (let i = 0; i < max; i++) {
        const m = WS_RUN.exec(rest);
        if (!m) break;
        head.push(rest.slice(0, m.index));
        rest = rest.slice(m.index + m[0].length);
      }
      return [...head, rest];
    }
    return parts;
  }
  const sp = asString(sep);
  if (sp === undefined) throw new TemplateValueError(`must be str or None, not ${typeName(sep)}`);
  if (sp === "") throw new TemplateValueError("empty separator");
  const all = s.split(sp);
  if (max >= 0 && all.length > max + 1) return [...all.slice(0, max), all.slice(max).join(sp)];
  return all;
}

function noAttr(obj: PyValue, name: string): never {
  throw new TemplateLookupError(`'${typeName(obj)}' object has no attribute '${name}'`, "attribute");
}

function argAt(args: PyValue[], kwargs: Map<string, PyValue> | undefined, i: number, name: string, dflt: PyValue): PyValue {
  if (i < args.length) return args[i] as PyValue;
  const v = kwargs?.get(name);
  return v === undefined ? dflt : v;
}

export function callMethod(obj: PyValue, name: string, args: PyValue[], kwargs: Map<string, PyValue> | undefined): PyValue {
  if (obj instanceof Placeholder) {
    if (name === "split") return [new Placeholder("__no_value__", "unknown"), new Placeholder("__no_value__", "unknown")];
    if (name === "startswith") return false;
    noAttr(obj, name);
  }
  const str = asString(obj);
  if (str !== undefined) {
    switch (name) {
      case "split":
        return pySplit(str, argAt(args, kwargs, 0, "sep", null), argAt(args, kwargs, 1, "maxsplit", -1n));
      case "join": {
        const items = iterate(args[0] ?? null);
        const parts = items.map((x, i) => {
          const v = asString(x);
          if (v === undefined) throw new TemplateValueError(`sequence item ${i}: expected str instance, ${typeName(x)} found`);
          return v;
        });
        const out = parts.join(str);
        checkSize(out.length);
        return out;
      }
      case "replace": {
        const a = asString(args[0] ?? null);
        const b = asString(args[1] ?? null);
        if (a === undefined || b === undefined) throw new TemplateValueError("replace() argument must be str");
        const count = args[2] === undefined ? -1 : Number(asNumber(args[2]) ?? -1);
        let out: string;
        if (count < 0) out = a === "" ? Array.from(str).join(b).replace(/^/, b) + b : str.split(a).join(b);
        else {
          out = str;
          let from = 0;
          for (let k = 0; k < count; k++) {
            const at = out.indexOf(a, from);
            if (at === -1) break;
            out = out.slice(0, at) + b + out.slice(at + a.length);
            from = at + b.length;
          }
        }
        checkSize(out.length);
        return out;
      }
      case "lower":
        return str.toLowerCase();
      case "upper":
        return str.toUpperCase();
      case "strip":
        return stripChars(str, args[0] ?? null, true, true);
      case "lstrip":
        return stripChars(str, args[0] ?? null, true, false);
      case "rstrip":
        return stripChars(str, args[0] ?? null, false, true);
      case "startswith":
      case "endswith": {
        const a = args[0] ?? null;
        const opts = a instanceof PyTuple ? a.items : [a];
        return opts.some((o) => {
          const p = asString(o);
          if (p === undefined) throw new TemplateValueError(`${name} first arg must be str or a tuple of str, not ${typeName(o)}`);
          return name === "startswith" ? str.startsWith(p) : str.endsWith(p);
        });
      }
      case "count": {
        const p = asString(args[0] ?? null);
        if (p === undefined) throw new TemplateValueError("must be str");
        return BigInt(p === "" ? Array.from(str).length + 1 : str.split(p).length - 1);
      }
      case "find":
      case "index": {
        const p = asString(args[0] ?? null);
        if (p === undefined) throw new TemplateValueError("must be str");
        const at = str.indexOf(p);
        if (at === -1 && name === "index") throw new TemplateValueError("substring not found");
        return BigInt(at === -1 ? -1 : Array.from(str.slice(0, at)).length);
      }
    }
    noAttr(obj, name);
  }
  if (obj instanceof PyDict) {
    switch (name) {
      case "get": {
        if (!args.length) throw new TemplateValueError("get expected at least 1 argument, got 0");
        const k = toKey(args[0] as PyValue);
        return obj.map.has(k) ? (obj.map.get(k) ?? null) : (args[1] ?? null);
      }
      case "keys":
        return Array.from(obj.map.keys()) as PyValue[];
      case "values":
        return Array.from(obj.map.values());
      case "items":
        return Array.from(obj.map.entries(), ([k, v]) => new PyTuple([k as PyValue, v]));
    }
    noAttr(obj, name);
  }
  if (Array.isArray(obj) || obj instanceof PyTuple) {
    const items = Array.isArray(obj) ? obj : obj.items;
    if (name === "count") return BigInt(items.filter((x) => pyEquals(x, args[0] ?? null)).length);
    if (name === "index") {
      const at = items.findIndex((x) => pyEquals(x, args[0] ?? null));
      if (at === -1) throw new TemplateValueError(`${pyRepr(args[0] ?? null)} is not in list`);
      return BigInt(at);
    }
  }
  return noAttr(obj, name);
}

export { floatRepr };
