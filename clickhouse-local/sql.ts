/**
 * Just enough lexing of ClickHouse SQL to route a request: the statement's
 * first keyword, and the output format named by a trailing `FORMAT x` clause.
 * Strings, quoted identifiers and comments are skipped, so text inside them
 * never counts. The engine does the real parsing.
 */

export type Token = { kind: "word"; value: string; depth: number } | { kind: "punct"; value: string; depth: number };

/** Tokens of `sql` outside strings and comments (identifiers unquoted). Stops after `limit` tokens. */
export function tokenize(sql: string, limit = Infinity): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let i = 0;
  const n = sql.length;
  while (i < n && out.length < limit) {
    const c = sql[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f") {
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < n && sql[i] !== "\n") i++;
    } else if (c === "#" && (sql[i + 1] === " " || sql[i + 1] === "!")) {
      while (i < n && sql[i] !== "\n") i++;
    } else if (c === "/" && sql[i + 1] === "*") {
      // ClickHouse allows nested block comments.
      let nest = 1;
      i += 2;
      while (i < n && nest > 0) {
        if (sql[i] === "/" && sql[i + 1] === "*") {
          nest++;
          i += 2;
        } else if (sql[i] === "*" && sql[i + 1] === "/") {
          nest--;
          i += 2;
        } else i++;
      }
    } else if (c === "'" || c === '"' || c === "`") {
      const start = ++i;
      let value = "";
      while (i < n && sql[i] !== c) {
        if (sql[i] === "\\") i++;
        i++;
      }
      value = sql.slice(start, i);
      i++;
      // Quoted identifiers are words (a quoted format name is legal); string literals are punctuation.
      out.push(c === "'" ? { kind: "punct", value: "'", depth } : { kind: "word", value, depth });
    } else if (/[A-Za-z_0-9]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z_0-9.$]/.test(sql[i]!)) i++;
      out.push({ kind: "word", value: sql.slice(start, i), depth });
    } else {
      if (c === "(" || c === "[") depth++;
      out.push({ kind: "punct", value: c, depth });
      if (c === ")" || c === "]") depth = Math.max(0, depth - 1);
      i++;
    }
  }
  return out;
}

/** The first keyword of the statement, upper-cased ("" if none). Leading parentheses are skipped. */
export function firstKeyword(sql: string): string {
  for (const t of tokenize(sql, 16)) {
    if (t.kind === "word") return t.value.toUpperCase();
    if (t.value !== "(") return "";
  }
  return "";
}

/**
 * The output format a SELECT-like statement names itself (`… FORMAT JSON`,
 * optionally followed by SETTINGS or a semicolon), or undefined.
 */
export function explicitFormat(sql: string): string | undefined {
  const toks = tokenize(sql);
  let found: string | undefined;
  for (let i = 0; i < toks.length - 1; i++) {
    const t = toks[i]!;
    if (t.kind !== "word" || t.depth !== 0 || t.value.toUpperCase() !== "FORMAT") continue;
    const name = toks[i + 1]!;
    if (name.kind !== "word") continue;
    const after = toks[i + 2];
    const endsHere =
      after === undefined ||
      (after.kind === "word" && after.value.toUpperCase() === "SETTINGS") ||
      (after.kind === "punct" && after.value === ";");
    if (endsHere) found = name.value;
  }
  return found;
}

/** Statements that a chDB stream cursor can run (everything else runs one-shot). */
const READ_KEYWORDS = new Set(["SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "EXISTS", "VALUES", "FROM"]);

export type StatementKind = "read" | "insert" | "set" | "use" | "other";

export function statementKind(sql: string): StatementKind {
  const k = firstKeyword(sql);
  if (k === "INSERT") return "insert";
  if (k === "SET") return "set";
  if (k === "USE") return "use";
  if (READ_KEYWORDS.has(k)) return "read";
  return "other";
}

/** Escapes a value as a ClickHouse single-quoted string literal. */
export function quoteString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Quotes an identifier with backticks. */
export function quoteIdentifier(s: string): string {
  return `\`${s.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}
