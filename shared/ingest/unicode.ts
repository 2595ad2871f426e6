/**
 * @module
 * Lone UTF-16 surrogates. JSON may spell one (`"\ud800"`) and JSON.parse
 * accepts it, but it is not Unicode text: ClickHouse refuses the whole insert
 * over a lone high surrogate and stores invalid UTF-8 for a lone low one. The
 * validator quarantines such rows; quarantine rows spell them as the
 * six-character escape, so they are kept as sent and insert cleanly.
 *
 * @example
 * firstLoneSurrogate({ a: ["ok", "x\ud800"] }) // "\\ud800"
 * escapeLoneSurrogates("x\udc00")            // "x\\udc00"
 */

const LONE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_ALL = new RegExp(LONE.source, "g");
/** A surrogate escape or character anywhere: only then can a parsed value hold a lone one. */
const HINT = /\\u[dD][89a-fA-F]|[\ud800-\udfff]/;

/** Cheap pre-check on a line's text (one native scan); false means no value parsed from it holds a surrogate. */
export function mayHoldSurrogates(text: string): boolean {
  return HINT.test(text);
}

function escape(unit: string): string {
  return `\\u${unit.charCodeAt(0).toString(16)}`;
}

/** The first lone surrogate in a string, or in the strings and keys of an array/object, as its escape; else null. */
export function firstLoneSurrogate(value: unknown): string | null {
  if (typeof value === "string") {
    const m = LONE.exec(value);
    return m === null ? null : escape(m[0]);
  }
  if (value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    for (const x of value) {
      const found = firstLoneSurrogate(x);
      if (found !== null) return found;
    }
    return null;
  }
  for (const k in value) {
    const found = firstLoneSurrogate(k) ?? firstLoneSurrogate((value as Record<string, unknown>)[k]);
    if (found !== null) return found;
  }
  return null;
}

/** `s` with every lone surrogate written as its escape text (`\ud800`); well-formed text is returned as is. */
export function escapeLoneSurrogates(s: string): string {
  return LONE.test(s) ? s.replace(LONE_ALL, escape) : s;
}

export function loneSurrogateReason(escaped: string): string {
  return `it holds a lone UTF-16 surrogate (${escaped}), which is not Unicode text`;
}
