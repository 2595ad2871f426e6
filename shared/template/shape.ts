/**
 * @module
 * A render's *shape*: its SQL with every value the engine inserted as one
 * escaped literal replaced by a marker naming the literal's type. Two renders
 * with the same shape differ only in those literals, so whatever was decided
 * from ClickHouse's parse of one (the read guard's verdict) holds for the
 * other; the guard still proves it per shape with ClickHouse's parse of a
 * hostile probe (`workers/clickhouse/read-guard.ts`).
 *
 * A marker is a SQL string literal `'<nonce>_<i>_<Type>'`: the caller picks a
 * nonce nobody else knows (per isolate, random), so no value, name or template
 * text can forge one, and the rewriter that compiles a pipe carries it
 * through like any string. Only values that are provably one literal token
 * become markers: strings (always quoted and escaped), ints and finite floats
 * (sign kept in the type: `-{{x}}` with a negative value starts a comment),
 * `toInt32('…')`-style typed values (the type in the marker), and `Array()`
 * of such values. Everything that can change the statement's structure stays
 * verbatim: `column()`, `columns()`, `symbol()`, `table()`, `sql_and()`,
 * `sql_unescape()`, booleans, lists, comments of `max_threads()`… And a
 * marker glued to a neighbour that could merge with it (`t{{Int(x)}}`,
 * `'{{x}}'`, `x{{s}}` as a hex string, `1.{{x}}`) is put back as its literal.
 */
import { quoteString } from "./escape.js";
import { SqlText, TypedFloat, TypedInt, type PyValue } from "./values.js";

/** What a render says about its shape (`RenderOptions.shapeNonce`). */
export interface RenderShape {
  /** The SQL with each literal replaced by `'<nonce>_<i>_<Type>'`. */
  text: string;
  /** The literal texts, by marker index `i`. */
  literals: string[];
}

const NONCE = /^[A-Za-z0-9]+$/;
const TYPE = /^[A-Za-z0-9]+$/;

export function isShapeNonce(nonce: string): boolean {
  return NONCE.test(nonce) && nonce.length >= 8;
}

/** The marker of literal `i` of type `type`. */
export function shapeMarker(nonce: string, i: number, type: string): string {
  return `'${nonce}_${i}_${type}'`;
}

/**
 * The marker type of a rendered value, when its text (`wrapValue`'s) is one
 * literal token; undefined when it must stay verbatim.
 */
export function literalType(v: PyValue, text: string): string | undefined {
  if (typeof v === "string") return "String";
  if (typeof v === "bigint") return text.startsWith("-") ? "NegInt" : "Int";
  if (typeof v === "number") return Number.isFinite(v) ? (text.startsWith("-") ? "NegFloat" : "Float") : undefined;
  if (v instanceof TypedInt || v instanceof TypedFloat) return TYPE.test(v.type) ? v.type : undefined;
  if (v instanceof SqlText && v.literal) return "Array";
  return undefined;
}

/** True for the values an `Array()` may hold and still render as one array literal. */
export function isArrayLiteralElement(v: PyValue): boolean {
  return typeof v === "string" || typeof v === "bigint" || (typeof v === "number" && Number.isFinite(v));
}

const STRING = String.raw`'(?:[^'\\\n\r]|\\[^\n\r])*'`;
const INT = String.raw`\d+`;
const FLOAT = String.raw`\d+(?:\.\d+)?(?:e[+-]\d+)?`;
const ELEMENT = `(?:${STRING}|-?${FLOAT})`;
const FORMS: Record<string, RegExp> = {
  String: new RegExp(`^${STRING}$`),
  Int: new RegExp(`^${INT}$`),
  NegInt: new RegExp(`^-${INT}$`),
  Float: new RegExp(`^${FLOAT}$`),
  NegFloat: new RegExp(`^-${FLOAT}$`),
  Array: new RegExp(`^\\[(?:${ELEMENT}(?:,${ELEMENT})*)?\\]$`),
};
const TYPED_INT = /^to(U?Int\d+)\('-?\d+'\)$/;
const TYPED_FLOAT = /^to(Float\d+)\('-?(?:\d+(?:\.\d+)?(?:e[+-]\d+)?|inf|nan)'\)$/;

/** Whether `text` is one literal of marker type `type`, in the form the engine renders it. */
export function isLiteralOf(type: string, text: string): boolean {
  const form = FORMS[type];
  if (form) return form.test(text);
  const typed = TYPED_INT.exec(text) ?? TYPED_FLOAT.exec(text);
  return typed !== null && typed[1] === type;
}

/** A value of marker type `type` unlike `actual` in every way a context could care about (quotes, comment and heredoc openers, sign, length). */
export function probeLiteral(type: string, actual: string): string {
  const pick = (a: string, b: string) => (a === actual ? b : a);
  switch (type) {
    case "String":
      return pick(quoteString("'\\*/--\n$$\"`}{ \u2028é😀 x'"), quoteString(""));
    case "Int":
      return pick("0", "12");
    case "NegInt":
      return pick("-1", "-12");
    case "Float":
      return pick("1e-05", "0.5");
    case "NegFloat":
      return pick("-1e-05", "-0.5");
    case "Array":
      return pick(`[${quoteString("'*/--\n$$")},-1,1e-05,'x']`, "[]");
    default: {
      const name = type.startsWith("Float") ? `to${type}('-1e-05')` : `to${type}('-1')`;
      return pick(name, `to${type}('0')`);
    }
  }
}

/**
 * Characters that could merge with a literal glued to them, or make it part of
 * something else (`a[…]`, `f(…)(…)`); a `-` before a negative number is a comment.
 */
const GLUE_BEFORE = /[\w$'"`.\\)\]]/;
const GLUE_AFTER = /[\w$'"`.([]/;

/**
 * The shape of one render: markers whose neighbours could merge with the
 * literal are put back as the literal itself (so they stay verbatim).
 */
export function finishShape(text: string, literals: string[], nonce: string): RenderShape {
  const markers = new RegExp(`'${nonce}_(\\d+)_([A-Za-z0-9]+)'`, "g");
  const finished = text.replace(markers, (m: string, i: string, type: string, at: number) => {
    const before = at > 0 ? text[at - 1]! : " ";
    const after = at + m.length < text.length ? text[at + m.length]! : " ";
    const glued = GLUE_BEFORE.test(before) || GLUE_AFTER.test(after) || (before === "-" && type.startsWith("Neg"));
    return glued ? literals[Number(i)]! : m;
  });
  return { text: finished, literals };
}

/**
 * The markers of a shape built from renders with nonces `<base><anything>`
 * (one per node): `id` is `<anything>_<i>`.
 */
export function shapeMarkers(base: string): RegExp {
  return new RegExp(`'${base}([A-Za-z0-9]*)_(\\d+)_([A-Za-z0-9]+)'`, "g");
}

/**
 * `shape` with each marker replaced by `fill(id, type)`; undefined when `fill`
 * has nothing for one of them.
 */
export function fillShape(shape: string, base: string, fill: (id: string, type: string) => string | undefined): string | undefined {
  let missing = false;
  const out = shape.replace(shapeMarkers(base), (_m: string, node: string, i: string, type: string) => {
    const v = fill(`${node}_${i}`, type);
    if (v === undefined) {
      missing = true;
      return "";
    }
    return v;
  });
  return missing ? undefined : out;
}
