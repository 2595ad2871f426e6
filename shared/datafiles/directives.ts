/**
 * @module
 * Pieces every datafile kind shares: reading a statement's value, TOKEN and
 * TAGS lines, "did you mean" hints for unknown keywords, repeated directives.
 */
import type { SecretRef, TokenGrant } from "./ast.js";
import type { Diagnostics, SourcePosition } from "./errors.js";
import { dedentBlock, type Statement } from "./lexer.js";
import { substituteValue, type Env } from "./values.js";

export interface DirectiveContext {
  path: string;
  diagnostics: Diagnostics;
  env: Env | undefined;
  secrets: SecretRef[];
}

export function positionOf(statement: Statement): SourcePosition {
  return { file: statement.file, line: statement.line, column: statement.column };
}

export function valuePosition(statement: Statement): SourcePosition {
  return { file: statement.file, line: statement.block?.[0]?.line ?? statement.line, column: statement.block ? 1 : statement.valueColumn };
}

/** Block text (dedented, joined) or the inline value. */
export function rawValue(statement: Statement): string {
  if (!statement.block) return statement.value;
  return dedentBlock(statement.block).map((l) => l.text).join("\n").trim();
}

/** The value after `${VAR}` / `tb_secret()` substitution. */
export function substitutedValue(statement: Statement, context: DirectiveContext): string {
  return substituteValue(rawValue(statement), valuePosition(statement), context);
}

/** Value of a directive that needs one; reports an error and returns undefined when empty. */
export function requireValue(statement: Statement, context: DirectiveContext, example: string): string | undefined {
  const value = substitutedValue(statement, context).trim();
  if (value === "") {
    context.diagnostics.error(valuePosition(statement), `${statement.keyword} needs a value, e.g. ${example}`);
    return undefined;
  }
  return value;
}

/**
 * `TOKEN name SCOPE`. The scope is the last word; everything before it is the
 * name, so `TOKEN "read api" READ` and `TOKEN read api READ` both work.
 */
export function parseToken(statement: Statement, allowed: readonly ("READ" | "APPEND")[], context: DirectiveContext): TokenGrant | undefined {
  const text = statement.block ? rawValue(statement) : statement.value;
  const raw = statement.quoted ? `"${text}"` : text;
  const match = /^(.*\S)\s+(\S+)$/.exec(raw.trim());
  const allowedText = allowed.join(" or ");
  if (!match) {
    context.diagnostics.error(valuePosition(statement), `TOKEN needs a name and a scope, e.g. TOKEN "my token" ${allowed[0]}`);
    return undefined;
  }
  const name = match[1]!.replace(/^(["'])(.*)\1$/, "$2").trim();
  const scope = match[2]!.replace(/^(["'])(.*)\1$/, "$2").toUpperCase();
  if (!(allowed as readonly string[]).includes(scope)) {
    const column = statement.valueColumn + raw.trim().length - match[2]!.length;
    context.diagnostics.error({ file: statement.file, line: statement.line, column }, `invalid TOKEN scope \`${match[2]}\`; expected ${allowedText}`);
    return undefined;
  }
  if (name === "") {
    context.diagnostics.error(valuePosition(statement), "TOKEN name is empty");
    return undefined;
  }
  return { file: statement.file, line: statement.line, name, scope: scope as "READ" | "APPEND" };
}

export function parseTags(value: string): string[] {
  return value.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

export function parseBooleanValue(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

function closestKeyword(keyword: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(keyword, candidate);
    if (d < bestDistance) { best = candidate; bestDistance = d; }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(keyword.length / 4)) ? best : undefined;
}

/**
 * A misspelt directive such as `ENGINE_SORTNG_KEY` at column 0 should end the
 * block above it and be reported as unknown, not read as block content. Only
 * upper-case words with `_` qualify, so SQL (`CASE`) and columns stay put.
 */
export function looksLikeMisspeltKeyword(word: string, known: Iterable<string>): boolean {
  return /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(word) && closestKeyword(word, known) !== undefined;
}

export function unknownKeywordMessage(keyword: string, kind: string, known: Iterable<string>): string {
  const best = closestKeyword(keyword, known);
  const hint = best !== undefined ? `; did you mean ${best}?` : "";
  return `\`${keyword}\` is not a valid option in ${kind} files${hint}`;
}

/** Tracks directives that may appear once; a repeat wins (as in the CLI) but is reported. */
export class OnceTracker {
  private readonly seen = new Map<string, number>();
  constructor(private readonly diagnostics: Diagnostics) {}

  note(statement: Statement, scope = ""): void {
    const key = `${scope}\u0000${statement.keyword}`;
    const first = this.seen.get(key);
    if (first !== undefined) {
      this.diagnostics.warn(positionOf(statement), `${statement.keyword} is set more than once (first on line ${first}); the last value is used`);
    } else {
      this.seen.set(key, statement.line);
    }
  }
}
