/**
 * @module
 * SQL escaping of template values, byte for byte as Tinybird's `sqlescape`
 * (identifiers) and `sqlescape_for_string_expression` (string literals).
 * Lone UTF-16 surrogates, which cannot be sent as UTF-8, become U+FFFD.
 */

const NEEDS_ESCAPE = /[\0\r\b\t\x1a\n"'\\%`\uD800-\uDFFF]/;

function escapeWith(s: string, dquote: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    switch (c) {
      case 0x00:
        out += "\\0";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x1a:
        out += "\\z";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x22:
        out += dquote;
        break;
      case 0x27:
        out += "\\'";
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x25:
        out += "\\%";
        break;
      case 0x60:
        out += "\\`";
        break;
      default:
        if (c >= 0xd800 && c <= 0xdbff) {
          const d = s.charCodeAt(i + 1);
          if (d >= 0xdc00 && d <= 0xdfff) {
            out += s.slice(i, i + 2);
            i++;
          } else out += "\uFFFD";
        } else if (c >= 0xdc00 && c <= 0xdfff) out += "\uFFFD";
        else out += s[i];
    }
  }
  return out;
}

/** Body of a string literal: `"` becomes `\"` (Tinybird `sqlescape_for_string_expression`). */
export function escapeString(s: string): string {
  return escapeWith(s, '\\"');
}

/** `'…'` string literal. */
export function quoteString(s: string): string {
  return "'" + escapeWith(s, '\\"') + "'";
}

/** Body of an identifier: `"` is dropped (Tinybird `sqlescape`). */
export function escapeIdentifier(s: string): string {
  return escapeWith(s, "");
}

/** Quoted identifier, backticks by default. */
export function quoteIdentifier(s: string, quote = "`"): string {
  return quote + escapeWith(s, "") + quote;
}

/**
 * True when `body`, placed between single quotes, stays one string literal:
 * every `'` is escaped and the body does not end inside an escape.
 */
export function isSafeStringBody(body: string): boolean {
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === "\\") {
      if (i + 1 >= body.length) return false;
      i++;
    } else if (c === "'") return false;
  }
  return true;
}
