/**
 * @module
 * The INDEXES block: `name expr TYPE type GRANULARITY n`, one per line (a
 * trailing comma is allowed, as the TS SDK may write one).
 */
import type { IndexDefinition } from "./ast.js";
import type { Diagnostics, SourcePosition } from "./errors.js";
import type { SourceLine } from "./lexer.js";
import { blankSqlComments, mapLines, splitTopLevel } from "./schema.js";

const INDEX_LINE = /^(`[^`]+`|\S+)\s+(.+?)\s+TYPE\s+(.+?)\s+GRANULARITY\s+(\d+)$/i;

/** Splits at newlines and commas that are outside parentheses and quotes. */
const splitEntries = (text: string): { start: number; end: number }[] =>
  splitTopLevel(text, { separators: ",\n", braces: false, backtickEscapes: true });

/** With `positions`, records where each index (by name) was written. */
export function parseIndexes(lines: SourceLine[], diagnostics: Diagnostics, positions?: Map<string, SourcePosition>): IndexDefinition[] {
  const mapped = mapLines(lines);
  const text = blankSqlComments(mapped.text);
  const indexes: IndexDefinition[] = [];
  const seen = new Set<string>();
  for (const part of splitEntries(text)) {
    const raw = text.slice(part.start, part.end);
    const entry = raw.trim();
    if (entry === "") continue;
    const at = mapped.at(part.start + raw.indexOf(entry));
    const match = INDEX_LINE.exec(entry.replace(/\s+/g, " "));
    if (!match) {
      diagnostics.error(at, `invalid index \`${entry}\`; expected \`name expr TYPE type GRANULARITY n\``);
      continue;
    }
    const name = match[1]!.replace(/^`|`$/g, "");
    if (seen.has(name)) { diagnostics.error(at, `index \`${name}\` is defined twice`); continue; }
    seen.add(name);
    positions?.set(name, at);
    indexes.push({ file: at.file, line: at.line, name, expr: match[2]!, type: match[3]!, granularity: Number(match[4]) });
  }
  return indexes;
}
