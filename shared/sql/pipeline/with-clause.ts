/**
 * Puts named subqueries in front of a query as CTEs, merging with a WITH the
 * query already has (`WITH a AS (…) WITH b …` is not valid ClickHouse).
 *
 * Bodies are copied byte for byte: re-indenting would change multi-line
 * strings and heredocs. Each body sits on its own lines so a trailing `--`
 * comment cannot swallow the closing bracket.
 *
 * @module
 */
import { isSignificant, tokenize, type Token } from "../rewrite/tokenize.js";

export interface NamedQuery {
  name: string;
  sql: string;
}

/** The statement without leading/trailing trivia and trailing `;`s. */
export function trimStatement(sql: string): string {
  const tokens = tokenize(sql).tokens.filter(isSignificant);
  while (tokens.length > 0 && tokens.at(-1)!.kind === "punctuation" && tokens.at(-1)!.text === ";") tokens.pop();
  const first = tokens[0];
  const last = tokens.at(-1);
  return first && last ? sql.slice(first.start, last.end) : "";
}

export function prependCtes(ctes: readonly NamedQuery[], query: string, quote: (name: string) => string): string {
  if (ctes.length === 0) return query;
  const list = ctes.map((c) => `${quote(c.name)} AS (\n${c.sql}\n)`).join(",\n");
  const tokens = tokenize(query).tokens.filter(isSignificant);
  const first = tokens[0];
  if (isWord(first, "WITH")) {
    const head = isWord(tokens[1], "RECURSIVE") ? tokens[1]! : first!;
    return `${query.slice(0, head.end)}\n${list},\n${query.slice(head.end).trimStart()}`;
  }
  // `WITH … (SELECT …) UNION ALL (…)` is a syntax error; a bracketed query goes into FROM.
  if (first?.kind === "punctuation" && first.text === "(") {
    return `WITH\n${list}\nSELECT * FROM (\n${query}\n)`;
  }
  return `WITH\n${list}\n${query}`;
}

function isWord(token: Token | undefined, word: string): boolean {
  return token?.kind === "identifier" && token.text.toUpperCase() === word;
}
