/**
 * @module
 * Helper functions of the template language (`defined`, `column`, `columns`,
 * `symbol`, `table`, `sql_and`, `split_to_array`, `day_diff`, `date_diff_*`,
 * `sql_unescape`, `error`, `custom_error`, `max_threads`, `cache_ttl`,
 * `backend_hint`, `activate`, `disable`, `tb_secret`, `tb_var`) and the
 * Python builtins the sandbox allows.
 */

import {
  SqlTemplateError,
  TemplateCustomError,
  TemplateLookupError,
  TemplateUserError,
  TemplateValueError,
} from "../errors.js";
import { escapeIdentifier, escapeString, isSafeStringBody } from "../escape.js";
import { pyStrip, pySplit } from "../expression.js";
import {
  Placeholder,
  PyDict,
  PyFunction,
  PySet,
  PyTuple,
  SqlText,
  TypedFloat,
  TypedInt,
  asNumber,
  asString,
  iterate,
  pyCompare,
  pyRepr,
  pyStr,
  truthy,
  typeName,
  type NativeFn,
  type PyValue,
} from "../values.js";
import { bind, pyFloat, pyInt, wrapValue } from "./types.js";

const DOCS = "/cli/advanced-templates.html";

function noTranslate(x: PyValue): never {
  throw new TemplateLookupError(`'${typeName(x)}' object has no attribute 'translate'`, "attribute");
}

function identBody(x: PyValue): string {
  const s = asString(x);
  if (s === undefined) noTranslate(x);
  return escapeIdentifier(s);
}

// ---------------------------------------------------------------------------
// Identifiers

function columnSql(x0: PyValue, dflt: PyValue): string {
  let x = x0;
  if (x === null || x instanceof Placeholder) {
    if (dflt === null)
      throw new SqlTemplateError(
        "Missing column() default value, use `column(column_name, 'default_column_name')`",
        `${DOCS}#column`,
      );
    x = dflt;
  }
  const s = asString(x);
  if (s === undefined) return "`" + identBody(x) + "`";
  return s
    .split(".")
    .map((p) => "`" + escapeIdentifier(p) + "`")
    .join(".");
}

const column: NativeFn = (args, kwargs) => {
  const [x, d] = bind("column", ["x", "default"], 1, args, kwargs);
  return new SqlText(columnSql(x ?? null, d ?? null), "symbol");
};

const SAFE_ALIAS = /^[A-Za-z_][A-Za-z0-9_]*$/;

const columns: NativeFn = (args, kwargs) => {
  const [x0, d, fn0] = bind("columns", ["x", "default", "fn"], 1, args, kwargs);
  let x: PyValue = x0 ?? null;
  if (x === null || x instanceof Placeholder) {
    if ((d ?? null) === null)
      throw new SqlTemplateError(
        "Missing columns() default value, use `columns(column_names, 'default_column_name')`",
        `${DOCS}#columns`,
      );
    x = d ?? null;
  }
  const s = asString(x);
  if (s === undefined)
    throw new SqlTemplateError("The 'columns' function expects a String not an Array", `${DOCS}#columns`);
  const cols = s.split(",").map(pyStrip);
  const fn = fn0 ?? null;
  if (truthy(fn)) {
    // Divergence: Tinybird pastes `fn` and the alias raw; we refuse anything but plain identifiers.
    const f = pyStr(fn);
    if (!SAFE_ALIAS.test(f)) throw new SqlTemplateError(`Invalid function name for columns(): ${pyRepr(f)}`, `${DOCS}#columns`);
    return new SqlText(
      cols.map((c) => `${f}(${columnSql(c, c)}) as ${SAFE_ALIAS.test(c) ? c : "`" + escapeIdentifier(c) + "`"}`).join(","),
      "expression",
    );
  }
  return new SqlText(cols.map((c) => columnSql(c, c)).join(","), "expression");
};

const SAFE_QUOTES = new Set(["`", '"', "'"]);

const symbol: NativeFn = (args, kwargs) => {
  const [x, q] = bind("symbol", ["x", "quote"], 1, args, kwargs);
  if (x instanceof Placeholder) return new SqlText("`placeholder`", "symbol");
  const quote = q === undefined ? "`" : pyStr(q);
  // Divergence: any other quote would let the value out of the identifier.
  if (!SAFE_QUOTES.has(quote)) throw new SqlTemplateError(`Invalid quote for symbol(): ${pyRepr(quote)}`);
  return new SqlText(quote + identBody(x ?? null) + quote, "symbol");
};

const SAFE_TABLE = /^[A-Za-z0-9_.$-]*$/;

const table: NativeFn = (args, kwargs) => {
  const [x] = bind("table", ["x", "quote"], 1, args, kwargs);
  if (x instanceof Placeholder) return new SqlText("placeholder", "symbol");
  const body = identBody(x ?? null);
  // Divergence: Tinybird emits the escaped name unquoted; only identifier characters may pass.
  if (!SAFE_TABLE.test(body)) throw new SqlTemplateError(`Invalid table name: ${pyRepr(asString(x ?? null) ?? "")}`);
  return new SqlText(body, "symbol");
};

// ---------------------------------------------------------------------------

const defined: NativeFn = (args, kwargs) => {
  const [x] = bind("defined", ["x"], 0, args, kwargs);
  const v = x ?? null;
  return !(v instanceof Placeholder || v === null);
};

const OPERANDS: Record<string, string> = { in: "in", not_in: "not in", gt: ">", lt: "<", gte: ">=", lte: "<=" };

const sqlAnd: NativeFn = (_args, kwargs) => {
  const parts: string[] = [];
  if (kwargs) {
    for (const [k, v] of kwargs) {
      if (v === null) continue;
      const cut = k.lastIndexOf("__");
      let name = k;
      let op = "=";
      if (cut !== -1) {
        name = k.slice(0, cut);
        const suffix = k.slice(cut + 2);
        const o = OPERANDS[suffix];
        if (!o) throw new SqlTemplateError(`operand ${suffix} not supported`, `${DOCS}#sql_and`);
        op = o;
      }
      parts.push(`${name} ${op} ${wrapValue(v, k)}`);
    }
  }
  return new SqlText(parts.join(" and "), "expression");
};

const splitToArray: NativeFn = (args, kwargs) => {
  const [x0, d, sep] = bind("split_to_array", ["x", "default", "separator"], 1, args, kwargs);
  let x: PyValue = x0 ?? null;
  if (x === null || x instanceof Placeholder) x = d === undefined ? "" : d;
  const s = asString(x);
  if (s === undefined)
    throw new SqlTemplateError(
      "First argument of split_to_array has to be a value that can be split to a list of elements, but found a PlaceHolder with no value instead",
      `${DOCS}#split_to_array`,
    );
  return pySplit(s, sep === undefined ? "," : sep).map(pyStrip);
};

const enumerateWithLast: NativeFn = (args, kwargs) => {
  const [arr] = bind("enumerate_with_last", ["arr"], 1, args, kwargs);
  const a = arr ?? null;
  if (a instanceof Placeholder || a === null || typeof a === "bigint" || typeof a === "number" || typeof a === "boolean")
    throw new TemplateValueError(`object of type '${typeName(a)}' has no len()`);
  const items = iterate(a);
  return items.map((x, i) => new PyTuple([i === items.length - 1, x]));
};

// ---------------------------------------------------------------------------
// Dates

interface Parsed {
  ms: number;
}

const DIRECTIVES: Record<string, string> = {
  Y: "(\\d\\d\\d\\d)",
  y: "(\\d\\d)",
  m: "(1[0-2]|0[1-9]|[1-9])",
  d: "(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])",
  H: "(2[0-3]|[0-1]\\d|\\d)",
  M: "([0-5]\\d|\\d)",
  S: "(6[0-1]|[0-5]\\d|\\d)",
  f: "([0-9]{1,6})",
  z: "(Z|[+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?)",
};

const formatCache = new Map<string, { re: RegExp; fields: string[] }>();

function compileFormat(fmt: string): { re: RegExp; fields: string[] } {
  const hit = formatCache.get(fmt);
  if (hit) return hit;
  let src = "";
  const fields: string[] = [];
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i] as string;
    if (c === "%") {
      const d = fmt[++i] ?? "";
      if (d === "%") src += "%";
      else {
        const r = DIRECTIVES[d];
        if (!r) throw new TemplateValueError(`'${d}' is a bad directive in format '${fmt}'`);
        src += r;
        fields.push(d);
      }
    } else if (/\s/.test(c)) {
      src += "\\s+";
      while (/\s/.test(fmt[i + 1] ?? "")) i++;
    } else src += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const out = { re: new RegExp("^" + src, "i"), fields };
  formatCache.set(fmt, out);
  return out;
}

/** Python `datetime.strptime` for the directives templates use; undefined when it would raise. */
export function strptime(s: PyValue, fmt: string): Parsed | undefined {
  if (typeof s !== "string") return undefined;
  const { re, fields } = compileFormat(fmt);
  const m = re.exec(s);
  if (!m || m[0].length !== s.length) return undefined;
  let Y = 1900, mo = 1, d = 1, H = 0, Mi = 0, S = 0, us = 0, off = 0;
  fields.forEach((f, i) => {
    const v = (m[i + 1] ?? "").trim();
    switch (f) {
      case "Y": Y = Number(v); break;
      case "y": { const n = Number(v); Y = n <= 68 ? 2000 + n : 1900 + n; break; }
      case "m": mo = Number(v); break;
      case "d": d = Number(v); break;
      case "H": H = Number(v); break;
      case "M": Mi = Number(v); break;
      case "S": S = Number(v); break;
      case "f": us = Number(v.padEnd(6, "0")); break;
      case "z": {
        if (v.toUpperCase() !== "Z") {
          const z = /^([+-])(\d\d):?(\d\d)/.exec(v);
          if (z) off = (z[1] === "-" ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
        }
        break;
      }
    }
  });
  if (S > 59) return undefined;
  const dim = new Date(Date.UTC(Y, mo, 0)).getUTCDate();
  if (Y < 1 || d > dim) return undefined;
  const ms = Date.UTC(Y, mo - 1, d, H, Mi, S) - off * 60000;
  return { ms: ms + us / 1000 };
}

function parseWith(x: PyValue, fmt: string, backup: string | null): Parsed | undefined {
  return strptime(x, fmt) ?? (backup !== null ? strptime(x, backup) : undefined);
}

const DIFF_UNITS = { days: 86400, hours: 3600, minutes: 60, seconds: 1 } as const;

const HOURS_MSG = (fn: string) =>
  `invalid date_format in function \`${fn}\`, defaults to YYYY-MM-DD hh:mm:ss. Or %Y-%m-%d %H:%M:%S [.ssssss]Z, e.g. ms: 2022-12-19T18:42:22.591Z s:2022-12-19T18:42:22Z`;

const DIFF_MESSAGES: Record<keyof typeof DIFF_UNITS, string> = {
  days: "invalid date format in function `date_diff_in_days`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26",
  hours: HOURS_MSG("date_diff_in_hours"),
  minutes: HOURS_MSG("date_diff_in_seconds"),
  seconds: HOURS_MSG("date_diff_in_seconds"),
};

function dateDiff(unit: keyof typeof DIFF_UNITS, defaultFormat: string): NativeFn {
  return (args, kwargs) => {
    const [d0, d1, fmt0, dflt, backup0, noneIfError] = bind(
      `date_diff_in_${unit}`,
      ["d0", "d1", "date_format", "default", "backup_date_format", "none_if_error"],
      2,
      args,
      kwargs,
    );
    if (d0 instanceof Placeholder || d1 instanceof Placeholder) return truthy(dflt ?? null) ? (dflt ?? null) : 0n;
    const fmt = fmt0 === undefined ? defaultFormat : asString(fmt0);
    const backup = backup0 === undefined || backup0 === null ? null : (asString(backup0) ?? null);
    const a = fmt === undefined ? undefined : parseWith(d0 ?? null, fmt, backup);
    const b = fmt === undefined ? undefined : parseWith(d1 ?? null, fmt, backup);
    if (!a || !b) {
      if (truthy(noneIfError ?? false)) return null;
      throw new SqlTemplateError(DIFF_MESSAGES[unit], `${DOCS}#date_diff_in_${unit}`);
    }
    const secs = Math.abs(b.ms - a.ms) / 1000;
    return BigInt(Math.trunc(secs / DIFF_UNITS[unit]));
  };
}

const dateDiffDays = dateDiff("days", "%Y-%m-%d");

const dayDiff: NativeFn = (args, kwargs, ctx) => {
  const [d0, d1] = bind("day_diff", ["d0", "d1", "default"], 2, args, kwargs);
  try {
    return dateDiffDays([d0 ?? null, d1 ?? null], undefined, ctx);
  } catch {
    throw new SqlTemplateError(
      "invalid date format in function `day_diff`, it must be ISO format date YYYY-MM-DD, e.g. 2018-09-26. For other fotmats, try `date_diff_in_days`",
      `${DOCS}#date_diff_in_days`,
    );
  }
};

// ---------------------------------------------------------------------------

const sqlUnescape: NativeFn = (args, kwargs) => {
  const [x, what0] = bind("sql_unescape", ["x", "what"], 1, args, kwargs);
  const s = asString(x ?? null);
  if (s === undefined) noTranslate(x ?? null);
  const what = what0 === undefined ? "" : pyStr(what0);
  const body = escapeString(s).split("\\" + what).join(what);
  // Divergence: Tinybird would emit this as is; a body that no longer stays inside
  // the quotes (e.g. what='' with a quote in the value) is refused.
  if (!isSafeStringBody(body)) throw new SqlTemplateError(`sql_unescape() would leave the string literal: ${pyRepr(what)}`);
  return new SqlText("'" + body + "'", "expression");
};

const errorFn: NativeFn = (args, kwargs, ctx) => {
  const [s] = bind("error", ["s", "code"], 1, args, kwargs);
  if (ctx.state.check) return new SqlText("-- {x} \n", "expression");
  throw new TemplateUserError(pyStr(s ?? null));
};

function toJsonValue(v: PyValue): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === "number") return v;
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v instanceof PyTuple || v instanceof PySet) return v.items.map(toJsonValue);
  if (v instanceof PyDict) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of v.map) o[k === null ? "null" : String(k)] = toJsonValue(val);
    return o;
  }
  return pyStr(v);
}

const customError: NativeFn = (args, kwargs, ctx) => {
  const [s, code] = bind("custom_error", ["s", "code"], 1, args, kwargs);
  if (ctx.state.check) return new SqlText("-- {x} \n", "expression");
  const payload = toJsonValue(s ?? null);
  const n = code === undefined ? 400 : Number(asNumber(code ?? null) ?? 400);
  const status = Number.isInteger(n) && n >= 100 && n <= 599 ? n : 400;
  const message = typeof payload === "string" ? payload : JSON.stringify(payload);
  throw new TemplateCustomError(message, status, payload);
};

/** One-line comment text: a newline would end the comment and let text into the SQL. */
function commentSafe(s: string): string {
  return s.replace(/[\r\n]/g, " ");
}

const maxThreads: NativeFn = (args, kwargs, ctx) => {
  const [x] = bind("set_max_threads", ["x"], 1, args, kwargs);
  const v = x ?? null;
  try {
    const n = pyInt(v);
    ctx.state.meta.maxThreads = Number(n);
    ctx.state.settings.max_threads = Number(n);
    return new SqlText(`-- max_threads ${commentSafe(pyStr(v))}\n`, "expression");
  } catch {
    return new SqlText(`-- max_threads: wrong argument ${commentSafe(pyStr(v))}\n`, "expression");
  }
};

const backendHint: NativeFn = (args, kwargs, ctx) => {
  const [h] = bind("set_backend_hint", ["hint"], 1, args, kwargs);
  const v = h ?? null;
  ctx.state.meta.backendHint = v === null || v === false ? null : pyStr(v);
  return new SqlText(`-- backend_hint ${commentSafe(pyStr(v))}\n`, "expression");
};

const TTLS = ["5s", "1m", "5m", "30m", "1h"];

const cacheTtl: NativeFn = (args, kwargs, ctx) => {
  const [t] = bind("set_cache_ttl", ["ttl_expression"], 1, args, kwargs);
  const s = asString(t ?? null);
  if (s === undefined || !TTLS.includes(s))
    throw new SqlTemplateError(`Invalid TTL cache expression, valid expressions are ('5s', '1m', '5m', '30m', '1h')`, undefined);
  ctx.state.meta.cacheTtl = s;
  return new SqlText(`-- cache_ttl ${s}\n`, "expression");
};

const activate: NativeFn = (args, kwargs, ctx) => {
  const [f] = bind("set_activate", ["feature"], 1, args, kwargs);
  const s = asString(f ?? null);
  if (s !== "analyzer" && s !== "parallel_replicas")
    throw new SqlTemplateError(`'${pyStr(f ?? null)}' is not a valid 'activate' argument`, undefined);
  ctx.state.meta.activate = s;
  if (s === "analyzer") ctx.state.settings.allow_experimental_analyzer = 1;
  return new SqlText(`-- activate ${s}\n`, "expression");
};

const disable: NativeFn = (args, kwargs, ctx) => {
  const [f] = bind("set_disable_feature", ["feature"], 1, args, kwargs);
  const s = asString(f ?? null);
  if (s === undefined) throw new TemplateValueError(`'in <string>' requires string as left operand, not ${typeName(f ?? null)}`);
  if (!"analyzer".includes(s)) throw new SqlTemplateError(`'${s}' is not a valid 'disable' argument`, undefined);
  ctx.state.meta.disable = s;
  if (s === "analyzer") ctx.state.settings.allow_experimental_analyzer = 0;
  return new SqlText(`-- disable ${commentSafe(s)}\n`, "expression");
};

const tbSecret: NativeFn = (args, kwargs, ctx) => {
  const [x, d] = bind("set_tb_secret", ["x", "default"], 1, args, kwargs);
  const name = asString(x ?? null);
  const fail = () =>
    new SqlTemplateError(
      `Cannot access secret '${pyStr(x ?? null)}'. Check the secret exists in the Workspace and the token has the required scope.`,
      undefined,
    );
  if (name === undefined) throw fail();
  if (ctx.state.secrets.has(name)) {
    ctx.state.queryParams.add(name);
    return new SqlText(`{${escapeIdentifier(ctx.state.secretParamPrefix + name)}: String}`, "symbol");
  }
  if (d !== undefined && d !== null) return d;
  if (ctx.state.secretsTestMode) return new SqlText(`{${escapeIdentifier(ctx.state.secretParamPrefix + name)}: String}`, "symbol");
  throw fail();
};

// ---------------------------------------------------------------------------
// Python builtins

function lenOf(v: PyValue): bigint {
  const s = asString(v);
  if (s !== undefined) return BigInt(Array.from(s).length);
  if (Array.isArray(v)) return BigInt(v.length);
  if (v instanceof PyTuple || v instanceof PySet) return BigInt(v.items.length);
  if (v instanceof PyDict) return BigInt(v.map.size);
  throw new TemplateValueError(`object of type '${typeName(v)}' has no len()`);
}

function minMax(sign: 1 | -1, fname: string): NativeFn {
  return (args, kwargs) => {
    const items = args.length === 1 ? iterate(args[0] ?? null) : args;
    if (!items.length) {
      const d = kwargs?.get("default");
      if (d !== undefined) return d;
      throw new TemplateValueError(`${fname}() arg is an empty sequence`);
    }
    let best = items[0] as PyValue;
    for (const x of items.slice(1)) if (pyCompare(x, best, sign < 0 ? "<" : ">") * sign > 0) best = x;
    return best;
  };
}

function toPyInt(v: PyValue): bigint {
  if (v instanceof Placeholder || v === null || Array.isArray(v) || v instanceof PyDict)
    throw new TemplateValueError(`int() argument must be a string, a bytes-like object or a real number, not '${typeName(v)}'`);
  return pyInt(v);
}

function toPyFloat(v: PyValue): number {
  if (v instanceof Placeholder || v === null || Array.isArray(v) || v instanceof PyDict)
    throw new TemplateValueError(`float() argument must be a string or a real number, not '${typeName(v)}'`);
  return pyFloat(v);
}

const RANGE_MAX = 100_000;

const BUILTINS: [string, NativeFn][] = [
  ["len", (a) => lenOf(a[0] ?? null)],
  ["list", (a) => (a.length ? [...iterate(a[0] ?? null)] : [])],
  ["tuple", (a) => new PyTuple(a.length ? [...iterate(a[0] ?? null)] : [])],
  ["min", minMax(-1, "min")],
  ["max", minMax(1, "max")],
  ["int", (a) => (a.length ? toPyInt(a[0] ?? null) : 0n)],
  ["float", (a) => (a.length ? toPyFloat(a[0] ?? null) : 0)],
  ["str", (a) => (a.length ? pyStr(a[0] ?? null) : "")],
  ["bool", (a) => (a.length ? truthy(a[0] ?? null) : false)],
  ["abs", (a) => {
    const n = asNumber(a[0] ?? null);
    if (n === undefined) throw new TemplateValueError(`bad operand type for abs(): '${typeName(a[0] ?? null)}'`);
    return typeof n === "bigint" ? (n < 0n ? -n : n) : Math.abs(n);
  }],
  ["round", (a) => {
    const n = asNumber(a[0] ?? null);
    if (n === undefined) throw new TemplateValueError(`type ${typeName(a[0] ?? null)} doesn't define __round__ method`);
    if (typeof n === "bigint") return n;
    const r = Math.round(n);
    return BigInt(Math.abs(n % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r);
  }],
  ["sum", (a) => {
    let acc: PyValue = a[1] ?? 0n;
    for (const x of iterate(a[0] ?? null)) {
      const l = asNumber(acc);
      const r = asNumber(x);
      if (l === undefined || r === undefined)
        throw new TemplateValueError(`unsupported operand type(s) for +: '${typeName(acc)}' and '${typeName(x)}'`);
      acc = typeof l === "bigint" && typeof r === "bigint" ? l + r : Number(l) + Number(r);
    }
    return acc;
  }],
  ["any", (a) => iterate(a[0] ?? null).some(truthy)],
  ["all", (a) => iterate(a[0] ?? null).every(truthy)],
  ["sorted", (a) => [...iterate(a[0] ?? null)].sort((x, y) => pyCompare(x, y, "<"))],
  ["enumerate", (a) => iterate(a[0] ?? null).map((x, i) => new PyTuple([BigInt(i) + BigInt(Number(asNumber(a[1] ?? 0n) ?? 0n)), x]))],
  ["range", (a) => {
    const ns = a.map((x) => {
      const n = asNumber(x);
      if (typeof n !== "bigint") throw new TemplateValueError(`'${typeName(x)}' object cannot be interpreted as an integer`);
      return Number(n);
    });
    const [start, stop, step] = ns.length === 1 ? [0, ns[0] ?? 0, 1] : [ns[0] ?? 0, ns[1] ?? 0, ns[2] ?? 1];
    if (step === 0) throw new TemplateValueError("range() arg 3 must not be zero");
    const out: PyValue[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
      if (out.length >= RANGE_MAX) throw new TemplateValueError("range too large for a template");
      out.push(BigInt(i));
    }
    return out;
  }],
];

export const HELPER_FUNCTIONS: ReadonlyMap<string, PyFunction> = new Map(
  (
    [
      ["defined", defined],
      ["column", column],
      ["columns", columns],
      ["symbol", symbol],
      ["Symbol", symbol],
      ["Column", symbol],
      ["table", table],
      ["TABLE", table],
      ["sql_and", sqlAnd],
      ["split_to_array", splitToArray],
      ["enumerate_with_last", enumerateWithLast],
      ["day_diff", dayDiff],
      ["date_diff_in_days", dateDiffDays],
      ["date_diff_in_hours", dateDiff("hours", "%Y-%m-%d %H:%M:%S")],
      ["date_diff_in_minutes", dateDiff("minutes", "%Y-%m-%d %H:%M:%S")],
      ["date_diff_in_seconds", dateDiff("seconds", "%Y-%m-%d %H:%M:%S")],
      ["sql_unescape", sqlUnescape],
      ["error", errorFn],
      ["custom_error", customError],
      ["max_threads", maxThreads],
      ["backend_hint", backendHint],
      ["cache_ttl", cacheTtl],
      ["activate", activate],
      ["disable", disable],
      ["tb_secret", tbSecret],
      ["tb_var", tbSecret],
      ...BUILTINS,
    ] as [string, NativeFn][]
  ).map(([n, f]) => [n, new PyFunction(n, f)]),
);

export { TypedFloat, TypedInt };
