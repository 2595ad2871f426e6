/**
 * @module
 * Parsing: template text -> tree of text / `{{ }}` / control blocks (Tornado's
 * rules and messages), and Python expressions -> a small AST.
 */

import { TemplateParseError } from "./errors.js";
import { TemplateReader, syntaxError, tokenize, type Token } from "./lexer.js";
import type { PyValue } from "./values.js";

export type Expr =
  | { k: "const"; v: PyValue }
  | { k: "name"; id: string }
  | { k: "list"; items: Expr[] }
  | { k: "tuple"; items: Expr[] }
  | { k: "set"; items: Expr[] }
  | { k: "dict"; keys: Expr[]; values: Expr[] }
  | { k: "fstr"; parts: (string | Expr)[] }
  | { k: "unary"; op: string; arg: Expr }
  | { k: "bin"; op: string; l: Expr; r: Expr }
  | { k: "bool"; op: "and" | "or"; values: Expr[] }
  | { k: "cmp"; left: Expr; ops: string[]; rights: Expr[] }
  | { k: "ifexp"; test: Expr; body: Expr; orelse: Expr }
  | { k: "call"; func: Expr; args: Expr[]; kwargs: { name: string; value: Expr }[] }
  | { k: "attr"; obj: Expr; name: string }
  | { k: "sub"; obj: Expr; index: Expr }
  | { k: "slice"; obj: Expr; lower: Expr | null; upper: Expr | null; step: Expr | null }
  | { k: "bytes" };

export type Target = { k: "name"; id: string } | { k: "tuple"; items: Target[] };

export type Node =
  | { k: "text"; text: string }
  | { k: "expr"; expr: Expr; src: string; line: number }
  | { k: "if"; branches: { test: Expr | null; body: Node[]; src: string; line: number }[]; line: number }
  | { k: "for"; target: Target; iter: Expr; src: string; body: Node[]; orelse: Node[] | null; line: number }
  | { k: "while"; test: Expr; src: string; body: Node[]; orelse: Node[] | null; line: number }
  | { k: "try"; body: Node[]; handler: { body: Node[]; bind: string | null } | null; orelse: Node[] | null; final: Node[] | null; line: number }
  | { k: "set"; target: Target; op: string; value: Expr; src: string; line: number }
  | { k: "break"; line: number }
  | { k: "continue"; line: number };

type Chunk = Node | { k: "inter"; op: string; contents: string; line: number };

type WhitespaceMode = "all" | "single" | "oneline";

function filterWhitespace(mode: WhitespaceMode, text: string): string {
  if (mode === "all") return text;
  if (mode === "single") return text.replace(/[\t ]+/g, " ").replace(/\s*\n\s*/g, "\n");
  return text.replace(/\s+/g, " ");
}

function checkMode(mode: string): WhitespaceMode {
  if (mode === "all" || mode === "single" || mode === "oneline") return mode;
  throw new TemplateParseError(`invalid whitespace mode ${mode}`);
}

const INTERMEDIATE: Record<string, string[]> = {
  else: ["if", "for", "while", "try"],
  elif: ["if"],
  except: ["try"],
  finally: ["try"],
};

function pySetRepr(items: string[]): string {
  return "{" + items.map((s) => `'${s}'`).join(", ") + "}";
}

function pyStrRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

const PY_STRIP = /^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g;

interface ParseState {
  whitespace: WhitespaceMode;
}

/** Parse template text into nodes (the `%` marker already removed). */
export function parseTemplate(text: string, name = "<string>"): Node[] {
  const reader = new TemplateReader(name, text);
  const state: ParseState = { whitespace: "all" };
  return structure(parseBody(reader, state, null, null), reader);
}

function pushText(body: Chunk[], text: string, state: ParseState): void {
  const value = text.includes("<pre>") ? text : filterWhitespace(state.whitespace, text);
  if (value) body.push({ k: "text", text: value });
}

function parseBody(reader: TemplateReader, state: ParseState, inBlock: string | null, inLoop: string | null): Chunk[] {
  const body: Chunk[] = [];
  for (;;) {
    let curly = 0;
    for (;;) {
      curly = reader.find("{", curly);
      if (curly === -1 || curly + 1 === reader.remaining()) {
        if (inBlock) {
          if (reader.name !== "<string>")
            throw new TemplateParseError(
              `Missing {% end %} block for if in the node ${reader.name} at line ${reader.line} of the SQL: ${reader.text}`,
            );
          throw new TemplateParseError(`Missing {% end %} block for if at line ${reader.line}`);
        }
        pushText(body, reader.consume(), state);
        return body;
      }
      const next = reader.at(curly + 1);
      if (next !== "{" && next !== "%" && next !== "#") {
        curly++;
        continue;
      }
      if (curly + 2 < reader.remaining() && next === "{" && reader.at(curly + 2) === "{") {
        curly++;
        continue;
      }
      break;
    }
    if (curly > 0) pushText(body, reader.consume(curly), state);
    const startBrace = reader.consume(2);
    const line = reader.line;
    if (reader.remaining() && reader.at(0) === "!") {
      reader.consume(1);
      pushText(body, startBrace, state);
      continue;
    }
    if (startBrace === "{#") {
      const end = reader.find("#}");
      if (end === -1) reader.fail("Missing end comment #}");
      reader.consume(end);
      reader.consume(2);
      continue;
    }
    if (startBrace === "{{") {
      const end = reader.find("}}");
      if (end === -1) reader.fail("Missing end expression }}");
      const contents = reader.consume(end).replace(PY_STRIP, "");
      reader.consume(2);
      if (!contents) reader.fail("Empty expression");
      let expr: Expr;
      try {
        expr = parseExpression(contents, true);
      } catch (e) {
        if (e instanceof TemplateParseError && contents.split(" ")[0]?.includes("from"))
          reader.fail('"from" is a forbidden word');
        throw e;
      }
      body.push({ k: "expr", expr, src: contents, line });
      continue;
    }
    const end = reader.find("%}");
    if (end === -1) reader.fail("Missing end block %}");
    const contents = reader.consume(end).replace(PY_STRIP, "");
    reader.consume(2);
    if (!contents) reader.fail("Empty block tag ({% %})");
    const sp = contents.indexOf(" ");
    const operator = sp === -1 ? contents : contents.slice(0, sp);
    const suffix = sp === -1 ? "" : contents.slice(sp + 1).replace(PY_STRIP, "");
    const allowed = INTERMEDIATE[operator];
    if (allowed) {
      if (!inBlock) reader.fail(`${operator} outside ${pySetRepr(allowed)} block`);
      if (!allowed.includes(inBlock)) reader.fail(`${operator} block cannot be attached to ${inBlock} block`);
      body.push({ k: "inter", op: operator, contents, line });
      continue;
    }
    switch (operator) {
      case "end":
        if (!inBlock) reader.fail("Extra {% end %} block");
        return body;
      case "comment":
        continue;
      case "extends":
      case "include":
      case "autoescape":
      case "raw":
      case "module":
      case "apply":
      case "block":
        reader.fail(`${operator} is forbidden`);
        break;
      case "import":
      case "from":
        reader.fail("import is forbidden");
        break;
      case "set": {
        if (!suffix) reader.fail("set missing statement");
        body.push(parseSet(suffix, line));
        continue;
      }
      case "whitespace":
        state.whitespace = checkMode(suffix);
        continue;
      case "if":
      case "try":
      case "for":
      case "while": {
        const loop = operator === "for" || operator === "while" ? operator : inLoop;
        const inner = parseBody(reader, state, operator, loop);
        body.push(buildBlock(operator, suffix, contents, inner, line, reader));
        continue;
      }
      case "break":
      case "continue":
        if (!inLoop) reader.fail(`${operator} outside {'for', 'while'} block`);
        body.push({ k: operator, line });
        continue;
      default:
        reader.fail(`unknown operator: ${pyStrRepr(operator)}`);
    }
  }
}

function structure(chunks: Chunk[], reader: TemplateReader): Node[] {
  for (const c of chunks) if (c.k === "inter") reader.fail(`${c.op} outside block`);
  return chunks as Node[];
}

function splitSections(chunks: Chunk[]): { head: Node[]; sections: { op: string; contents: string; line: number; body: Node[] }[] } {
  const head: Node[] = [];
  const sections: { op: string; contents: string; line: number; body: Node[] }[] = [];
  let cur = head;
  for (const c of chunks) {
    if (c.k === "inter") {
      const s = { op: c.op, contents: c.contents, line: c.line, body: [] as Node[] };
      sections.push(s);
      cur = s.body;
    } else cur.push(c);
  }
  return { head, sections };
}

function buildBlock(op: string, suffix: string, contents: string, chunks: Chunk[], line: number, reader: TemplateReader): Node {
  const { head, sections } = splitSections(chunks);
  if (op === "if") {
    const branches: { test: Expr | null; body: Node[]; src: string; line: number }[] = [
      { test: parseExpression(requireSuffix(suffix), false), body: head, src: suffix, line },
    ];
    for (const s of sections) {
      if (s.op === "elif") {
        const cond = s.contents.slice(4).replace(PY_STRIP, "");
        branches.push({ test: parseExpression(requireSuffix(cond), false), body: s.body, src: cond, line: s.line });
      } else {
        if (branches.some((b) => b.test === null)) syntaxError();
        branches.push({ test: null, body: s.body, src: "", line: s.line });
      }
    }
    return { k: "if", branches, line };
  }
  if (op === "for" || op === "while") {
    let orelse: Node[] | null = null;
    for (const s of sections) {
      if (orelse) syntaxError();
      orelse = s.body;
    }
    if (op === "while") return { k: "while", test: parseExpression(requireSuffix(suffix), false), src: suffix, body: head, orelse, line };
    const { target, iter } = parseFor(suffix);
    return { k: "for", target, iter, src: suffix, body: head, orelse, line };
  }
  // try
  if (suffix) syntaxError();
  let handler: { body: Node[]; bind: string | null } | null = null;
  let orelse: Node[] | null = null;
  let final: Node[] | null = null;
  for (const s of sections) {
    if (s.op === "except") {
      if (handler) continue;
      const m = /\bas\s+([A-Za-z_]\w*)\s*$/.exec(s.contents);
      handler = { body: s.body, bind: m ? (m[1] ?? null) : null };
    } else if (s.op === "else") orelse = s.body;
    else final = s.body;
  }
  if (!handler && !final) reader.fail("try block without except or finally");
  void contents;
  return { k: "try", body: head, handler, orelse, final, line };
}

function requireSuffix(s: string): string {
  if (!s) syntaxError();
  return s;
}

// ---------------------------------------------------------------------------
// Python expression parser

class ExprParser {
  i = 0;
  constructor(readonly toks: Token[]) {}

  peek(): Token {
    return this.toks[this.i] as Token;
  }
  next(): Token {
    return this.toks[this.i++] as Token;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t.t === "op" && t.v === v;
  }
  isKw(v: string): boolean {
    const t = this.peek();
    return t.t === "name" && t.v === v;
  }
  eatOp(v: string): boolean {
    if (this.isOp(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  eatKw(v: string): boolean {
    if (this.isKw(v)) {
      this.i++;
      return true;
    }
    return false;
  }
  expectOp(v: string): void {
    if (!this.eatOp(v)) syntaxError();
  }
  atEnd(): boolean {
    return this.peek().t === "eof";
  }

  /** expression list: `a` or `a, b` (a tuple). */
  exprList(): Expr {
    const first = this.expr();
    if (!this.isOp(",")) return first;
    const items = [first];
    while (this.eatOp(",")) {
      if (this.atEnd() || this.isOp(")") || this.isOp("=")) break;
      items.push(this.expr());
    }
    return { k: "tuple", items };
  }

  expr(): Expr {
    if (this.isKw("lambda")) syntaxError("lambda is not supported");
    const body = this.orTest();
    if (this.eatKw("if")) {
      const test = this.orTest();
      if (!this.eatKw("else")) syntaxError("expected 'else' after 'if' expression");
      const orelse = this.expr();
      return { k: "ifexp", test, body, orelse };
    }
    return body;
  }

  orTest(): Expr {
    return this.boolChain("or", () => this.andTest());
  }

  andTest(): Expr {
    return this.boolChain("and", () => this.notTest());
  }

  /** `operand (op operand)*`: a single operand as is, several as one `bool` node. */
  boolChain(op: "and" | "or", operand: () => Expr): Expr {
    const first = operand();
    if (!this.isKw(op)) return first;
    const values = [first];
    while (this.eatKw(op)) values.push(operand());
    return { k: "bool", op, values };
  }

  notTest(): Expr {
    if (this.eatKw("not")) return { k: "unary", op: "not", arg: this.notTest() };
    return this.comparison();
  }

  compOp(): string | null {
    const t = this.peek();
    if (t.t === "op" && ["<", ">", "==", ">=", "<=", "!="].includes(t.v)) {
      this.i++;
      return t.v;
    }
    if (t.t === "name") {
      if (t.v === "in") {
        this.i++;
        return "in";
      }
      if (t.v === "not") {
        const n = this.toks[this.i + 1];
        if (n && n.t === "name" && n.v === "in") {
          this.i += 2;
          return "not in";
        }
      }
      if (t.v === "is") {
        this.i++;
        return this.eatKw("not") ? "is not" : "is";
      }
    }
    return null;
  }

  comparison(): Expr {
    const left = this.bitOr();
    const ops: string[] = [];
    const rights: Expr[] = [];
    for (;;) {
      const op = this.compOp();
      if (!op) break;
      ops.push(op);
      rights.push(this.bitOr());
    }
    return ops.length ? { k: "cmp", left, ops, rights } : left;
  }

  binLevel(next: () => Expr, ops: string[]): Expr {
    let l = next();
    for (;;) {
      const t = this.peek();
      if (t.t === "op" && ops.includes(t.v)) {
        this.i++;
        l = { k: "bin", op: t.v, l, r: next() };
      } else return l;
    }
  }

  bitOr(): Expr {
    return this.binLevel(() => this.bitXor(), ["|"]);
  }
  bitXor(): Expr {
    return this.binLevel(() => this.bitAnd(), ["^"]);
  }
  bitAnd(): Expr {
    return this.binLevel(() => this.shift(), ["&"]);
  }
  shift(): Expr {
    return this.binLevel(() => this.arith(), ["<<", ">>"]);
  }
  arith(): Expr {
    return this.binLevel(() => this.term(), ["+", "-"]);
  }
  term(): Expr {
    return this.binLevel(() => this.factor(), ["*", "/", "//", "%", "@"]);
  }

  factor(): Expr {
    const t = this.peek();
    if (t.t === "op" && (t.v === "-" || t.v === "+" || t.v === "~")) {
      this.i++;
      return { k: "unary", op: t.v, arg: this.factor() };
    }
    return this.power();
  }

  power(): Expr {
    const base = this.primary();
    if (this.eatOp("**")) return { k: "bin", op: "**", l: base, r: this.factor() };
    return base;
  }

  primary(): Expr {
    let e = this.atom();
    for (;;) {
      if (this.eatOp("(")) e = this.callArgs(e);
      else if (this.eatOp("[")) e = this.subscript(e);
      else if (this.eatOp(".")) {
        const t = this.next();
        if (t.t !== "name") syntaxError();
        e = { k: "attr", obj: e, name: t.v };
      } else return e;
    }
  }

  callArgs(func: Expr): Expr {
    const args: Expr[] = [];
    const kwargs: { name: string; value: Expr }[] = [];
    while (!this.isOp(")")) {
      if (this.isOp("*") || this.isOp("**")) syntaxError("argument unpacking is not supported");
      const t = this.peek();
      const n = this.toks[this.i + 1];
      if (t.t === "name" && n && n.t === "op" && n.v === "=") {
        this.i += 2;
        kwargs.push({ name: t.v, value: this.expr() });
      } else {
        if (kwargs.length) syntaxError("positional argument follows keyword argument");
        const a = this.expr();
        if (this.isKw("for")) syntaxError("generator expressions are not supported");
        args.push(a);
      }
      if (!this.eatOp(",")) break;
    }
    this.expectOp(")");
    return { k: "call", func, args, kwargs };
  }

  subscript(obj: Expr): Expr {
    let lower: Expr | null = null;
    if (!this.isOp(":")) lower = this.exprListUntil("]");
    if (this.eatOp(":")) {
      const upper = this.isOp("]") || this.isOp(":") ? null : this.expr();
      let step: Expr | null = null;
      if (this.eatOp(":")) step = this.isOp("]") ? null : this.expr();
      this.expectOp("]");
      return { k: "slice", obj, lower, upper, step };
    }
    this.expectOp("]");
    if (!lower) syntaxError();
    return { k: "sub", obj, index: lower };
  }

  exprListUntil(close: string): Expr {
    const first = this.expr();
    if (!this.isOp(",")) return first;
    const items = [first];
    while (this.eatOp(",")) {
      if (this.isOp(close)) break;
      items.push(this.expr());
    }
    return { k: "tuple", items };
  }

  atom(): Expr {
    const t = this.next();
    switch (t.t) {
      case "int":
      case "float":
        return { k: "const", v: t.v };
      case "str": {
        const parts: (string | Expr)[] = [];
        let isF = false;
        let bytes = t.bytes;
        let cur: Token = t;
        for (;;) {
          if (cur.t !== "str") break;
          if (cur.f) {
            isF = true;
            parts.push(...parseFString(cur.v));
          } else parts.push(cur.v);
          bytes = bytes || cur.bytes;
          const nt = this.peek();
          if (nt.t !== "str") break;
          cur = this.next();
        }
        if (bytes) return { k: "bytes" };
        if (!isF) return { k: "const", v: parts.join("") };
        return { k: "fstr", parts };
      }
      case "name":
        if (t.v === "None") return { k: "const", v: null };
        if (t.v === "True") return { k: "const", v: true };
        if (t.v === "False") return { k: "const", v: false };
        if (KEYWORDS.has(t.v)) syntaxError();
        return { k: "name", id: t.v };
      case "op":
        if (t.v === "(") {
          if (this.eatOp(")")) return { k: "tuple", items: [] };
          const first = this.expr();
          if (this.isKw("for")) syntaxError("generator expressions are not supported");
          if (this.eatOp(")")) return first;
          const items = [first];
          while (this.eatOp(",")) {
            if (this.isOp(")")) break;
            items.push(this.expr());
          }
          this.expectOp(")");
          return { k: "tuple", items };
        }
        if (t.v === "[") {
          const items: Expr[] = [];
          while (!this.isOp("]")) {
            items.push(this.expr());
            if (this.isKw("for")) return this.skipComprehension();
            if (!this.eatOp(",")) break;
          }
          this.expectOp("]");
          return { k: "list", items };
        }
        if (t.v === "{") {
          if (this.eatOp("}")) return { k: "dict", keys: [], values: [] };
          const first = this.expr();
          if (this.eatOp(":")) {
            const keys = [first];
            const values = [this.expr()];
            if (this.isKw("for")) return this.skipComprehension();
            while (this.eatOp(",")) {
              if (this.isOp("}")) break;
              keys.push(this.expr());
              this.expectOp(":");
              values.push(this.expr());
            }
            this.expectOp("}");
            return { k: "dict", keys, values };
          }
          if (this.isKw("for")) return this.skipComprehension();
          const items = [first];
          while (this.eatOp(",")) {
            if (this.isOp("}")) break;
            items.push(this.expr());
          }
          this.expectOp("}");
          return { k: "set", items };
        }
        break;
    }
    return syntaxError();
  }

  skipComprehension(): never {
    return syntaxError("comprehensions are not supported");
  }
}

const KEYWORDS = new Set([
  "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except",
  "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass",
  "raise", "return", "try", "while", "with", "yield",
]);

function parseFString(body: string): (string | Expr)[] {
  const parts: (string | Expr)[] = [];
  let lit = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "{" && body[i + 1] === "{") {
      lit += "{";
      i++;
    } else if (c === "}" && body[i + 1] === "}") {
      lit += "}";
      i++;
    } else if (c === "{") {
      let depth = 1;
      let j = i + 1;
      for (; j < body.length && depth > 0; j++) {
        if (body[j] === "{" || body[j] === "[" || body[j] === "(") depth++;
        else if (body[j] === "}" || body[j] === "]" || body[j] === ")") depth--;
      }
      if (depth !== 0) syntaxError("f-string: expecting '}'");
      const inner = body.slice(i + 1, j - 1);
      if (/![rsa]$|:[^\]]*$/.test(inner) && !/\[[^\]]*:/.test(inner)) syntaxError("f-string format specs are not supported");
      if (lit) parts.push(lit);
      lit = "";
      parts.push(parseExpression(inner, false));
      i = j - 1;
    } else if (c === "}") syntaxError("f-string: single '}' is not allowed");
    else lit += c;
  }
  if (lit) parts.push(lit);
  return parts;
}

/** Parse one Python expression (a tuple when top-level commas are present). */
export function parseExpression(src: string, _inBraces: boolean): Expr {
  const p = new ExprParser(tokenize(src));
  if (p.atEnd()) syntaxError();
  const e = p.exprList();
  if (!p.atEnd()) syntaxError();
  return e;
}

function parseTargetList(p: ExprParser): Target {
  const one = (): Target => {
    if (p.eatOp("(") || p.eatOp("[")) {
      const close = p.toks[p.i - 1]?.t === "op" && (p.toks[p.i - 1] as { v: string }).v === "(" ? ")" : "]";
      const t = parseTargetList(p);
      p.expectOp(close);
      return t;
    }
    const t = p.next();
    if (t.t !== "name" || KEYWORDS.has(t.v) || t.v === "None" || t.v === "True" || t.v === "False") syntaxError();
    return { k: "name", id: t.v };
  };
  const first = one();
  if (!p.isOp(",")) return first;
  const items = [first];
  while (p.eatOp(",")) {
    if (p.isKw("in") || p.isOp("=") || p.isOp(")") || p.isOp("]")) break;
    items.push(one());
  }
  return { k: "tuple", items };
}

function parseFor(suffix: string): { target: Target; iter: Expr } {
  const p = new ExprParser(tokenize(suffix));
  const target = parseTargetList(p);
  if (!p.eatKw("in")) syntaxError();
  const iter = p.exprList();
  if (!p.atEnd()) syntaxError();
  return { target, iter };
}

function parseSet(suffix: string, line: number): Node {
  const p = new ExprParser(tokenize(suffix));
  const target = parseTargetList(p);
  const t = p.next();
  if (t.t !== "op" || !["=", "+=", "-=", "*="].includes(t.v)) syntaxError();
  if (target.k === "tuple" && t.v !== "=") syntaxError("illegal expression for augmented assignment");
  const value = p.exprList();
  if (!p.atEnd()) syntaxError();
  return { k: "set", target, op: t.v, value, src: suffix, line };
}

export function targetNames(t: Target, out: string[] = []): string[] {
  if (t.k === "name") out.push(t.id);
  else for (const x of t.items) targetNames(x, out);
  return out;
}
