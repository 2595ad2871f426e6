/**
 * @module
 * Static parameter extraction, following Tinybird's `get_var_names_and_types`:
 * every `{{ }}` expression and `{% %}` statement is walked (branches not taken
 * included); type functions give a typed entry with their metadata kwargs,
 * `defined(x)`/`column(x)`… give an untyped `String` entry, bare names a
 * `String` entry. `extractParameters` merges the entries of several nodes.
 */

import type { Expr, Node, Target } from "./parse.js";
import { parseExpression } from "./parse.js";
import type { ParamSignature } from "./types.js";
import type { PyValue } from "./values.js";

export interface VarEntry {
  name: string;
  type: string;
  default: unknown;
  usedIn?: "function_call";
  /** Came from a type function (not a bare name or a helper). */
  typed: boolean;
  meta: Record<string, unknown>;
  line: number;
}

/** Tinybird `VALID_CUSTOM_FUNCTION_NAMES`: first argument names a parameter. */
const CUSTOM_FUNCTIONS = new Set([
  "defined", "column", "columns", "day_diff", "date_diff_in_seconds", "date_diff_in_minutes", "date_diff_in_hours",
  "date_diff_in_days", "split_to_array", "enumerate_with_last", "sql_and",
]);

/** Tinybird `parameter_types` plus `Int`/`Integer` (typed as Int32: a deliberate addition). */
const PARAM_TYPES = new Set([
  "String", "Boolean", "DateTime64", "DateTime", "Date", "Float32", "Float64", "Int8", "Int16", "Int32", "Int64",
  "Int128", "Int256", "UInt8", "UInt16", "UInt32", "UInt64", "UInt128", "UInt256", "Array", "JSON",
]);
const INT_ALIASES = new Set(["Int", "Integer"]);

const PY_BUILTINS = [
  "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes", "callable", "chr",
  "classmethod", "compile", "complex", "copyright", "credits", "delattr", "dict", "dir", "divmod", "enumerate", "eval",
  "exec", "exit", "filter", "float", "frozenset", "getattr", "globals", "hasattr", "hash", "help", "hex", "input",
  "int", "isinstance", "issubclass", "iter", "len", "license", "list", "locals", "map", "max", "memoryview", "min",
  "next", "object", "oct", "open", "ord", "pow", "print", "property", "quit", "range", "repr", "reversed", "round",
  "set", "setattr", "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip",
  "None", "True", "False", "Ellipsis", "NotImplemented", "__name__", "__doc__", "__package__", "__loader__", "__spec__",
  "__build_class__", "__import__", "__debug__", "BaseException", "BaseExceptionGroup", "Exception", "ExceptionGroup",
  "ArithmeticError", "AssertionError", "AttributeError", "BlockingIOError", "BrokenPipeError", "BufferError",
  "BytesWarning", "ChildProcessError", "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError",
  "ConnectionResetError", "DeprecationWarning", "EOFError", "EncodingWarning", "EnvironmentError", "FileExistsError",
  "FileNotFoundError", "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError",
  "ImportWarning", "IndentationError", "IndexError", "InterruptedError", "IsADirectoryError", "KeyError",
  "KeyboardInterrupt", "LookupError", "MemoryError", "ModuleNotFoundError", "NameError", "NotADirectoryError",
  "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning", "PermissionError",
  "ProcessLookupError", "RecursionError", "ReferenceError", "ResourceWarning", "RuntimeError", "RuntimeWarning",
  "StopAsyncIteration", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit", "TabError",
  "TimeoutError", "TypeError", "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError",
  "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError",
];

/** Names Tinybird never treats as parameters (builtins, its namespace and function list). */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...PY_BUILTINS,
  "_tt_tmp", "_tt_append", "error", "custom_error",
  "columns", "table", "TABLE", "sql_and", "defined", "column", "enumerate_with_last", "split_to_array", "day_diff",
  "date_diff_in_days", "date_diff_in_hours", "date_diff_in_minutes", "date_diff_in_seconds", "sql_unescape", "JSON",
  "symbol", "_tt_utf8", "_tt_string_types", "xhtml_escape", "expression_wrapper", "__buildins__", "open", "close",
  "print", "input",
]);

/** Rejected parameter names. */
export const DEFAULT_PARAM_NAMES = ["format", "q"];
/** Reserved parameter names (warned about). */
export const RESERVED_PARAM_NAMES = [
  "__tb__semver", "debug_source_tables", "debug", "explain", "finalize_aggregations",
  "output_format_json_quote_64bit_integers", "output_format_json_quote_denormals",
  "output_format_parquet_string_as_string", "pipeline", "playground", "q", "query_id", "release_replacements", "tag",
  "template_parameters", "token", "job_timestamp",
];

// ---------------------------------------------------------------------------

/** The node lists nested in a `for`, `while` or `try` statement, in source order. */
function nestedBlocks(n: Extract<Node, { k: "for" | "while" | "try" }>): (readonly Node[])[] {
  const out: (readonly Node[])[] = [n.body];
  if (n.k === "try" && n.handler) out.push(n.handler.body);
  if (n.orelse) out.push(n.orelse);
  if (n.k === "try" && n.final) out.push(n.final);
  return out;
}

type WalkNode = Expr | { k: "kw"; value: Expr } | { k: "target"; t: Target } | { k: "stmt"; children: WalkNode[] };

function children(n: WalkNode): WalkNode[] {
  switch (n.k) {
    case "call":
      return [n.func, ...n.args, ...n.kwargs.map((k) => ({ k: "kw" as const, value: k.value }))];
    case "kw":
      return [n.value];
    case "bin":
      return [n.l, n.r];
    case "bool":
      return n.values;
    case "cmp":
      return [n.left, ...n.rights];
    case "unary":
      return [n.arg];
    case "ifexp":
      return [n.test, n.body, n.orelse];
    case "sub":
      return [n.obj, n.index];
    case "slice":
      return [n.obj, ...[n.lower, n.upper, n.step].filter((x): x is Expr => x !== null)];
    case "attr":
      return [n.obj];
    case "list":
    case "tuple":
    case "set":
      return n.items;
    case "dict":
      return [...n.keys, ...n.values];
    case "fstr":
      return n.parts.filter((p): p is Expr => typeof p !== "string");
    case "target":
      return n.t.k === "name" ? [] : n.t.items.map((t) => ({ k: "target" as const, t }));
    case "stmt":
      return n.children;
    default:
      return [];
  }
}

function safeDefault(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) && v <= 9007199254740991n ? Number(v) : v.toString();
  return v;
}

/** Tinybird `node_to_value`: the literal a default/metadata argument holds. */
function literal(e: Expr): unknown {
  switch (e.k) {
    case "const":
      return safeDefault(e.v);
    case "name":
      return e.id;
    case "list":
      return e.items.map((x) => (x.k === "const" || x.k === "name" ? literal(x) : null));
    case "bin": {
      const l = literal(e.l);
      return l ? l : literal(e.r);
    }
    case "unary":
      if (e.arg.k === "const") {
        const v = e.arg.v as PyValue;
        if (e.op === "-" && typeof v === "bigint") return safeDefault(-v);
        if (e.op === "-" && typeof v === "number") return -v;
        return safeDefault(v);
      }
      return null;
    default:
      return null;
  }
}

/** Tinybird `get_var_data` for one parsed expression/statement. */
function varData(root: WalkNode, line: number): VarEntry[] {
  const vars = new Map<string, VarEntry>();
  const queue: [WalkNode, WalkNode | null][] = [[root, null]];
  for (let qi = 0; qi < queue.length; qi++) {
    const [node, parent] = queue[qi] as [WalkNode, WalkNode | null];
    if (node.k === "call" && node.func.k === "name") {
      const func = node.func.id;
      const args = node.args.filter((a) => a.k !== "call").map(literal);
      const kw: Record<string, unknown> = {};
      for (const k of node.kwargs) kw[k.name] = literal(k.value);
      const first = node.args[0];
      const firstName = first && first.k === "name" ? first.id : undefined;
      if (CUSTOM_FUNCTIONS.has(func)) {
        if (firstName && !vars.has(firstName))
          vars.set(firstName, { name: firstName, type: "String", default: null, usedIn: "function_call", typed: false, meta: {}, line });
      } else if (func === "Array") {
        if (firstName) {
          const dflt = "default" in kw ? kw.default : args.length > 2 && args[2] ? args[2] : null;
          const { default: _d, ...meta } = kw;
          void _d;
          vars.set(firstName, {
            name: firstName,
            type: args.length > 1 && typeof args[1] === "string" ? `Array(${args[1]})` : "Array(String)",
            default: dflt ?? null,
            typed: true,
            meta,
            line,
          });
        }
      } else if (PARAM_TYPES.has(func) || INT_ALIASES.has(func)) {
        if (firstName) {
          const dflt = "default" in kw ? kw.default : args.length > 1 ? args[1] : null;
          const { default: _d, ...meta } = kw;
          void _d;
          vars.set(firstName, {
            name: firstName,
            type: INT_ALIASES.has(func) ? "Int32" : func,
            default: dflt ?? null,
            typed: true,
            meta,
            line,
          });
        }
      }
    } else if (node.k === "name" || (node.k === "target" && node.t.k === "name")) {
      const id = node.k === "name" ? node.id : (node.t as { id: string }).id;
      const underCall = parent !== null && parent.k === "call";
      if (!underCall && !RESERVED_NAMES.has(id)) vars.set(id, { name: id, type: "String", default: null, typed: false, meta: {}, line });
    }
    for (const c of children(node)) queue.push([c, node]);
  }
  return [...vars.values()];
}

const EMBEDDED = /\{\{(.*?)\}\}/g;

/** Tinybird's variable list for one template (duplicates kept, source order). */
export function collectVars(nodes: readonly Node[]): VarEntry[] {
  const typedNames = new Set<string>();
  const out: VarEntry[] = [];

  const statement = (root: WalkNode, src: string, line: number) => {
    const exprNames = new Set<string>();
    if (src.includes("{{") && src.includes("}}")) {
      for (const m of src.matchAll(EMBEDDED)) {
        const inner = (m[1] ?? "").trim();
        if (!inner) continue;
        let data: VarEntry[];
        try {
          data = varData(parseExpression(inner, false), line);
        } catch {
          continue;
        }
        for (const v of data) {
          if (typedNames.has(v.name)) continue;
          exprNames.add(v.name);
          out.push(v);
        }
      }
    }
    for (const v of varData(root, line)) if (!typedNames.has(v.name) && !exprNames.has(v.name)) out.push(v);
  };

  const walk = (list: readonly Node[]) => {
    for (const n of list) {
      switch (n.k) {
        case "expr": {
          const data = varData(n.expr, n.line);
          for (const v of data) typedNames.add(v.name);
          out.push(...data);
          break;
        }
        case "if": {
          walk(n.branches[0]?.body ?? []);
          for (const b of n.branches.slice(1)) {
            if (b.test) statement({ k: "stmt", children: [{ k: "const", v: false }, b.test] }, b.src, b.line);
            walk(b.body);
          }
          const first = n.branches[0];
          if (first?.test) statement(first.test, first.src, first.line);
          break;
        }
        case "for":
          nestedBlocks(n).forEach(walk);
          statement({ k: "stmt", children: [{ k: "target", t: n.target }, n.iter] }, n.src, n.line);
          break;
        case "while":
          nestedBlocks(n).forEach(walk);
          statement(n.test, n.src, n.line);
          break;
        case "try":
          nestedBlocks(n).forEach(walk);
          break;
        case "set":
          if (!n.src.includes("{{")) statement({ k: "stmt", children: [{ k: "target", t: n.target }, n.value] }, n.src, n.line);
          break;
        default:
          break;
      }
    }
  };
  walk(nodes);
  return out;
}

/** Names referenced anywhere (Tinybird `get_var_names`), for the reserved-name check. */
export function referencedNames(nodes: readonly Node[]): { name: string; line: number }[] {
  const out: { name: string; line: number }[] = [];
  const visit = (n: WalkNode, line: number) => {
    if (n.k === "name") {
      if (!RESERVED_NAMES.has(n.id)) out.push({ name: n.id, line });
    } else if (n.k === "target" && n.t.k === "name") out.push({ name: n.t.id, line });
    for (const c of children(n)) visit(c, line);
  };
  const walk = (list: readonly Node[]) => {
    for (const n of list) {
      switch (n.k) {
        case "expr":
          visit(n.expr, n.line);
          break;
        case "if":
          for (const b of n.branches) {
            if (b.test) visit(b.test, b.line);
            walk(b.body);
          }
          break;
        case "for":
          visit({ k: "target", t: n.target }, n.line);
          visit(n.iter, n.line);
          nestedBlocks(n).forEach(walk);
          break;
        case "while":
          visit(n.test, n.line);
          nestedBlocks(n).forEach(walk);
          break;
        case "try":
          nestedBlocks(n).forEach(walk);
          break;
        case "set":
          visit({ k: "target", t: n.target }, n.line);
          visit(n.value, n.line);
          break;
        default:
          break;
      }
    }
  };
  walk(nodes);
  return out;
}

function toSignature(v: VarEntry): ParamSignature {
  const sig: ParamSignature = {
    name: v.name,
    type: v.type,
    default: v.default ?? null,
    required: v.meta.required === true,
  };
  if (typeof v.meta.description === "string") sig.description = v.meta.description;
  if (v.meta.example !== undefined && v.meta.example !== null) sig.example = v.meta.example;
  if (typeof v.meta.format === "string") sig.format = v.meta.format;
  if (Array.isArray(v.meta.enum)) sig.enum = v.meta.enum;
  if (!v.typed) sig.untyped = true;
  return sig;
}

/**
 * Merge the entries of several templates (a pipe's nodes) into one list:
 * one entry per name, in first-seen order; the first typed occurrence wins,
 * metadata missing there is filled from later occurrences. Names only ever
 * assigned by `{% set %}`/`{% for %}` are locals, not parameters.
 */
export function mergeSignatures(perTemplate: { vars: readonly VarEntry[]; locals: ReadonlySet<string> }[]): ParamSignature[] {
  const order: string[] = [];
  const best = new Map<string, VarEntry>();
  const extra = new Map<string, Record<string, unknown>>();
  for (const { vars, locals } of perTemplate) {
    for (const v of vars) {
      if (locals.has(v.name)) continue;
      const cur = best.get(v.name);
      if (!cur) {
        order.push(v.name);
        best.set(v.name, v);
        extra.set(v.name, { ...v.meta });
      } else {
        if (!cur.typed && v.typed) best.set(v.name, v);
        const m = extra.get(v.name) as Record<string, unknown>;
        for (const [k, val] of Object.entries(v.meta)) if (!(k in m)) m[k] = val;
      }
    }
  }
  return order.map((name) => {
    const v = best.get(name) as VarEntry;
    return toSignature({ ...v, meta: { ...extra.get(name), ...v.meta } });
  });
}
