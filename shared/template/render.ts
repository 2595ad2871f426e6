/**
 * @module
 * Compile (parse once, sandbox-check, collect the signature) and render
 * (evaluate against request parameters) pipe-node templates.
 *
 * @example
 * const t = compileTemplate("%\nSELECT * FROM events WHERE d > {{Date(start, '2024-01-01')}}");
 * render(t, { start: "2025-01-31" }).sql; // "\nSELECT * FROM events WHERE d > '2025-01-31'"
 */

import {
  MissingParameterError,
  REQUIRED_PARAM_NOT_DEFINED,
  ReservedParameterError,
  SqlTemplateError,
  TemplateCustomError,
  TemplateError,
  TemplateLookupError,
  TemplateUserError,
  TemplateValueError,
  UnboundLocalTemplateError,
} from "./errors.js";
import { escapeString } from "./escape.js";
import { SqlTemplateErrorLike, binop, checkExpr, evaluate, type Scope } from "./expression.js";
import { HELPER_FUNCTIONS } from "./functions/helpers.js";
import { TYPE_FUNCTIONS, arrayElements, wrapValue } from "./functions/types.js";
import { decodeEscapes } from "./lexer.js";
import { parseTemplate, targetNames, type Expr, type Node, type Target } from "./parse.js";
import {
  DEFAULT_PARAM_NAMES,
  RESERVED_PARAM_NAMES,
  collectVars,
  mergeSignatures,
  referencedNames,
  type VarEntry,
} from "./signature.js";
import type { CompiledTemplate, ParamSignature, Params, RenderOptions, RenderResult, RenderState } from "./types.js";
import { finishShape, isShapeNonce, literalType, shapeMarker } from "./shape.js";
import { Placeholder, PyFunction, PyTuple, fromJson, iterate, truthy, type PyValue } from "./values.js";

const FUNCTIONS: ReadonlyMap<string, PyFunction> = new Map([...TYPE_FUNCTIONS, ...HELPER_FUNCTIONS]);

/** A node's SQL is a template when its first non-blank line starts with `%`. */
export function isTemplated(sql: string): boolean {
  return /^\s*%/.test(sql);
}

interface Compiled extends CompiledTemplate {
  readonly lastLine: ReadonlyMap<string, number>;
  readonly referencesLength: boolean;
}

const cache = new Map<string, Compiled>();
const CACHE_MAX = 2048;

/**
 * Parse a node's SQL once. Throws `TemplateError` subclasses for syntax,
 * sandbox and reserved-name errors (Tinybird raises those when the template
 * is loaded). Non-templated SQL compiles to itself.
 */
export function compileTemplate(source: string, options: { name?: string } = {}): CompiledTemplate {
  const key = options.name ? `${options.name}\u0000${source}` : source;
  const hit = cache.get(key);
  if (hit) return hit;
  const compiled = compileUncached(source, options.name ?? "<string>");
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(key, compiled);
  return compiled;
}

function compileUncached(source: string, name: string): Compiled {
  const templated = isTemplated(source);
  if (!templated) {
    return {
      source, templated, warnings: [], nodes: [{ k: "text", text: source }], localNames: new Set(), vars: [],
      arrayParams: new Map(), usesJobTimestamp: false, usesSecrets: false, lastLine: new Map(), referencesLength: false,
    };
  }
  const body = source.replace(/^\s*%/, "");
  const nodes = parseTemplate(body, name);
  const localNames = new Set<string>();
  let usesSecrets = false;
  const visitCalls = (e: Expr) => {
    if (e.k === "call" && e.func.k === "name" && (e.func.id === "tb_secret" || e.func.id === "tb_var")) usesSecrets = true;
  };
  const check = (list: readonly Node[]) => {
    for (const n of list) {
      switch (n.k) {
        case "expr":
          checkExpr(n.expr, true);
          walkExpr(n.expr, visitCalls);
          break;
        case "if":
          for (const b of n.branches) {
            if (b.test) {
              checkExpr(b.test, false);
              walkExpr(b.test, visitCalls);
            }
            check(b.body);
          }
          break;
        case "for":
          targetNames(n.target).forEach((x) => localNames.add(x));
          checkExpr(n.iter, false);
          walkExpr(n.iter, visitCalls);
          check(n.body);
          if (n.orelse) check(n.orelse);
          break;
        case "while":
          checkExpr(n.test, false);
          check(n.body);
          if (n.orelse) check(n.orelse);
          break;
        case "try":
          check(n.body);
          if (n.handler) {
            if (n.handler.bind) localNames.add(n.handler.bind);
            check(n.handler.body);
          }
          if (n.orelse) check(n.orelse);
          if (n.final) check(n.final);
          break;
        case "set":
          targetNames(n.target).forEach((x) => localNames.add(x));
          checkExpr(n.value, false);
          walkExpr(n.value, visitCalls);
          break;
        default:
          break;
      }
    }
  };
  check(nodes);
  const refs = referencedNames(nodes);
  const warnings: string[] = [];
  const lastLine = new Map<string, number>();
  for (const r of refs) {
    if (DEFAULT_PARAM_NAMES.includes(r.name)) throw new ReservedParameterError(r.name, r.line);
    if (RESERVED_PARAM_NAMES.includes(r.name) && !warnings.includes(r.name)) warnings.push(r.name);
    lastLine.set(r.name, r.line);
  }
  const vars = collectVars(nodes);
  const arrayParams = new Map<string, string>();
  const seen = new Set<string>();
  for (const v of vars) {
    if (seen.has(v.name)) continue;
    seen.add(v.name);
    const m = /^Array\((\w+)\)/.exec(v.type);
    if (m) arrayParams.set(v.name, m[1] as string);
  }
  return {
    source, templated, warnings, nodes, localNames, vars, arrayParams,
    usesJobTimestamp: vars.some((v) => v.name === "job_timestamp"),
    usesSecrets, lastLine, referencesLength: lastLine.has("length"),
  };
}

function walkExpr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  switch (e.k) {
    case "call":
      walkExpr(e.func, f);
      e.args.forEach((a) => walkExpr(a, f));
      e.kwargs.forEach((k) => walkExpr(k.value, f));
      break;
    case "bin":
      walkExpr(e.l, f);
      walkExpr(e.r, f);
      break;
    case "bool":
      e.values.forEach((x) => walkExpr(x, f));
      break;
    case "cmp":
      walkExpr(e.left, f);
      e.rights.forEach((x) => walkExpr(x, f));
      break;
    case "unary":
      walkExpr(e.arg, f);
      break;
    case "ifexp":
      walkExpr(e.test, f);
      walkExpr(e.body, f);
      walkExpr(e.orelse, f);
      break;
    case "list":
    case "tuple":
    case "set":
      e.items.forEach((x) => walkExpr(x, f));
      break;
    case "dict":
      e.keys.forEach((x) => walkExpr(x, f));
      e.values.forEach((x) => walkExpr(x, f));
      break;
    case "sub":
      walkExpr(e.obj, f);
      walkExpr(e.index, f);
      break;
    case "attr":
      walkExpr(e.obj, f);
      break;
    default:
      break;
  }
}

/** Parameter signature of a pipe: all nodes, all branches. */
export function extractParameters(templates: readonly (string | CompiledTemplate)[]): ParamSignature[] {
  return mergeSignatures(
    templates.map((t) => {
      const c = typeof t === "string" ? compileTemplate(t) : t;
      return { vars: c.vars, locals: c.localNames };
    }),
  );
}

// ---------------------------------------------------------------------------

const MAX_LOOP_STEPS = 100_000;
const MAX_OUTPUT = 16 * 1024 * 1024;

class Signal {
  constructor(readonly kind: "break" | "continue") {}
}
const BREAK = new Signal("break");
const CONTINUE = new Signal("continue");

class Runner {
  out = "";
  steps = 0;
  /** The render's shape so far (`shape.ts`), when asked for. */
  shape = "";
  readonly literals: string[] = [];
  constructor(
    readonly s: Scope,
    readonly shapeNonce?: string,
  ) {}

  /**
   * A Python `for`/`while`: `body` runs after each `next()` that returns true;
   * `orelse` runs when the loop ends without `break`, and its signal is returned.
   */
  loop(next: () => boolean, body: readonly Node[], orelse: readonly Node[] | null): Signal | undefined {
    while (next()) {
      if (this.run(body) === BREAK) return undefined;
    }
    return orelse ? this.run(orelse) : undefined;
  }

  run(nodes: readonly Node[]): Signal | undefined {
    const s = this.s;
    for (const n of nodes) {
      switch (n.k) {
        case "text":
          this.out += n.text;
          if (this.shapeNonce !== undefined) this.shape += n.text;
          break;
        case "expr": {
          s.line = n.line;
          const value = evaluate(n.expr, s);
          const text = wrapValue(value, n.src);
          this.out += text;
          if (this.out.length > MAX_OUTPUT) throw new TemplateValueError("rendered SQL is too large");
          if (this.shapeNonce !== undefined) {
            const type = literalType(value, text);
            if (type === undefined) this.shape += text;
            else {
              this.shape += shapeMarker(this.shapeNonce, this.literals.length, type);
              this.literals.push(text);
            }
          }
          break;
        }
        case "if":
          for (const b of n.branches) {
            s.line = b.line;
            if (b.test === null || truthy(evaluate(b.test, s))) {
              const sig = this.run(b.body);
              if (sig) return sig;
              break;
            }
          }
          break;
        case "for": {
          s.line = n.line;
          const items = iterate(evaluate(n.iter, s)).values();
          const sig = this.loop(
            () => {
              const item = items.next();
              if (item.done) return false;
              this.tick();
              this.assign(n.target, item.value);
              return true;
            },
            n.body,
            n.orelse,
          );
          if (sig) return sig;
          break;
        }
        case "while": {
          const sig = this.loop(
            () => {
              s.line = n.line;
              if (!truthy(evaluate(n.test, s))) return false;
              this.tick();
              return true;
            },
            n.body,
            n.orelse,
          );
          if (sig) return sig;
          break;
        }
        case "try": {
          let sig: Signal | undefined;
          try {
            let failed = false;
            try {
              sig = this.run(n.body);
            } catch (e) {
              if (!n.handler || !(e instanceof TemplateError || e instanceof SqlTemplateErrorLike)) throw e;
              failed = true;
              if (n.handler.bind) s.locals.set(n.handler.bind, e.message);
              sig = this.run(n.handler.body);
            }
            if (!failed && !sig && n.orelse) sig = this.run(n.orelse);
          } finally {
            if (n.final) {
              const f = this.run(n.final);
              if (f) sig = f;
            }
          }
          if (sig) return sig;
          break;
        }
        case "set": {
          s.line = n.line;
          let v = evaluate(n.value, s);
          if (n.op !== "=") {
            const name = (n.target as { id: string }).id;
            const cur = s.locals.get(name);
            if (cur === undefined) throw new UnboundLocalTemplateError(name);
            v = binop(n.op.slice(0, -1), cur, v);
          }
          this.assign(n.target, v);
          break;
        }
        case "break":
          return BREAK;
        case "continue":
          return CONTINUE;
      }
    }
    return undefined;
  }

  tick(): void {
    if (++this.steps > MAX_LOOP_STEPS) throw new TemplateValueError("template loop limit exceeded");
  }

  assign(t: Target, v: PyValue): void {
    if (t.k === "name") {
      this.s.locals.set(t.id, v);
      return;
    }
    const items = v instanceof PyTuple ? v.items : iterate(v);
    if (items.length < t.items.length)
      throw new TemplateValueError(`not enough values to unpack (expected ${t.items.length}, got ${items.length})`);
    if (items.length > t.items.length) throw new TemplateValueError(`too many values to unpack (expected ${t.items.length})`);
    t.items.forEach((x, i) => this.assign(x, items[i] as PyValue));
  }
}

/** Tinybird's `preprocess_variables`: Array-typed params become lists, re-read through a Python literal. */
function preprocessArray(value: PyValue, type: string, state: RenderState): PyValue {
  const ctx = { line: 0, state };
  const elements = arrayElements(value, type, ctx);
  return elements.map((e) => (typeof e === "string" ? decodeEscapes(escapeString(e)) : e));
}

function joinNames(names: string[]): string {
  if (names.length <= 1) return names[0] ?? "";
  return names.slice(0, -1).join(", ") + " and " + names[names.length - 1];
}

function requiredMessage(vars: readonly VarEntry[]): string | undefined {
  const names: string[] = [];
  for (const v of vars)
    if ((v.default === null || v.default === undefined) && !v.usedIn && !names.includes(v.name) && v.name !== "job_timestamp")
      names.push(v.name);
  if (!names.length) return undefined;
  return `${REQUIRED_PARAM_NOT_DEFINED}. Check the parameters ${joinNames(names)}. Please provide a value or set a default value in the pipe code.`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Render a compiled template with request parameters.
 * Throws `TemplateError` subclasses (status 400, or the `custom_error` code).
 */
export function render(compiled: CompiledTemplate, params: Params = {}, options: RenderOptions = {}): RenderResult {
  const c = compiled as Compiled;
  const state: RenderState = {
    check: options.mode === "check",
    settings: {},
    meta: {},
    secrets: new Set(options.secrets ?? []),
    secretsTestMode: options.mode === "check" && c.usesSecrets,
    secretParamPrefix: options.secretParamPrefix ?? "",
    queryParams: new Set(),
  };
  if (!c.templated) {
    const plain = { sql: c.source, settings: {}, variablesUsed: [], queryParams: [], meta: {} };
    return options.shapeNonce !== undefined ? { ...plain, shape: { text: c.source, literals: [] } } : plain;
  }

  const values = new Map<string, PyValue>();
  for (const k in params) {
    const v = params[k];
    if (v !== undefined) values.set(k, fromJson(v));
  }
  for (const [name, type] of c.arrayParams) {
    const v = values.get(name);
    if (v === undefined || v === null) continue;
    try {
      values.set(name, preprocessArray(v, type, state));
    } catch {
      // Tinybird keeps the raw value when pre-processing fails.
    }
  }
  if (c.usesJobTimestamp && !values.has("job_timestamp")) {
    const d = (options.now ?? (() => new Date()))();
    values.set(
      "job_timestamp",
      `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    );
  }

  const used = new Set<string>();
  const check = state.check;
  const scope: Scope = {
    localNames: c.localNames,
    locals: new Map(),
    functions: FUNCTIONS,
    line: 0,
    state,
    lookupParam(name: string): PyValue {
      used.add(name);
      const v = values.get(name);
      if (v !== undefined) return v;
      if (check) return new Placeholder(name, c.lastLine.get(name) ?? "unknown");
      return null;
    },
  };
  const shapeNonce = options.shapeNonce;
  if (shapeNonce !== undefined && !isShapeNonce(shapeNonce)) throw new TypeError("shapeNonce must be at least 8 letters and digits");
  const runner = new Runner(scope, shapeNonce);
  try {
    runner.run(c.nodes);
  } catch (e) {
    throw mapError(e, c, values);
  }
  return {
    sql: runner.out,
    settings: state.settings,
    variablesUsed: [...used],
    queryParams: [...state.queryParams],
    meta: state.meta,
    ...(shapeNonce !== undefined ? { shape: finishShape(runner.shape, runner.literals, shapeNonce) } : {}),
  };
}

/** Tinybird's error translation in `render_sql_template`/`generate`. */
function mapError(e: unknown, c: Compiled, values: Map<string, PyValue>): unknown {
  if (e instanceof TemplateCustomError || e instanceof TemplateUserError) return e;
  if (e instanceof SqlTemplateErrorLike || e instanceof UnboundLocalTemplateError) return new SqlTemplateError(e.message, undefined, { cause: e });
  if (e instanceof SqlTemplateError) {
    if (e.detail.includes(REQUIRED_PARAM_NOT_DEFINED)) {
      const msg = requiredMessage(c.vars);
      if (msg) return new MissingParameterError(msg);
    }
    return e;
  }
  if (e instanceof TemplateLookupError) {
    if (e.kind === "attribute") {
      if (e.message.includes("'str' object has no attribute 'get'"))
        return new SqlTemplateError(
          "'str' object has no attribute 'get'. Make sure you're using an object/dictionary where trying to use .get()",
        );
      return new SqlTemplateError(e.message);
    }
    if (e.kind === "index") {
      if (e.message.includes("string index out of range"))
        return new SqlTemplateError(
          "String index out of range. Check that string parameters have values before accessing specific characters (e.g., param[0]). Provide default values or add length checks in your template.",
        );
      return new SqlTemplateError(e.message);
    }
  }
  let err = e;
  if (!(e instanceof TemplateError)) {
    if (e instanceof RangeError || e instanceof TypeError) err = new TemplateValueError(e.message, { cause: e });
    else return e;
  }
  if (c.referencesLength && !truthy(values.get("length") ?? null))
    return new SqlTemplateError("length cannot be used as a variable name or as a function inside of a template");
  const msg = (err as Error).message;
  if (msg.includes("missing 1 required positional argument"))
    return new SqlTemplateError(
      "one of the transform type functions is missing an argument",
      "/cli/advanced-templates.html#transform-types-functions",
    );
  if (msg.includes("not callable") || msg.includes("unhashable type"))
    return new SqlTemplateError("wrong syntax, you might be using a not valid function inside a control block");
  return err;
}
