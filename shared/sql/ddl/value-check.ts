/**
 * @module
 * Checks one datafile value before it is written into a `CREATE TABLE`
 * (a key, a TTL, a DEFAULT, a codec list, an index, the engine settings) or
 * into an `ALTER … DELETE WHERE`: it must be exactly the one expression, list
 * or clause that position takes, read only the datasource's own columns, call
 * only allowed functions, and hold no subquery, table, table function,
 * statement separator or SETTINGS. Tokens come from `../rewrite/tokenize.ts`,
 * which lexes as ClickHouse does (Unicode spaces, curly quotes), so the
 * grammar below sees the same tokens the engine will.
 *
 * This is the offline half (`tern check`, and the same parse at deploy). The
 * deploy also asks ClickHouse to parse the final statement (`./ddl-ast.ts`);
 * parts ClickHouse's `EXPLAIN AST` does not print (TTL `SET` values, setting
 * values) come back in `hidden` so the deploy can parse them on their own.
 *
 * @example
 * checkDdlValue("ts + INTERVAL 1 DAY; DROP TABLE t", "ttl", { columns: new Set(["ts"]) });
 * // { ok: false, message: "`;` is not allowed: a DDL value is one expression, not a statement", offset: 19 }
 */
import { isSignificant, tokenize, type Token } from "../rewrite/tokenize.js";
import { CODECS, INDEX_TYPES, IN_FUNCTIONS, MERGE_TREE_SETTINGS } from "./ddl-names.js";
import { ddlFunctionProblem } from "./ddl-functions.js";

/** What a value is, by where it lands. */
export type DdlValueKind =
  /** One expression: DEFAULT, an index expression, ENGINE_SAMPLING_KEY, a delete condition. */
  | "expression"
  /** A key: one expression or a comma-separated list (ENGINE_SORTING_KEY, _PARTITION_KEY, _PRIMARY_KEY). */
  | "key"
  /** ENGINE_TTL: TTL elements with DELETE / RECOMPRESS / TO DISK / TO VOLUME / WHERE / GROUP BY … SET. */
  | "ttl"
  /** ENGINE_SETTINGS: `name = literal, …` with allowed MergeTree settings. */
  | "settings"
  /** What goes inside `CODEC(…)`. */
  | "codec"
  /** An index `TYPE`. */
  | "index_type"
  /** FORWARD_QUERY: a SELECT list (with or without `SELECT`) over the previous version's columns. */
  | "select_list"
  /** A column type as Tern prints it: only lexical checks (its grammar is `shared/datafiles/types.ts`). */
  | "type";

export interface DdlValueContext {
  /** The datasource's columns. Without it any plain name passes (a FORWARD_QUERY reads the previous version's columns). */
  columns?: ReadonlySet<string>;
}

export type DdlValueCheck =
  | { ok: true; hidden: string[] }
  | { ok: false; message: string; offset: number };

class ValueError {
  constructor(readonly message: string, readonly offset: number) {}
}

const SUBQUERY = "subqueries are not allowed in a DDL value";
const INTERVAL_UNITS = new Set(
  ["NANOSECOND", "MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR"]
    .flatMap((u) => [u, `${u}S`, `SQL_TSI_${u}`]),
);
/** Words that start a clause or a statement: never a column, never an alias. */
const CLAUSE_WORDS = new Set([
  "SELECT", "WITH", "FROM", "WHERE", "PREWHERE", "JOIN", "UNION", "INTERSECT", "EXCEPT", "SETTINGS", "FORMAT", "INTO",
  "GROUP", "ORDER", "LIMIT", "HAVING", "OFFSET", "QUALIFY", "WINDOW", "ARRAY", "FINAL", "SAMPLE", "USING", "ON",
  "INSERT", "DROP", "ALTER", "CREATE", "TRUNCATE", "DELETE", "ATTACH", "DETACH", "RENAME", "SYSTEM", "KILL", "GRANT",
  "REVOKE", "OPTIMIZE", "EXPLAIN", "SHOW", "DESCRIBE", "EXCHANGE", "UNDROP", "USE", "SET",
]);
/** Spellings ClickHouse's parser turns into other functions; `./ddl-ast.ts` checks what they become. */
const PARSER_FORMS = new Set([
  "EXTRACT", "TRIM", "POSITION", "SUBSTRING", "DATE_ADD", "DATEADD", "DATE_SUB", "DATESUB", "TIMESTAMP_ADD", "TIMESTAMPADD",
  "TIMESTAMP_SUB", "TIMESTAMPSUB",
]);
const DATE_ARITHMETIC = new Set(["DATE_ADD", "DATEADD", "DATE_SUB", "DATESUB", "TIMESTAMP_ADD", "TIMESTAMPADD", "TIMESTAMP_SUB", "TIMESTAMPSUB", "DATE_DIFF", "DATEDIFF", "TIMESTAMP_DIFF", "TIMESTAMPDIFF"]);

const BP = { ternary: 5, or: 10, and: 20, not: 25, compare: 30, concat: 35, add: 40, mul: 50, unary: 60, interval: 70, postfix: 80 } as const;
const COMPARE_OPS = new Set(["=", "==", "!=", "<>", "<", "<=", ">", ">=", "<=>"]);

/** Control characters and line breaks, which no name in DDL may hold. */
export function hasControlCharacter(name: string): boolean {
  return /[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(name);
}

/** Lexical rules every value meets: ClickHouse's tokens only, no `;`, comments, heredocs or parameters, balanced brackets. */
function lexicalCheck(text: string): Token[] {
  const { tokens, error } = tokenize(text);
  if (error) throw new ValueError(`${error.message.replace(/^\w/, (c) => c.toLowerCase())}`, error.position);
  const open: Token[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  for (const t of tokens) {
    if (t.kind === "comment") throw new ValueError("comments are not allowed in a DDL value", t.start);
    if (t.kind === "heredoc") throw new ValueError("heredoc strings ($$…$$) are not allowed in a DDL value", t.start);
    if (t.kind === "param") throw new ValueError("query parameters ({name:Type}) are not allowed in a DDL value", t.start);
    if (t.kind === "unknown") throw new ValueError(`unexpected character \`${t.text}\``, t.start);
    if (t.kind !== "punctuation") continue;
    if (t.text === ";") throw new ValueError("`;` is not allowed: a DDL value is one expression, not a statement", t.start);
    if (t.text === "(" || t.text === "[" || t.text === "{") open.push(t);
    else if (pairs[t.text]) {
      const top = open.pop();
      if (!top || top.text !== pairs[t.text]) throw new ValueError(`unbalanced brackets: \`${t.text}\` does not close anything`, t.start);
    }
  }
  const unclosed = open.pop();
  if (unclosed) throw new ValueError(`unbalanced brackets: \`${unclosed.text}\` is not closed`, unclosed.start);
  return tokens.filter(isSignificant);
}

class ValueParser {
  private i = 0;
  private lastEnd = 0;
  private readonly scopes: string[][] = [];
  readonly hidden: string[] = [];

  constructor(private readonly text: string, private readonly toks: Token[], private readonly columns: ReadonlySet<string> | undefined) {}

  // ------------------------------------------------------------- tokens

  private peek(k = 0): Token | undefined { return this.toks[this.i + k]; }
  private next(): Token {
    const t = this.toks[this.i];
    if (!t) this.fail(undefined, "the value ends too early");
    this.i++;
    this.lastEnd = t.end;
    return t;
  }
  atEnd(): boolean { return this.i >= this.toks.length; }
  private word(k = 0): string {
    const t = this.peek(k);
    return t?.kind === "identifier" ? t.text.toUpperCase() : "";
  }
  private isPunct(c: string, k = 0): boolean {
    const t = this.peek(k);
    return t?.kind === "punctuation" && t.text === c;
  }
  private isOp(o: string, k = 0): boolean {
    const t = this.peek(k);
    return t?.kind === "operator" && t.text === o;
  }
  private expectPunct(c: string, what: string): void {
    if (!this.isPunct(c)) this.fail(this.peek(), `expected \`${c}\` ${what}`);
    this.next();
  }
  private expectWord(w: string, what: string): void {
    if (this.word() !== w) this.fail(this.peek(), `expected ${w} ${what}`);
    this.next();
  }
  fail(t: Token | undefined, message: string): never {
    throw new ValueError(message, t?.start ?? this.text.length);
  }
  /** Refuses what follows a complete value, naming the likely intent. */
  failTrailing(): never {
    const t = this.peek()!;
    const w = this.word();
    if (w === "SELECT" || w === "WITH") this.fail(t, SUBQUERY);
    if (w === "SETTINGS") this.fail(t, "SETTINGS is not allowed in a DDL value; table settings go in ENGINE_SETTINGS");
    if (w === "FROM" || w === "JOIN") this.fail(t, "tables are not allowed in a DDL value");
    if (w === "AS") this.fail(t, "aliases are not allowed in a DDL value");
    if (t.kind === "punctuation" && t.text === ",") this.fail(t, "expected one expression; a `,` starts a second one");
    this.fail(t, `expected one expression; \`${t.text}\` follows it`);
  }

  // -------------------------------------------------------- expressions

  expr(minBp = 0): void {
    this.prefix();
    for (;;) {
      const t = this.peek();
      if (!t) return;
      if (t.kind === "punctuation") {
        if (t.text === "[" && BP.postfix > minBp) { this.next(); this.expr(); this.expectPunct("]", "to close the element access"); continue; }
        if (t.text === "." && BP.postfix > minBp) {
          this.next();
          const member = this.next();
          if (member.kind !== "number" && member.kind !== "identifier" && member.kind !== "quoted_identifier") this.fail(member, "expected a tuple element after `.`");
          continue;
        }
        return;
      }
      if (t.kind === "operator") {
        const op = t.text;
        if (op === "::" && BP.postfix > minBp) { this.next(); this.typeName(); continue; }
        if (op === "?") {
          if (BP.ternary <= minBp) return;
          this.next();
          this.expr(BP.ternary);
          if (!this.isOp(":")) this.fail(this.peek(), "expected `:` in `cond ? a : b`");
          this.next();
          this.expr(BP.ternary - 1);
          continue;
        }
        const bp = COMPARE_OPS.has(op) ? BP.compare : op === "||" ? BP.concat : op === "+" || op === "-" || op === "\u2212" ? BP.add
          : op === "*" || op === "/" || op === "%" ? BP.mul : undefined;
        if (bp === undefined) return;
        if (bp <= minBp) return;
        this.next();
        this.expr(bp);
        continue;
      }
      if (t.kind !== "identifier") return;
      const w = t.text.toUpperCase();
      if (w === "OR" || w === "AND") {
        const bp = w === "OR" ? BP.or : BP.and;
        if (bp <= minBp) return;
        this.next();
        this.expr(bp);
        continue;
      }
      if (w === "DIV" || w === "MOD") {
        if (BP.mul <= minBp) return;
        this.next();
        this.expr(BP.mul);
        continue;
      }
      if (w === "GLOBAL") this.fail(t, "GLOBAL IN reads a table on other servers; list the values in parentheses instead");
      const negated = w === "NOT" && ["IN", "LIKE", "ILIKE", "BETWEEN"].includes(this.word(1));
      const op = negated ? this.word(1) : w;
      if (op === "IS" || op === "IN" || op === "LIKE" || op === "ILIKE" || op === "BETWEEN") {
        if (BP.compare <= minBp) return;
        this.next();
        if (negated) this.next();
        if (op === "IS") this.isTail();
        else if (op === "IN") this.inTail();
        else if (op === "BETWEEN") { this.expr(BP.compare); this.expectWord("AND", "in `x BETWEEN a AND b`"); this.expr(BP.compare); }
        else this.expr(BP.compare);
        continue;
      }
      return;
    }
  }

  private isTail(): void {
    if (this.word() === "NOT") this.next();
    if (this.word() === "NULL") { this.next(); return; }
    if (this.word() === "DISTINCT" && this.word(1) === "FROM") { this.next(); this.next(); this.expr(BP.compare); return; }
    this.fail(this.peek(), "expected NULL after IS");
  }

  private inTail(): void {
    const t = this.peek();
    if ((t?.kind === "identifier" && !this.isPunct("(", 1)) || t?.kind === "quoted_identifier") {
      this.fail(t, "`IN <name>` reads a table or a set; list the values in parentheses instead");
    }
    this.expr(BP.compare);
  }

  private prefix(): void {
    const t = this.peek();
    if (!t) this.fail(undefined, "expected an expression");
    switch (t.kind) {
      case "number": case "string": this.next(); return;
      case "quoted_identifier": this.next(); this.nameRef(t, t.value ?? ""); return;
      case "punctuation":
        if (t.text === "(") {
          this.next();
          if (this.isPunct(")")) { this.next(); return; }
          if (["SELECT", "WITH", "EXPLAIN"].includes(this.word())) this.fail(this.peek(), SUBQUERY);
          this.list(")");
          return;
        }
        if (t.text === "[") { this.next(); if (this.isPunct("]")) { this.next(); return; } this.list("]"); return; }
        this.fail(t, `unexpected \`${t.text}\``);
      case "operator":
        if (t.text === "-" || t.text === "+" || t.text === "\u2212") { this.next(); this.expr(BP.unary); return; }
        if (t.text === "*") this.fail(t, "`*` is not allowed in a DDL value");
        this.fail(t, `unexpected \`${t.text}\``);
      case "identifier": {
        const w = t.text.toUpperCase();
        // `INTERVAL (n) DAY` is an interval, not a call.
        if (w === "INTERVAL" && this.startsOperand(1)) { this.next(); this.intervalTail(); return; }
        if (this.isPunct("(", 1)) { this.call(); return; }
        if (["NULL", "TRUE", "FALSE", "INF", "NAN"].includes(w) && !this.isPunct(".", 1)) { this.next(); return; }
        if (w === "NOT") { this.next(); this.expr(BP.not); return; }
        if (w === "CASE") { this.next(); this.caseTail(); return; }
        if ((w === "DATE" || w === "TIMESTAMP") && this.peek(1)?.kind === "string") { this.next(); this.next(); return; }
        this.next();
        this.nameRef(t, t.text);
        return;
      }
      default:
        this.fail(t, `unexpected \`${t.text}\``);
    }
  }

  private startsOperand(k: number): boolean {
    const t = this.peek(k);
    if (!t) return false;
    return t.kind === "number" || t.kind === "string" || t.kind === "identifier" || t.kind === "quoted_identifier"
      || (t.kind === "punctuation" && t.text === "(") || (t.kind === "operator" && (t.text === "-" || t.text === "+"));
  }

  /** A column (or a subcolumn `a.b`, or a lambda parameter), after its first part was read. */
  private nameRef(first: Token, name: string): void {
    const parts = [name];
    while (this.isPunct(".") && (this.peek(1)?.kind === "identifier" || this.peek(1)?.kind === "quoted_identifier")) {
      this.next();
      const p = this.next();
      parts.push(p.kind === "quoted_identifier" ? p.value ?? "" : p.text);
    }
    if (hasControlCharacter(parts.join("."))) this.fail(first, "names with control characters or line breaks are not allowed");
    if (this.scopes.some((s) => s.includes(parts[0]!))) return;
    const reserved = first.kind === "identifier" && CLAUSE_WORDS.has(name.toUpperCase());
    if (this.columns === undefined) {
      if (reserved) this.failWord(first);
      return;
    }
    for (let k = parts.length; k >= 1; k--) if (this.columns.has(parts.slice(0, k).join("."))) return;
    if (reserved) this.failWord(first);
    this.fail(first, `\`${parts.join(".")}\` is not a column of this datasource`);
  }

  private failWord(t: Token): never {
    const w = t.text.toUpperCase();
    if (w === "SELECT" || w === "WITH") this.fail(t, SUBQUERY);
    if (w === "SETTINGS") this.fail(t, "SETTINGS is not allowed in a DDL value; table settings go in ENGINE_SETTINGS");
    if (w === "FROM" || w === "JOIN") this.fail(t, "tables are not allowed in a DDL value");
    this.fail(t, `\`${t.text}\` starts a clause or a statement; a DDL value is one expression`);
  }

  private call(): void {
    const nameTok = this.next();
    const name = nameTok.text;
    const upper = name.toUpperCase();
    this.next(); // (
    if (IN_FUNCTIONS.has(name)) this.fail(nameTok, `\`${name}(…)\` is not allowed; write \`x IN (…)\` with the values listed`);
    if (!PARSER_FORMS.has(upper)) {
      const problem = ddlFunctionProblem(name);
      if (problem) this.fail(nameTok, problem);
    }
    if (upper === "CAST" && !this.isPunct(")")) {
      this.expr();
      if (this.word() === "AS") { this.next(); this.typeName(); this.expectPunct(")", "to close CAST(x AS Type)"); return; }
      this.restOfArgs();
      return;
    }
    if (upper === "EXTRACT" && INTERVAL_UNITS.has(this.word()) && this.word(1) === "FROM") {
      this.next(); this.next(); this.expr(); this.expectPunct(")", "to close EXTRACT(unit FROM x)"); return;
    }
    if (upper === "TRIM" && ["BOTH", "LEADING", "TRAILING"].includes(this.word())) {
      this.next();
      if (this.word() !== "FROM") this.expr();
      this.expectWord("FROM", "in TRIM(… FROM x)");
      this.expr();
      this.expectPunct(")", "to close TRIM(…)");
      return;
    }
    if ((upper === "SUBSTRING" || upper === "POSITION") && !this.isPunct(")")) {
      this.expr(upper === "POSITION" ? BP.compare : 0);
      const sep = this.word();
      if ((upper === "POSITION" && sep === "IN") || (upper === "SUBSTRING" && sep === "FROM")) {
        this.next();
        this.expr();
        if (upper === "SUBSTRING" && this.word() === "FOR") { this.next(); this.expr(); }
        this.expectPunct(")", `to close ${upper}(…)`);
        return;
      }
      this.restOfArgs();
      return;
    }
    if (DATE_ARITHMETIC.has(upper) && INTERVAL_UNITS.has(this.word()) && this.isPunct(",", 1)) { this.next(); this.next(); }
    this.args();
    // Parametric aggregates: quantile(0.9)(x).
    if (this.isPunct("(")) { this.next(); this.args(); }
    if (this.word() === "OVER") this.fail(this.peek(), "window functions are not allowed in a DDL value");
  }

  /** Arguments after `(` up to and including `)`; aggregates may start with DISTINCT or ALL. */
  private args(): void {
    if (this.isPunct(")")) { this.next(); return; }
    if ((this.word() === "DISTINCT" || this.word() === "ALL") && !this.isPunct("(", 1) && !this.isPunct(",", 1) && !this.isPunct(")", 1)) this.next();
    this.arg();
    this.restOfArgs();
  }

  private restOfArgs(): void {
    while (this.isPunct(",")) { this.next(); this.arg(); }
    this.expectPunct(")", "to close the argument list");
  }

  /** An argument: an expression or a lambda `x -> …` / `(x, y) -> …`. */
  private arg(): void {
    const params = this.lambdaParams();
    if (params === undefined) { this.expr(); return; }
    this.scopes.push(params);
    this.expr();
    this.scopes.pop();
  }

  private lambdaParams(): string[] | undefined {
    const t = this.peek();
    if (t?.kind === "identifier" && this.isOp("->", 1)) { this.next(); this.next(); return [t.text]; }
    if (!this.isPunct("(")) return undefined;
    const names: string[] = [];
    let k = 1;
    for (;;) {
      const n = this.peek(k);
      if (n?.kind !== "identifier") return undefined;
      names.push(n.text);
      if (this.isPunct(",", k + 1)) { k += 2; continue; }
      if (this.isPunct(")", k + 1) && this.isOp("->", k + 2)) break;
      return undefined;
    }
    for (let j = 0; j < k + 3; j++) this.next();
    return names;
  }

  /** Elements of `( … )` or `[ … ]` after the opening bracket, up to and including the closing one. */
  private list(close: string): void {
    this.expr();
    while (this.isPunct(",")) { this.next(); this.expr(); }
    this.expectPunct(close, "to close the list");
  }

  private caseTail(): void {
    if (this.word() !== "WHEN") this.expr();
    if (this.word() !== "WHEN") this.fail(this.peek(), "expected WHEN in CASE");
    while (this.word() === "WHEN") {
      this.next();
      this.expr();
      this.expectWord("THEN", "after CASE … WHEN condition");
      this.expr();
    }
    if (this.word() === "ELSE") { this.next(); this.expr(); }
    this.expectWord("END", "to close CASE");
  }

  private intervalTail(): void {
    if (this.peek()?.kind === "string") {
      this.next();
      if (INTERVAL_UNITS.has(this.word())) this.next();
      return;
    }
    this.expr(BP.interval);
    if (!INTERVAL_UNITS.has(this.word())) this.fail(this.peek(), "INTERVAL needs a unit, e.g. INTERVAL 1 DAY");
    this.next();
  }

  /** A type after `::` or `AS`: a name and balanced arguments of names, numbers and strings. */
  private typeName(): void {
    const t = this.next();
    if (t.kind !== "identifier") this.fail(t, "expected a type name");
    if (!this.isPunct("(")) return;
    let depth = 0;
    do {
      const u = this.next();
      if (u.kind === "punctuation" && u.text === "(") depth++;
      else if (u.kind === "punctuation" && u.text === ")") depth--;
      else if (!(u.kind === "identifier" || u.kind === "number" || u.kind === "string" || u.kind === "quoted_identifier"
        || (u.kind === "punctuation" && u.text === ",") || (u.kind === "operator" && (u.text === "=" || u.text === "-")))) {
        this.fail(u, `unexpected \`${u.text}\` in a type`);
      }
    } while (depth > 0);
  }

  // ------------------------------------------------------- positions

  key(): void {
    this.expr();
    while (this.isPunct(",")) { this.next(); this.expr(); }
  }

  ttl(): void {
    do {
      if (this.isPunct(",")) this.next();
      this.ttlElement();
    } while (this.isPunct(","));
  }

  private ttlElement(): void {
    this.expr();
    const w = this.word();
    if (w === "DELETE") this.next();
    else if (w === "RECOMPRESS") {
      this.next();
      this.expectWord("CODEC", "after RECOMPRESS");
      this.expectPunct("(", "after RECOMPRESS CODEC");
      this.codecList();
      this.expectPunct(")", "to close RECOMPRESS CODEC(…)");
    } else if (w === "TO") {
      this.next();
      if (this.word() !== "DISK" && this.word() !== "VOLUME") this.fail(this.peek(), "expected DISK or VOLUME after TO");
      this.next();
      if (this.peek()?.kind !== "string") this.fail(this.peek(), "expected the disk or volume name as a quoted string");
      this.next();
    }
    if (this.word() === "WHERE") { this.next(); this.expr(); }
    if (this.word() === "GROUP") {
      this.next();
      this.expectWord("BY", "after GROUP");
      this.key();
      if (this.word() === "SET") {
        this.next();
        this.assignment();
        while (this.isPunct(",") && (this.peek(1)?.kind === "identifier" || this.peek(1)?.kind === "quoted_identifier") && this.isOp("=", 2)) {
          this.next();
          this.assignment();
        }
      }
    }
  }

  private assignment(): void {
    const target = this.next();
    if (target.kind !== "identifier" && target.kind !== "quoted_identifier") this.fail(target, "expected a column after SET");
    this.nameRef(target, target.kind === "quoted_identifier" ? target.value ?? "" : target.text);
    if (!this.isOp("=")) this.fail(this.peek(), "expected `=` in SET column = expression");
    this.next();
    const start = this.peek()?.start ?? this.text.length;
    this.expr();
    this.hidden.push(this.text.slice(start, this.lastEnd));
  }

  settings(): void {
    do {
      if (this.isPunct(",")) this.next();
      const name = this.next();
      if (name.kind !== "identifier") this.fail(name, "expected a setting name");
      if (!MERGE_TREE_SETTINGS.has(name.text)) {
        this.fail(name, `\`${name.text}\` is not a MergeTree setting a datasource may change (docs/deployments.md lists the ones it may)`);
      }
      if (!this.isOp("=")) this.fail(this.peek(), `expected \`=\` after ${name.text}`);
      this.next();
      const start = this.peek()?.start ?? this.text.length;
      this.literal(true);
      this.hidden.push(this.text.slice(start, this.lastEnd));
    } while (this.isPunct(","));
  }

  /** A number (optionally signed), a string, or with `words` true/false. */
  private literal(words: boolean): void {
    const t = this.peek();
    if (t?.kind === "operator" && (t.text === "-" || t.text === "+")) {
      this.next();
      if (this.peek()?.kind !== "number") this.fail(this.peek(), "expected a number");
      this.next();
      return;
    }
    if (t?.kind === "number" || t?.kind === "string") { this.next(); return; }
    if (words && t?.kind === "identifier" && ["TRUE", "FALSE"].includes(t.text.toUpperCase())) { this.next(); return; }
    this.fail(t, "expected a literal value (a number or a quoted string)");
  }

  codecList(): void {
    do {
      if (this.isPunct(",")) this.next();
      const name = this.next();
      if (name.kind !== "identifier" || !CODECS.has(name.text.toLowerCase())) {
        this.fail(name, `unknown codec \`${name.text}\`; expected one of ${[...CODECS.values()].join(", ")}`);
      }
      if (this.isPunct("(")) {
        this.next();
        this.literal(false);
        while (this.isPunct(",")) { this.next(); this.literal(false); }
        this.expectPunct(")", `to close ${name.text}(…)`);
      }
    } while (this.isPunct(","));
  }

  indexType(): void {
    const name = this.next();
    if (name.kind !== "identifier" || !INDEX_TYPES.has(name.text.toLowerCase())) {
      this.fail(name, `unknown index type \`${name.text}\`; expected one of ${[...INDEX_TYPES.values()].join(", ")}`);
    }
    if (!this.isPunct("(")) return;
    this.next();
    if (this.isPunct(")")) { this.next(); return; }
    do {
      if (this.isPunct(",")) this.next();
      if (this.peek()?.kind === "identifier" && this.isOp("=", 1)) {
        this.next();
        this.next();
        // text(tokenizer = ngrams(3)): a tokenizer name with literal arguments.
        if (this.peek()?.kind === "identifier" && this.isPunct("(", 1)) {
          this.next();
          this.next();
          if (!this.isPunct(")")) { this.literal(false); while (this.isPunct(",")) { this.next(); this.literal(false); } }
          this.expectPunct(")", "to close the tokenizer's arguments");
        } else {
          this.literal(true);
        }
      } else {
        this.literal(false);
      }
    } while (this.isPunct(","));
    this.expectPunct(")", `to close ${name.text}(…)`);
  }

  selectList(): void {
    if (this.word() === "SELECT") this.next();
    if (this.word() === "DISTINCT") this.next();
    do {
      if (this.isPunct(",")) this.next();
      if (this.isOp("*")) {
        this.next();
        if (this.word() === "EXCEPT") {
          this.next();
          if (this.isPunct("(")) {
            this.next();
            this.columnName();
            while (this.isPunct(",")) { this.next(); this.columnName(); }
            this.expectPunct(")", "to close * EXCEPT (…)");
          } else {
            this.columnName();
          }
        }
        continue;
      }
      this.expr();
      if (this.word() === "AS") { this.next(); this.alias(); }
      else if ((this.peek()?.kind === "identifier" && !CLAUSE_WORDS.has(this.word())) || this.peek()?.kind === "quoted_identifier") this.alias();
    } while (this.isPunct(","));
  }

  private columnName(): void {
    const t = this.next();
    if (t.kind !== "identifier" && t.kind !== "quoted_identifier") this.fail(t, "expected a column name");
    this.nameRef(t, t.kind === "quoted_identifier" ? t.value ?? "" : t.text);
  }

  private alias(): void {
    const t = this.next();
    if (t.kind === "identifier" && CLAUSE_WORDS.has(t.text.toUpperCase())) this.failWord(t);
    if (t.kind !== "identifier" && t.kind !== "quoted_identifier") this.fail(t, "expected an alias");
    if (hasControlCharacter(t.value ?? t.text)) this.fail(t, "names with control characters or line breaks are not allowed");
  }
}

/**
 * A type, as ClickHouse tokenizes it, is a name with at most one argument
 * list that ends the text: nothing a backtick-quoted name might have hidden
 * from the type parser can follow it.
 */
function typeShape(tokens: Token[]): void {
  const [name, open] = tokens;
  if (name?.kind !== "identifier") throw new ValueError("expected a type name", name?.start ?? 0);
  if (!open) return;
  if (open.kind !== "punctuation" || open.text !== "(") throw new ValueError(`unexpected \`${open.text}\` after the type name`, open.start);
  let depth = 0;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "punctuation" && (t.text === "(" || t.text === "[")) depth++;
    else if (t.kind === "punctuation" && (t.text === ")" || t.text === "]")) depth--;
    if (depth === 0 && i !== tokens.length - 1) throw new ValueError(`unexpected \`${tokens[i + 1]!.text}\` after the type`, tokens[i + 1]!.start);
  }
}

/**
 * Checks `text` for the position `kind`. The message is a sentence to put
 * after the directive's name; `offset` is where in `text` the problem starts.
 */
export function checkDdlValue(text: string, kind: DdlValueKind, context: DdlValueContext = {}): DdlValueCheck {
  try {
    const tokens = lexicalCheck(text);
    if (kind === "type") { typeShape(tokens); return { ok: true, hidden: [] }; }
    const parser = new ValueParser(text, tokens, context.columns);
    if (parser.atEnd()) parser.fail(undefined, "the value is empty");
    switch (kind) {
      case "expression": parser.expr(); break;
      case "key": parser.key(); break;
      case "ttl": parser.ttl(); break;
      case "settings": parser.settings(); break;
      case "codec": parser.codecList(); break;
      case "index_type": parser.indexType(); break;
      case "select_list": parser.selectList(); break;
    }
    if (!parser.atEnd()) parser.failTrailing();
    return { ok: true, hidden: parser.hidden };
  } catch (e) {
    if (e instanceof ValueError) return { ok: false, message: e.message, offset: e.offset };
    throw e;
  }
}
