/**
 * @module
 * The SCHEMA block: one column per comma-separated entry,
 * `` name Type [DEFAULT expr] [CODEC(...)] [`json:$.path`] `` in any order
 * after the type. `--` comments are removed (not inside quotes or backticks).
 */
import type { ColumnDefinition } from "./ast.js";
import type { Diagnostics, SourcePosition } from "./errors.js";
import type { SourceLine } from "./lexer.js";
import { formatClickHouseType, isNullableType, parseClickHouseType } from "./types.js";

/** Text with the source position of every character, so errors point at the right column. */
export interface MappedText {
  text: string;
  at: (offset: number) => SourcePosition;
}

export function mapLines(lines: SourceLine[]): MappedText {
  const starts: { offset: number; line: SourceLine }[] = [];
  let text = "";
  for (const line of lines) {
    starts.push({ offset: text.length, line });
    text += line.text + "\n";
  }
  return {
    text,
    at(offset: number): SourcePosition {
      let chosen = starts[0];
      for (const s of starts) {
        if (s.offset <= offset) chosen = s;
        else break;
      }
      if (!chosen) return { file: "", line: 1, column: 1 };
      return { file: chosen.line.file, line: chosen.line.line, column: offset - chosen.offset + 1 };
    },
  };
}

/** Blanks out `--` comments (keeping offsets) outside quotes and backticks. */
export function blankSqlComments(text: string): string {
  let out = "";
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      out += c;
      if (c === "\\" && quote !== "`" && i + 1 < text.length) { out += text[++i]; continue; }
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") { quote = c; out += c; continue; }
    if (c === "-" && text[i + 1] === "-") {
      while (i < text.length && text[i] !== "\n") { out += " "; i++; }
      if (i < text.length) out += "\n";
      continue;
    }
    out += c;
  }
  return out;
}

/** How {@link splitTopLevel} scans; the defaults are the SCHEMA block's rules. */
export interface SplitTopLevelOptions {
  /** The characters that split (default `","`). */
  separators?: string;
  /** Whether `{ }` nest like `( )` and `[ ]` (default true). */
  braces?: boolean;
  /** Whether a backslash escapes the next character inside backticks too, not only in quotes (default false). */
  backtickEscapes?: boolean;
}

/**
 * Offsets of the parts between top-level separators (outside parentheses,
 * brackets, quotes, backticks). Used for SCHEMA, INDEXES and engine keys
 * (`shared/sql/ddl/engine-clause.ts`), each with its own options.
 */
export function splitTopLevel(text: string, opts: SplitTopLevelOptions = {}): { start: number; end: number }[] {
  const separators = opts.separators ?? ",";
  const braces = opts.braces ?? true;
  const backtickEscapes = opts.backtickEscapes ?? false;
  const parts: { start: number; end: number }[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\" && (backtickEscapes || quote !== "`")) { i++; continue; }
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === "`") quote = c;
    else if (c === "(" || c === "[" || (braces && c === "{")) depth++;
    else if (c === ")" || c === "]" || (braces && c === "}")) depth--;
    else if (separators.includes(c) && depth === 0) { parts.push({ start, end: i }); start = i + 1; }
  }
  parts.push({ start, end: text.length });
  return parts;
}

const REJECTED_WORDS: Record<string, string> = {
  NULL: "NULL is not supported in SCHEMA; use Nullable(T) instead",
  NOT: "NOT NULL is not supported in SCHEMA; columns are not nullable unless typed Nullable(T)",
  MATERIALIZED: "MATERIALIZED columns are not supported in datafiles; compute the value in a materialized pipe or use DEFAULT",
  ALIAS: "ALIAS columns are not supported in datafiles",
  EPHEMERAL: "EPHEMERAL columns are not supported in datafiles",
  TTL: "column TTL is not supported; use ENGINE_TTL for the table",
  COMMENT: "column COMMENT is not supported in SCHEMA",
};

class ColumnReader {
  pos: number;
  constructor(private readonly text: string, start: number, private readonly end: number) { this.pos = start; }

  skipSpace(): void { while (this.pos < this.end && /\s/.test(this.text[this.pos]!)) this.pos++; }
  atEnd(): boolean { this.skipSpace(); return this.pos >= this.end; }
  peek(): string { return this.text[this.pos] ?? ""; }

  /** Reads a backticked token; returns undefined if the closing backtick is missing. */
  backticked(): string | undefined {
    let value = "";
    let i = this.pos + 1;
    while (i < this.end) {
      const c = this.text[i]!;
      if (c === "\\" && i + 1 < this.end) { value += this.text[i + 1]; i += 2; continue; }
      if (c === "`") {
        if (this.text[i + 1] === "`") { value += "`"; i += 2; continue; }
        this.pos = i + 1;
        return value;
      }
      value += c;
      i++;
    }
    return undefined;
  }

  word(): string {
    const start = this.pos;
    while (this.pos < this.end && /[A-Za-z0-9_]/.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  bareName(): string {
    const start = this.pos;
    while (this.pos < this.end && !/[\s`]/.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Reads from an opening `(` to its match; returns the inside or undefined when unbalanced. */
  balanced(): string | undefined {
    let depth = 0;
    let quote: string | null = null;
    const start = this.pos;
    for (let i = this.pos; i < this.end; i++) {
      const c = this.text[i]!;
      if (quote) {
        if (c === "\\") { i++; continue; }
        if (c === quote) quote = null;
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      else if (c === "(") depth++;
      else if (c === ")") {
        depth--;
        if (depth === 0) { this.pos = i + 1; return this.text.slice(start + 1, i); }
      }
    }
    return undefined;
  }

  /** A type: a name plus an optional balanced argument list. */
  type(): string | undefined {
    const start = this.pos;
    const name = this.word();
    if (name === "") return undefined;
    let look = this.pos;
    while (look < this.end && (this.text[look] === " " || this.text[look] === "\t")) look++;
    if (this.text[look] === "(") {
      this.pos = look;
      if (this.balanced() === undefined) return undefined;
    }
    return this.text.slice(start, this.pos);
  }

  /** A DEFAULT expression: up to a top-level `json:` backtick token, `CODEC(`, or the end. */
  expression(): string {
    const start = this.pos;
    let depth = 0;
    let quote: string | null = null;
    let i = this.pos;
    for (; i < this.end; i++) {
      const c = this.text[i]!;
      if (quote) {
        if (c === "\\") { i++; continue; }
        if (c === quote) quote = null;
        continue;
      }
      if (depth === 0 && c === "`" && this.text.startsWith("json:", i + 1)) break;
      if (depth === 0 && /[Cc]/.test(c) && /^CODEC\s*\(/i.test(this.text.slice(i, this.end)) && !/[A-Za-z0-9_]/.test(this.text[i - 1] ?? " ")) break;
      if (c === "'" || c === '"' || c === "`") quote = c;
      else if (c === "(" || c === "[") depth++;
      else if (c === ")" || c === "]") depth--;
    }
    this.pos = i;
    return this.text.slice(start, i).trim();
  }
}

/** Where a column's name, DEFAULT expression and CODEC were written, for checks made once every column is known. */
export interface ColumnPositions {
  name: SourcePosition;
  default?: SourcePosition;
  codec?: SourcePosition;
}

/**
 * Parses SCHEMA block lines into columns, reporting every bad column. With
 * `positions`, records where each column's parts were written.
 */
export function parseSchema(lines: SourceLine[], diagnostics: Diagnostics, positions?: Map<string, ColumnPositions>): ColumnDefinition[] {
  const mapped = mapLines(lines);
  const text = blankSqlComments(mapped.text);
  const columns: ColumnDefinition[] = [];
  const seen = new Map<string, number>();
  const parts = splitTopLevel(text);
  parts.forEach((part, index) => {
    const reader = new ColumnReader(text, part.start, part.end);
    if (reader.atEnd()) {
      // A trailing comma after the last column is tolerated.
      if (index === parts.length - 1 && index > 0) return;
      diagnostics.error(mapped.at(Math.min(part.start, text.length - 1)), "empty column definition; expected `name Type`");
      return;
    }
    const where: ColumnPositions = { name: mapped.at(reader.pos) };
    const column = parseColumn(reader, text, mapped, diagnostics, where);
    if (!column) return;
    const previous = seen.get(column.name);
    if (previous !== undefined) {
      diagnostics.error({ file: column.file, line: column.line, column: 1 }, `column \`${column.name}\` is defined twice (first on line ${previous})`);
      return;
    }
    seen.set(column.name, column.line);
    columns.push(column);
    positions?.set(column.name, where);
  });
  return columns;
}

function parseColumn(reader: ColumnReader, text: string, mapped: MappedText, diagnostics: Diagnostics, where: ColumnPositions): ColumnDefinition | undefined {
  const nameAt = mapped.at(reader.pos);
  let name: string;
  if (reader.peek() === "`") {
    const quoted = reader.backticked();
    if (quoted === undefined) { diagnostics.error(nameAt, "unterminated backtick in column name"); return undefined; }
    name = quoted;
  } else {
    name = reader.bareName();
    if (name.toUpperCase() === "INDEX") {
      diagnostics.error(nameAt, "INDEX is not allowed inside SCHEMA; declare data-skipping indexes in an INDEXES > block");
      return undefined;
    }
  }
  if (name === "") { diagnostics.error(nameAt, "empty column name"); return undefined; }

  if (reader.atEnd()) { diagnostics.error(mapped.at(reader.pos - 1), `column \`${name}\` has no type; expected \`${name} Type\``); return undefined; }
  const typeAt = reader.pos;
  const typeText = reader.type();
  if (typeText === undefined) {
    diagnostics.error(mapped.at(typeAt), `expected a type for column \`${name}\`${text[typeAt] === "`" ? " before its JSONPath" : ""}`);
    return undefined;
  }
  const parsed = parseClickHouseType(typeText);
  if (!parsed.ok) {
    diagnostics.error(mapped.at(typeAt + parsed.offset), `invalid type for column \`${name}\`: ${parsed.message}`);
    return undefined;
  }

  const column: ColumnDefinition = {
    file: nameAt.file, line: nameAt.line, name,
    type: formatClickHouseType(parsed.type), dataType: parsed.type, nullable: isNullableType(parsed.type),
  };
  let ok = true;
  while (!reader.atEnd()) {
    const at = mapped.at(reader.pos);
    if (reader.peek() === "`") {
      const token = reader.backticked();
      if (token === undefined) { diagnostics.error(at, "unterminated backtick; expected `json:$.path`"); return undefined; }
      if (!token.startsWith("json:")) { diagnostics.error(at, `unexpected \`${token}\` after column \`${name}\`; expected a \`json:$.path\``); ok = false; continue; }
      const path = token.slice(5).trim();
      if (!path.startsWith("$")) { diagnostics.error(at, `JSONPath for column \`${name}\` must start with $, e.g. \`json:$.${name}\``); ok = false; continue; }
      if (column.jsonPath !== undefined) { diagnostics.error(at, `column \`${name}\` has more than one JSONPath`); ok = false; continue; }
      column.jsonPath = path;
      continue;
    }
    if (text.startsWith("json:", reader.pos)) {
      diagnostics.error(at, "a JSONPath must be backticked, e.g. `json:$.field`");
      return undefined;
    }
    const word = reader.word();
    const upper = word.toUpperCase();
    if (upper === "DEFAULT") {
      reader.skipSpace();
      where.default = mapped.at(reader.pos);
      const expr = reader.expression();
      if (expr === "") { diagnostics.error(at, `DEFAULT for column \`${name}\` needs an expression`); ok = false; continue; }
      column.default = expr;
      continue;
    }
    if (upper === "CODEC") {
      where.codec = at;
      reader.skipSpace();
      const inner = reader.peek() === "(" ? reader.balanced() : undefined;
      if (inner === undefined || inner.trim() === "") { diagnostics.error(at, `CODEC for column \`${name}\` must be written CODEC(codec[, ...])`); return undefined; }
      column.codec = inner.trim();
      continue;
    }
    const rejected = REJECTED_WORDS[upper];
    if (rejected) { diagnostics.error(at, rejected); return undefined; }
    diagnostics.error(at, `unexpected \`${word || text[reader.pos]}\` after the type of column \`${name}\`; expected DEFAULT, CODEC(...) or \`json:$.path\``);
    return undefined;
  }
  return ok ? column : undefined;
}
