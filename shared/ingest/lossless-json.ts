/**
 * @module
 * A small JSON parser for the rare rows where `JSON.parse` loses digits:
 * numbers that are not exactly representable as a double (integers past 2^53,
 * long decimals) come back as their original text, which every numeric
 * coercer accepts. Slower than `JSON.parse`; used only after a coercer has
 * flagged a row as lossy.
 */

/** Parses `text`; throws SyntaxError on malformed input (callers have already parsed it once). */
export function parseJsonLossless(text: string): unknown {
  let i = 0;
  const ws = () => { while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++; };
  const fail = (): never => { throw new SyntaxError(`Unexpected token at position ${i}`); };

  function value(): unknown {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      if (text[i] === "}") { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const key = str();
        ws();
        if (text[i] !== ":") fail();
        i++;
        const v = value();
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return obj; }
        fail();
      }
    }
    if (c === "[") {
      i++;
      const arr: unknown[] = [];
      ws();
      if (text[i] === "]") { i++; return arr; }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return arr; }
        fail();
      }
    }
    if (c === '"') return str();
    if (text.startsWith("true", i)) { i += 4; return true; }
    if (text.startsWith("false", i)) { i += 5; return false; }
    if (text.startsWith("null", i)) { i += 4; return null; }
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = i;
    const found = m.exec(text);
    if (!found) return fail();
    i += found[0].length;
    const raw = found[0];
    const n = Number(raw);
    if (!Number.isFinite(n)) return raw; // `1e400`: the text, not Infinity
    if (/^-?\d+$/.test(raw)) return Number.isSafeInteger(n) ? n : raw;
    const significant = raw.replace(/[eE].*$/, "").replace(/[-.]/g, "").replace(/^0+/, "");
    return significant.length > 15 ? raw : n;
  }

  function str(): string {
    // Find the closing quote, then let JSON.parse decode escapes.
    const start = i;
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) { i += 2; continue; }
      if (c === 0x22) { i++; return JSON.parse(text.slice(start, i)) as string; }
      i++;
    }
    return fail();
  }

  const result = value();
  ws();
  if (i !== text.length) fail();
  return result;
}
