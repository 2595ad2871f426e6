/**
 * ClickHouse SQL tokenizer with source positions.
 *
 * The token boundaries follow ClickHouse's own lexer (checked against the chDB
 * 26.x engine): whatever this file calls a comment or a string, the server
 * does too. That matters for security, because the table checks in this
 * folder must see exactly the identifiers ClickHouse will see.
 *
 * `tokenize` never throws. Unterminated strings, quoted identifiers and block
 * comments become one `error` token running to the end of the input and are
 * also reported in `TokenizeResult.error`.
 *
 * @module
 * @example
 * const { tokens } = tokenize("SELECT a FROM t -- hi");
 * tokens.filter(isSignificant).map((t) => t.text); // ["SELECT", "a", "FROM", "t"]
 */

export type TokenKind =
  | "whitespace"
  | "comment"
  | "identifier"
  | "quoted_identifier"
  | "string"
  | "heredoc"
  | "number"
  | "operator"
  | "punctuation"
  | "param"
  | "unknown"
  | "error";

export interface Token {
  kind: TokenKind;
  /** Exact source text; `sql.slice(start, end) === text`. */
  text: string;
  start: number;
  end: number;
  /** Unescaped name for identifiers and quoted identifiers, unescaped value for strings and heredocs. */
  value?: string;
}

export interface TokenizeError {
  message: string;
  position: number;
}

export interface TokenizeResult {
  tokens: Token[];
  error?: TokenizeError;
}

/** Whitespace and comments carry no meaning for the parser-lite in this folder. */
export function isSignificant(token: Token): boolean {
  return token.kind !== "whitespace" && token.kind !== "comment";
}

/** Longest first, so `<=>` wins over `<=` and `<`. */
const OPERATORS = [
  "<=>", "->", "::", "||", "<=", ">=", "!=", "<>", "==",
  "+", "-", "*", "/", "%", "=", "<", ">", "?", ":", "@", "^", "&", "|", "!",
];
const PUNCTUATION = "()[]{},;.";

const isDigit = (c: string) => c >= "0" && c <= "9";
const isWordStart = (c: string) =>
  (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c === "$";
const isWord = (c: string) => isWordStart(c) || isDigit(c);
/**
 * ClickHouse's lexer skips these as whitespace, not only ASCII ones (probed on
 * the chDB 26.7 engine over the whole BMP: `SELECT<c>1` parses for exactly
 * these). Missing one here once let `FROM<U+00A0>system.tables` pass unseen.
 */
const UNICODE_SPACES = new Set([
  "\u0085", "\u00a0", "\u180e", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005", "\u2006",
  "\u2007", "\u2008", "\u2009", "\u200a", "\u200b", "\u200c", "\u200d", "\u2028", "\u2029", "\u202f",
  "\u205f", "\u2060", "\u3000", "\ufeff",
]);
const isSpace = (c: string) =>
  c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v" || UNICODE_SPACES.has(c);
/** Typographic quotes ClickHouse accepts: “name” is an identifier, ‘text’ a string; no escapes inside. */
const CURLY_OPEN: Record<string, { close: string; kind: "quoted_identifier" | "string" }> = {
  "\u201c": { close: "\u201d", kind: "quoted_identifier" },
  "\u2018": { close: "\u2019", kind: "string" },
};
/** U+2212 MINUS SIGN is the `-` operator to ClickHouse. */
const UNICODE_MINUS = "\u2212";

/** Backslash escapes ClickHouse understands inside quoted literals. */
const ESCAPES: Record<string, string> = {
  b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", "0": "\0", a: "\x07", v: "\v", e: "\x1b",
};

export function tokenize(sql: string): TokenizeResult {
  const tokens: Token[] = [];
  let error: TokenizeError | undefined;
  let pos = 0;
  const n = sql.length;

  const push = (kind: TokenKind, start: number, end: number, value?: string) => {
    const token: Token = { kind, text: sql.slice(start, end), start, end };
    if (value !== undefined) token.value = value;
    tokens.push(token);
  };
  const fail = (start: number, message: string) => {
    push("error", start, n);
    error ??= { message, position: start };
    pos = n;
  };

  while (pos < n) {
    const start = pos;
    const c = sql[pos]!;
    const next = sql[pos + 1] ?? "";

    if (isSpace(c)) {
      while (pos < n && isSpace(sql[pos]!)) pos++;
      push("whitespace", start, pos);
      continue;
    }

    // Line comments: `--`, `//`, and `#` only when followed by a space or `!`
    // (a bare `#x` is a syntax error in ClickHouse, not a comment).
    if ((c === "-" && next === "-") || (c === "/" && next === "/") || (c === "#" && (next === " " || next === "!"))) {
      while (pos < n && sql[pos] !== "\n") pos++;
      push("comment", start, pos);
      continue;
    }

    if (c === "/" && next === "*") {
      const end = blockCommentEnd(sql, pos);
      if (end < 0) {
        fail(start, "Multiline comment is not closed");
        continue;
      }
      pos = end;
      push("comment", start, pos);
      continue;
    }

    if (c === "'" || c === '"' || c === "`") {
      const scanned = scanQuoted(sql, pos, c);
      if (!scanned) {
        const what = c === "'" ? "Single quoted string" : c === '"' ? "Double quoted identifier" : "Backquoted identifier";
        fail(start, `${what} is not closed`);
        continue;
      }
      pos = scanned.end;
      push(c === "'" ? "string" : "quoted_identifier", start, pos, scanned.value);
      continue;
    }

    const curly = CURLY_OPEN[c];
    if (curly) {
      const close = sql.indexOf(curly.close, pos + 1);
      if (close < 0) {
        fail(start, curly.kind === "string" ? "Single quoted string is not closed" : "Double quoted string is not closed");
        continue;
      }
      pos = close + 1;
      push(curly.kind, start, pos, sql.slice(start + 1, close));
      continue;
    }

    if (c === UNICODE_MINUS) {
      pos++;
      push("operator", start, pos);
      continue;
    }

    if (c === "$") {
      const heredoc = scanHeredoc(sql, pos);
      if (heredoc) {
        pos = heredoc.end;
        push("heredoc", start, pos, heredoc.value);
        continue;
      }
      // Without a closing tag ClickHouse lexes `$name` as a plain identifier.
    }

    if (isWordStart(c)) {
      while (pos < n && isWord(sql[pos]!)) pos++;
      push("identifier", start, pos, sql.slice(start, pos));
      continue;
    }

    if (isDigit(c) || (c === "." && isDigit(next) && !followsOperand(tokens))) {
      pos = scanNumber(sql, pos);
      push("number", start, pos);
      continue;
    }

    if (c === "{") {
      const end = scanQueryParam(sql, pos);
      if (end > 0) {
        pos = end;
        push("param", start, pos);
        continue;
      }
    }

    if (PUNCTUATION.includes(c)) {
      pos++;
      push("punctuation", start, pos);
      continue;
    }

    const op = OPERATORS.find((o) => sql.startsWith(o, pos));
    if (op) {
      pos += op.length;
      push("operator", start, pos);
      continue;
    }

    // Any other character (including non-ASCII outside quotes) is something
    // ClickHouse rejects; keep it as a token so positions stay intact.
    pos += c.length;
    push("unknown", start, pos);
  }

  return error ? { tokens, error } : { tokens };
}

/** `tuple.1` is element access, not the number `.1`. */
function followsOperand(tokens: Token[]): boolean {
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (!isSignificant(t)) return false;
    return t.kind === "identifier" || t.kind === "quoted_identifier" || t.kind === "number" || t.text === ")" || t.text === "]";
  }
  return false;
}

/** ClickHouse block comments nest: `/* a /* b *\/ c *\/` is one comment. */
function blockCommentEnd(sql: string, from: number): number {
  let depth = 0;
  let pos = from;
  while (pos < sql.length) {
    if (sql.startsWith("/*", pos)) {
      depth++;
      pos += 2;
    } else if (sql.startsWith("*/", pos)) {
      depth--;
      pos += 2;
      if (depth === 0) return pos;
    } else {
      pos++;
    }
  }
  return -1;
}

/** A doubled quote or a backslash escapes the quote character. */
function scanQuoted(sql: string, from: number, quote: string): { end: number; value: string } | undefined {
  let pos = from + 1;
  let value = "";
  while (pos < sql.length) {
    const c = sql[pos]!;
    if (c === "\\") {
      const e = sql[pos + 1];
      if (e === undefined) return undefined;
      value += ESCAPES[e] ?? e;
      pos += 2;
      continue;
    }
    if (c === quote) {
      if (sql[pos + 1] === quote) {
        value += quote;
        pos += 2;
        continue;
      }
      return { end: pos + 1, value };
    }
    value += c;
    pos++;
  }
  return undefined;
}

/** `$$…$$` or `$tag$…$tag$`; the body is raw text, no escapes. */
function scanHeredoc(sql: string, from: number): { end: number; value: string } | undefined {
  let pos = from + 1;
  while (pos < sql.length && isWord(sql[pos]!) && sql[pos] !== "$") pos++;
  if (sql[pos] !== "$") return undefined;
  const tag = sql.slice(from, pos + 1);
  const close = sql.indexOf(tag, pos + 1);
  if (close < 0) return undefined;
  return { end: close + tag.length, value: sql.slice(pos + 1, close) };
}

function scanNumber(sql: string, from: number): number {
  let pos = from;
  const lower = sql.slice(pos, pos + 2).toLowerCase();
  if (lower === "0x" || lower === "0b") {
    const digits = lower === "0x" ? /[0-9a-fA-F_]/ : /[01_]/;
    pos += 2;
    while (pos < sql.length && digits.test(sql[pos]!)) pos++;
    // Hex floats: 0x1.8p3
    if (lower === "0x" && sql[pos] === ".") {
      pos++;
      while (pos < sql.length && digits.test(sql[pos]!)) pos++;
    }
    if (lower === "0x" && (sql[pos] === "p" || sql[pos] === "P")) pos = scanExponent(sql, pos);
    return pos;
  }
  while (pos < sql.length && (isDigit(sql[pos]!) || sql[pos] === "_")) pos++;
  if (sql[pos] === ".") {
    pos++;
    while (pos < sql.length && (isDigit(sql[pos]!) || sql[pos] === "_")) pos++;
  }
  if (sql[pos] === "e" || sql[pos] === "E") pos = scanExponent(sql, pos);
  return pos;
}

function scanExponent(sql: string, at: number): number {
  let pos = at + 1;
  if (sql[pos] === "+" || sql[pos] === "-") pos++;
  if (!isDigit(sql[pos] ?? "")) return at;
  while (pos < sql.length && isDigit(sql[pos]!)) pos++;
  return pos;
}

/**
 * `{name:Type}` query parameter. Types may nest brackets and quotes
 * (`{m:Map(String, Array(UInt8))}`, `{e:Enum('a' = 1)}`), so scan to the
 * matching `}`. Anything else starting with `{` (a map literal) is not a param.
 */
function scanQueryParam(sql: string, from: number): number {
  const head = /^\{\s*[A-Za-z_][A-Za-z0-9_]*\s*:/.exec(sql.slice(from, from + 256));
  if (!head) return -1;
  let pos = from + head[0].length;
  let depth = 0;
  while (pos < sql.length) {
    const c = sql[pos]!;
    if (c === "'") {
      const q = scanQuoted(sql, pos, "'");
      if (!q) return -1;
      pos = q.end;
      continue;
    }
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "}" && depth === 0) return pos + 1;
    else if (c === "{" || c === ";" || c === "\n") return -1;
    pos++;
  }
  return -1;
}
