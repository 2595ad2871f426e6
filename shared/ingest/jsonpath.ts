/**
 * @module
 * The JSONPath subset Tinybird datasources use to map NDJSON fields to
 * columns: `$` (the whole object), `$.a.b`, `$['key with space']`,
 * `$["k"]`, `$.a[0]` (array index), `$.arr[:]` / `$.arr[*]` (projection: the
 * rest of the path is applied to every element, giving an array).
 * Paths are compiled once per datasource; evaluation allocates nothing on the
 * common path.
 *
 * @example
 * const p = compileJsonPath("$.user['first name']");
 * if (p.ok) evaluateJsonPath(p.path, { user: { "first name": "Ada" } }); // "Ada"
 */

export type JsonPathSegment =
  | { kind: "key"; key: string }
  | { kind: "index"; index: number }
  | { kind: "all" };

export interface JsonPath {
  /** The path as written. */
  text: string;
  segments: JsonPathSegment[];
}

export type CompileJsonPathResult = { ok: true; path: JsonPath } | { ok: false; message: string };

/** Returned by `evaluateJsonPath` when the path does not reach a value. */
export const MISSING: unique symbol = Symbol("missing");
export type Missing = typeof MISSING;

const IDENT = /^[A-Za-z0-9_$@\-\u0080-\uffff]+/;

export function compileJsonPath(text: string): CompileJsonPathResult {
  const t = text.trim();
  if (!t.startsWith("$")) return { ok: false, message: `JSONPath '${text}' must start with '$'` };
  const segments: JsonPathSegment[] = [];
  let i = 1;
  while (i < t.length) {
    const c = t[i];
    if (c === ".") {
      const m = IDENT.exec(t.slice(i + 1));
      if (!m) return { ok: false, message: `JSONPath '${text}': expected a key after '.' at offset ${i}` };
      segments.push({ kind: "key", key: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    if (c === "[") {
      const close = findClose(t, i + 1);
      if (close < 0) return { ok: false, message: `JSONPath '${text}': missing ']'` };
      const inner = t.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === ":" || inner === "*") { segments.push({ kind: "all" }); continue; }
      if (/^\d+$/.test(inner)) { segments.push({ kind: "index", index: Number(inner) }); continue; }
      const q = inner[0];
      if ((q === "'" || q === '"') && inner.length >= 2 && inner[inner.length - 1] === q) {
        segments.push({ kind: "key", key: unquote(inner.slice(1, -1)) });
        continue;
      }
      return { ok: false, message: `JSONPath '${text}': unsupported selector [${inner}]` };
    }
    return { ok: false, message: `JSONPath '${text}': unexpected '${c}' at offset ${i}` };
  }
  return { ok: true, path: { text, segments } };
}

function findClose(t: string, from: number): number {
  let quote = "";
  for (let j = from; j < t.length; j++) {
    const c = t[j];
    if (quote) {
      if (c === "\\") { j++; continue; }
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "]") return j;
  }
  return -1;
}

function unquote(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

/** True when the path is `$.<name>` / `$['<name>']`: the column reads its own key. */
export function isOwnKeyPath(path: JsonPath, name: string): boolean {
  return path.segments.length === 1 && path.segments[0]!.kind === "key" && (path.segments[0] as { key: string }).key === name;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Own-property read: `constructor`, `__proto__` and friends are not inherited values. */
export function getKey(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return MISSING;
  const v = (obj as Record<string, unknown>)[key];
  if (v === undefined) return MISSING;
  if (key in Object.prototype && !hasOwn(obj, key)) return MISSING;
  return v;
}

export function evaluateJsonPath(path: JsonPath, root: unknown): unknown {
  return evalFrom(path.segments, 0, root);
}

function evalFrom(segments: JsonPathSegment[], start: number, root: unknown): unknown {
  let cur: unknown = root;
  for (let i = start; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.kind === "key") {
      cur = getKey(cur, seg.key);
      if (cur === MISSING) return MISSING;
    } else if (seg.kind === "index") {
      if (!Array.isArray(cur) || seg.index >= cur.length) return MISSING;
      cur = cur[seg.index];
    } else {
      if (!Array.isArray(cur)) return MISSING;
      // Projection: elements where the rest of the path is missing are left out.
      const out: unknown[] = [];
      for (const el of cur) {
        const v = evalFrom(segments, i + 1, el);
        if (v !== MISSING) out.push(v);
      }
      return out;
    }
  }
  return cur;
}
