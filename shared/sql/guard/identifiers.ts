/**
 * Names ClickHouse prints raw in `EXPLAIN AST` (identifiers, aliases, function
 * names) must not hold a line break or any other control character, or a name
 * could forge lines of the dump the guard reads. ClickHouse's own single-line
 * formatting of the query (`formatQuerySingleLine`) back-quotes such a name and
 * escapes it with a backslash; this scan finds those. The text it scans is
 * ClickHouse's output, not user input: no comments, no heredocs, strings in
 * `'…'` and names in `` `…` `` with backslash escapes.
 *
 * @module
 */

export type NameCheck = { ok: true } | { ok: false; message: string };

/** Scans ClickHouse's single-line formatting of a query for names with escapes or control characters. */
export function checkFormattedNames(formatted: string): NameCheck {
  let i = 0;
  const n = formatted.length;
  while (i < n) {
    const c = formatted[i]!;
    if (c === "'" || c === "`") {
      const quote = c;
      let j = i + 1;
      let escaped = false;
      for (; j < n; j++) {
        const d = formatted[j]!;
        if (d === "\\") {
          escaped = true;
          j++;
          continue;
        }
        if (d === quote) break;
        if (quote === "`" && isControl(d)) escaped = true;
      }
      if (j >= n) return { ok: false, message: "The query could not be checked: an unterminated quote in ClickHouse's formatting" };
      if (quote === "`" && escaped) {
        return { ok: false, message: "Names with control characters, backslashes or back-quotes are not allowed" };
      }
      i = j + 1;
      continue;
    }
    if (isControl(c)) return { ok: false, message: "The query could not be checked: a control character outside quotes" };
    i++;
  }
  return { ok: true };
}

function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 0x20 || code === 0x7f || c === "\u2028" || c === "\u2029" || c === "\u0085";
}
