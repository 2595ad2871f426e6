/**
 * The significant tokens of a statement plus its bracket structure: the
 * little bit of shape the table finder needs, without a full parser.
 *
 * @module
 */
import { isSignificant, tokenize, type Token, type TokenizeError } from "./tokenize.js";

export interface Structure {
  /** Significant tokens only (no whitespace or comments). */
  tokens: Token[];
  /** For `(`/`[` the index of the matching closer and vice versa; -1 when unbalanced or not a bracket. */
  match: number[];
  /** Index of the innermost open bracket around each token; -1 at top level. */
  parent: number[];
  /** Enclosing groups (by open-bracket index, -1 for top level) that contain a SELECT keyword directly. */
  selectGroups: Set<number>;
}

export type StructureResult = { ok: true; structure: Structure } | { ok: false; error: TokenizeError };

export function buildStructure(sql: string): StructureResult {
  const lexed = tokenize(sql);
  if (lexed.error) return { ok: false, error: lexed.error };
  const tokens = lexed.tokens.filter(isSignificant);
  const match: number[] = Array.from({ length: tokens.length }, () => -1);
  const parent: number[] = Array.from({ length: tokens.length }, () => -1);
  const selectGroups = new Set<number>();
  const stack: number[] = [];
  tokens.forEach((token, i) => {
    parent[i] = stack.at(-1) ?? -1;
    if (token.kind !== "punctuation") {
      if (isKeyword(token, "SELECT")) selectGroups.add(parent[i]!);
      return;
    }
    if (token.text === "(" || token.text === "[") {
      stack.push(i);
    } else if (token.text === ")" || token.text === "]") {
      const open = stack.at(-1);
      const wanted = token.text === ")" ? "(" : "[";
      if (open !== undefined && tokens[open]!.text === wanted) {
        stack.pop();
        match[open] = i;
        match[i] = open;
        parent[i] = stack.at(-1) ?? -1;
      }
    }
  });
  return { ok: true, structure: { tokens, match, parent, selectGroups } };
}

/** Keywords are never quoted; `"FROM"` is an identifier. */
export function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token?.kind === "identifier" && token.text.toUpperCase() === keyword;
}

export function isName(token: Token | undefined): token is Token {
  return token?.kind === "identifier" || token?.kind === "quoted_identifier";
}

export function isPunct(token: Token | undefined, text: string): boolean {
  return token?.kind === "punctuation" && token.text === text;
}

/** The unescaped identifier a name token stands for. */
export function nameOf(token: Token): string {
  return token.value ?? token.text;
}
