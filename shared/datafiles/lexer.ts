/**
 * @module
 * Splits datafile text into directive statements: `KEYWORD value` lines and
 * `KEYWORD >` blocks. It follows the Tinybird CLI's line rules: keywords are
 * matched case-insensitively, a `#` outside quotes starts a comment, and a
 * block runs until a non-indented line that starts with a known keyword.
 * INCLUDE lines are expanded here, because they are spliced in as raw lines.
 */
import type { Diagnostics } from "./errors.js";

export interface SourceLine {
  text: string;
  file: string;
  /** 1-based line number in `file`. */
  line: number;
}

export interface Statement {
  /** Upper-cased keyword. */
  keyword: string;
  file: string;
  line: number;
  /** Column of the keyword. */
  column: number;
  /** Inline value: comment removed, whitespace collapsed, one pair of outer quotes removed. Empty for blocks. */
  value: string;
  /** Column where the value starts (or where it would start when empty). */
  valueColumn: number;
  /** True when the value was written in quotes. */
  quoted: boolean;
  /** Raw block lines, for `KEYWORD >`. */
  block?: SourceLine[];
}

export type IncludeResolver = (path: string) => string | undefined;

export interface LexOptions {
  lines: SourceLine[];
  /** Keywords of this file kind (upper-case); they end blocks. */
  isKeyword: (upperWord: string) => boolean;
  include: IncludeResolver | undefined;
  diagnostics: Diagnostics;
}

const MAX_INCLUDE_DEPTH = 8;

export function splitLines(text: string, file: string): SourceLine[] {
  return text.split(/\r\n|\r|\n/).map((lineText, index) => ({ text: lineText, file, line: index + 1 }));
}

function isCommentOrBlank(text: string): boolean {
  const trimmed = text.trimStart();
  return trimmed === "" || trimmed.startsWith("#");
}

function isIndented(text: string): boolean {
  return text.startsWith(" ") || text.startsWith("\t");
}

function firstWord(text: string): { word: string; start: number; end: number } {
  const match = /^(\s*)(\S+)/.exec(text);
  if (!match) return { word: "", start: 0, end: 0 };
  const start = match[1]!.length;
  return { word: match[2]!, start, end: start + match[2]!.length };
}

export interface ReadValueResult {
  value: string;
  quoted: boolean;
  /** Offset of the first value character in the input, or -1 when empty. */
  offset: number;
  unterminatedQuoteAt?: number;
}

/**
 * Reads a directive value the way shlex (non-POSIX) tokenises it and the CLI
 * joins the tokens back: `#` outside quotes ends the line, runs of whitespace
 * outside quotes become one space, then one pair of outer quotes is removed.
 */
export function readValue(rest: string): ReadValueResult {
  let out = "";
  let quote: string | null = null;
  let quoteStart = -1;
  let offset = -1;
  let pendingSpace = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (quote) {
      out += c;
      if (c === quote) quote = null;
      continue;
    }
    if (c === "#") break;
    if (c === " " || c === "\t") {
      if (out !== "") pendingSpace = true;
      continue;
    }
    if (offset < 0) offset = i;
    if (pendingSpace) { out += " "; pendingSpace = false; }
    if (c === '"' || c === "'") { quote = c; quoteStart = i; }
    out += c;
  }
  if (quote) return { value: out, quoted: false, offset, unterminatedQuoteAt: quoteStart };
  const first = out[0];
  if (out.length >= 2 && (first === '"' || first === "'") && out[out.length - 1] === first) {
    return { value: out.slice(1, -1), quoted: true, offset };
  }
  return { value: out, quoted: false, offset };
}

/** `$VAR` / `${VAR}` substitution as in Python's `string.Template.safe_substitute`. */
export function templateSubstitute(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (whole, braced?: string, bare?: string) => {
    if (whole === "$$") return "$";
    const value = vars[(braced ?? bare)!];
    return value === undefined ? whole : value;
  });
}

/** Splits `INCLUDE "file.incl" A=1 "B=two words"` into its path and variables. */
function parseIncludeArgs(rest: string): { path: string; vars: Record<string, string> } | undefined {
  const parts = rest.match(/"[^"]*"|'[^']*'|\S+/g) ?? [];
  const unquote = (s: string) => (/^(["']).*\1$/.test(s) ? s.slice(1, -1) : s);
  const [first, ...others] = parts.map(unquote);
  if (first === undefined || first === "") return undefined;
  const vars: Record<string, string> = {};
  for (const assignment of others) {
    const eq = assignment.indexOf("=");
    if (eq > 0) vars[assignment.slice(0, eq)] = assignment.slice(eq + 1);
  }
  return { path: first, vars };
}

/** Turns lines into statements; problems go to `diagnostics`. */
export function lexDatafile(options: LexOptions): Statement[] {
  const { isKeyword, include, diagnostics } = options;
  const queue: (SourceLine & { depth: number })[] = options.lines.map((l) => ({ ...l, depth: 0 }));
  const statements: Statement[] = [];
  let open: Statement | undefined;

  while (queue.length > 0) {
    const current = queue.shift()!;
    const { text, file, line } = current;
    const word = firstWord(text);
    const upper = word.word.toUpperCase();

    if (open) {
      const endsBlock = !isIndented(text) && word.word !== "" && !text.startsWith("#") && isKeyword(upper);
      if (!endsBlock) {
        // Comment lines inside blocks are dropped, as the CLI's tokenizer yields nothing for them.
        if (!(text.trimStart().startsWith("#"))) open.block!.push({ text, file, line });
        continue;
      }
      open = undefined;
    }

    if (isCommentOrBlank(text)) continue;

    const rest = text.slice(word.end);
    if (upper === "INCLUDE") {
      const args = parseIncludeArgs(rest.replace(/#.*$/, ""));
      const position = { file, line, column: word.start + 1 };
      if (!args) { diagnostics.error(position, "INCLUDE needs a file path, e.g. INCLUDE \"shared.incl\""); continue; }
      if (!include) { diagnostics.error(position, `INCLUDE "${args.path}" cannot be resolved: no include resolver was given`); continue; }
      if (current.depth >= MAX_INCLUDE_DEPTH) { diagnostics.error(position, `INCLUDE "${args.path}" nests deeper than ${MAX_INCLUDE_DEPTH} levels (include cycle?)`); continue; }
      const included = include(args.path);
      if (included === undefined) { diagnostics.error(position, `INCLUDE file "${args.path}" was not found`); continue; }
      diagnostics.warn(position, "INCLUDE is not supported by Tinybird Forward; it is expanded for Classic compatibility");
      const lines = splitLines(templateSubstitute(included, args.vars), args.path).map((l) => ({ ...l, depth: current.depth + 1 }));
      queue.unshift(...lines);
      continue;
    }

    const read = readValue(rest);
    const valueColumn = read.offset < 0 ? word.end + 2 : word.end + read.offset + 1;
    if (read.unterminatedQuoteAt !== undefined) {
      diagnostics.error({ file, line, column: word.end + read.unterminatedQuoteAt + 1 }, `unterminated quote in ${upper} value; expected a closing ${rest[read.unterminatedQuoteAt]}`);
      continue;
    }
    const isBlockStart = read.value === ">" && !read.quoted || read.value.startsWith("> ") && !read.quoted;
    const statement: Statement = { keyword: upper, file, line, column: word.start + 1, value: read.value, valueColumn, quoted: read.quoted };
    if (isBlockStart) {
      if (read.value !== ">") diagnostics.warn({ file, line, column: valueColumn + 2 }, `text after \`${upper} >\` is ignored; block content starts on the next line`);
      statement.value = "";
      statement.block = [];
      open = statement;
    }
    statements.push(statement);
  }
  return statements;
}

/**
 * Removes the common indentation of block lines and trailing blank lines.
 * A `%` template marker line is kept but does not count for the indentation,
 * since real projects put it at column 0 above indented SQL.
 */
export function dedentBlock(lines: SourceLine[]): SourceLine[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.text.trim() === "") end--;
  let start = 0;
  while (start < end && lines[start]!.text.trim() === "") start++;
  const body = lines.slice(start, end);
  let indent = Infinity;
  for (const l of body) {
    if (l.text.trim() === "" || l.text.trim() === "%") continue;
    indent = Math.min(indent, /^[ \t]*/.exec(l.text)![0].length);
  }
  if (indent === Infinity) indent = 0;
  return body.map((l) => {
    if (l.text.trim() === "%") return { ...l, text: "%" };
    const lead = /^[ \t]*/.exec(l.text)![0].length;
    return { ...l, text: l.text.slice(Math.min(indent, lead)).trimEnd() };
  });
}
