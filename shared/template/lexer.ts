/**
 * @module
 * Lexing: the Tornado template reader (finds `{{ }}`, `{% %}`, `{# #}` and
 * tracks line numbers) and a tokenizer for the Python expressions inside them.
 */

import { TemplateParseError } from "./errors.js";

/** Cursor over the template text, with Tornado's `_TemplateReader` semantics. */
export class TemplateReader {
  line = 1;
  pos = 0;
  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  /** Index of `needle` relative to `pos`, searching from `pos + start`; -1 if absent. */
  find(needle: string, start = 0): number {
    const i = this.text.indexOf(needle, this.pos + start);
    return i === -1 ? -1 : i - this.pos;
  }

  consume(count?: number): string {
    const n = count ?? this.text.length - this.pos;
    const end = this.pos + n;
    for (let i = this.pos; i < end; i++) if (this.text.charCodeAt(i) === 10) this.line++;
    const s = this.text.slice(this.pos, end);
    this.pos = end;
    return s;
  }

  remaining(): number {
    return this.text.length - this.pos;
  }

  at(i: number): string {
    return this.text[this.pos + i] ?? "";
  }

  fail(msg: string): never {
    throw new TemplateParseError(`${msg} at ${this.name}:${this.line}`);
  }
}

export type Token =
  | { t: "name"; v: string; pos: number }
  | { t: "int"; v: bigint; pos: number }
  | { t: "float"; v: number; pos: number }
  | { t: "str"; v: string; f: boolean; bytes: boolean; pos: number }
  | { t: "op"; v: string; pos: number }
  | { t: "eof"; pos: number };

const OPS3 = ["**=", "//=", ">>=", "<<=", "..."];
const OPS2 = ["**", "//", "==", "!=", "<=", ">=", "<<", ">>", "->", ":=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@="];
const OPS1 = "+-*/%<>()[]{},:.=~|&^@;";

export function syntaxError(detail = "invalid syntax"): never {
  throw new TemplateParseError(detail);
}

function isIdentStart(c: string): boolean {
  return /[\p{L}\p{Nl}_]/u.test(c);
}
function isIdentPart(c: string): boolean {
  return /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u.test(c);
}

/** Tokenize a Python expression (the contents of `{{ }}` or a `{% %}` statement). */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v") {
      i++;
      continue;
    }
    if (c === "\\" && (src[i + 1] === "\n" || src[i + 1] === "\r")) {
      i += 2;
      continue;
    }
    if (c === "#") syntaxError(); // comments cannot appear in a single-line expression
    const start = i;
    // Strings (with optional prefix)
    const pm = /^([rRuUfFbB]{0,2})(['"])/.exec(src.slice(i, i + 4));
    if (pm && (pm[1] === "" || /^(r|u|f|b|rb|br|fr|rf)$/i.test(pm[1] ?? ""))) {
      const prefix = (pm[1] ?? "").toLowerCase();
      i += prefix.length;
      const q = src[i] as string;
      const triple = src.slice(i, i + 3) === q + q + q;
      const delim = triple ? q + q + q : q;
      i += delim.length;
      let raw = "";
      for (;;) {
        if (i >= n) syntaxError("unterminated string literal");
        if (src.startsWith(delim, i)) {
          i += delim.length;
          break;
        }
        const ch = src[i] as string;
        if (!triple && ch === "\n") syntaxError("unterminated string literal");
        if (ch === "\\" && i + 1 < n) {
          raw += ch + (src[i + 1] as string);
          i += 2;
          continue;
        }
        raw += ch;
        i++;
      }
      const isRaw = prefix.includes("r");
      const v = isRaw ? raw : decodeEscapes(raw);
      out.push({ t: "str", v, f: prefix.includes("f"), bytes: prefix.includes("b"), pos: start });
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src[j] as string)) j++;
      out.push({ t: "name", v: src.slice(i, j), pos: start });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      const rest = src.slice(i);
      let m = /^0[xX](?:_?[0-9a-fA-F])+|^0[oO](?:_?[0-7])+|^0[bB](?:_?[01])+/.exec(rest);
      if (m) {
        out.push({ t: "int", v: BigInt(m[0].replace(/_/g, "")), pos: start });
        i += m[0].length;
        continue;
      }
      m = /^(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?/.exec(rest);
      if (!m) syntaxError();
      const text = m[0];
      if (/[jJ]$/.test(text)) syntaxError("complex numbers are not supported");
      const clean = text.replace(/_/g, "");
      if (/[.eE]/.test(clean)) out.push({ t: "float", v: Number(clean), pos: start });
      else {
        if (clean.length > 1 && clean.startsWith("0") && /[1-9]/.test(clean))
          syntaxError("leading zeros in decimal integer literals are not permitted");
        out.push({ t: "int", v: BigInt(clean), pos: start });
      }
      i += text.length;
      continue;
    }
    const three = src.slice(i, i + 3);
    if (OPS3.includes(three)) {
      out.push({ t: "op", v: three, pos: start });
      i += 3;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (OPS2.includes(two)) {
      out.push({ t: "op", v: two, pos: start });
      i += 2;
      continue;
    }
    if (OPS1.includes(c) || c === "!") {
      out.push({ t: "op", v: c, pos: start });
      i++;
      continue;
    }
    syntaxError(`invalid character '${c}'`);
  }
  out.push({ t: "eof", pos: n });
  return out;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** Decode Python string-literal escapes (unknown escapes keep their backslash). */
export function decodeEscapes(raw: string): string {
  if (!raw.includes("\\")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== "\\" || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const e = raw[i + 1] as string;
    if (e === "\n") {
      i++;
      continue;
    }
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(raw.slice(i + 1)) as RegExpExecArray;
      out += String.fromCodePoint(parseInt(m[0], 8));
      i += m[0].length;
      continue;
    }
    const hexLen = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (hexLen) {
      const hex = raw.slice(i + 2, i + 2 + hexLen);
      if (hex.length !== hexLen || !/^[0-9a-fA-F]+$/.test(hex)) syntaxError("truncated escape sequence");
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) syntaxError("illegal Unicode character");
      out += String.fromCodePoint(cp);
      i += 1 + hexLen;
      continue;
    }
    if (e === "N") syntaxError("\\N{...} escapes are not supported");
    out += c;
  }
  return out;
}
