/**
 * @module yaml/parse
 * The YAML subset Tinybird test files use (`tests/<pipe>.yaml`): a top-level
 * list of mappings whose values are scalars. Supported: plain scalars, single-
 * and double-quoted strings, block scalars (`|`, `|-`, `|+`, `>`, `>-`, with an
 * optional indentation digit), `#` comments, `null`/`~`, an empty document or
 * `[]`. Anything else (nested lists or mappings, flow collections, anchors,
 * multi-line plain scalars) is a `YamlError` with its line number.
 *
 * Every entry keeps the lines it spans, so `tern test --update` can rewrite one
 * value and leave the rest of the file byte for byte.
 *
 * @example
 * parseYamlList("- name: a\n  parameters: x=1\n  expected_result: |\n    {\"n\":1}\n");
 * // [{ startLine: 0, endLine: 4, entries: [{ key: "name", value: "a", … }, …] }]
 */

export class YamlError extends Error {
  override readonly name = "YamlError";
  constructor(
    /** 1-based line number. */
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

export type YamlScalar = string | null;

export interface YamlEntry {
  key: string;
  /** The scalar's value: strings stay strings (`400` is "400"), `null`/`~`/nothing is null. */
  value: YamlScalar;
  /** 0-based line of the key. */
  startLine: number;
  /** 0-based line after the value's last line (trailing blank lines and comments excluded). */
  endLine: number;
  /** Columns before the key. */
  indent: number;
}

export interface YamlItem {
  /** 0-based line of the `-`. */
  startLine: number;
  /** 0-based line after the item's last entry. */
  endLine: number;
  entries: YamlEntry[];
}

/** The value of `key` in an item, undefined when absent. */
export function itemValue(item: YamlItem, key: string): YamlScalar | undefined {
  return item.entries.find((e) => e.key === key)?.value;
}

const KEY_RE = /^([A-Za-z_][A-Za-z0-9_\-. ]*?)\s*:(?:\s+(.*))?$/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** Blank, or only a comment. */
function isSkippable(line: string): boolean {
  const t = line.trim();
  return t === "" || t.startsWith("#");
}

/** Removes a trailing ` # comment` from a plain scalar's text. */
function stripComment(text: string): string {
  const m = /(^|\s)#/.exec(text);
  return (m ? text.slice(0, m.index) : text).trim();
}

function plainScalar(text: string, line: number): YamlScalar {
  const value = stripComment(text);
  if (value === "" || value === "~" || value === "null" || value === "Null" || value === "NULL") return null;
  if (/^[[{]/.test(value)) {
    if (value === "[]" || value === "{}") throw new YamlError(line, `flow collections are not supported here ('${value}')`);
    throw new YamlError(line, "flow collections ([...] and {...}) are not supported; use a quoted string");
  }
  if (/^[&*!]/.test(value)) throw new YamlError(line, "anchors, aliases and tags are not supported");
  if (/^[|>]/.test(value)) throw new YamlError(line, `bad block scalar header '${value}'`);
  if (/^[@`]/.test(value)) throw new YamlError(line, `a plain scalar cannot start with '${value[0]}'; quote it`);
  if (/:\s/.test(value) || value.endsWith(":")) throw new YamlError(line, "a plain value cannot contain ': '; quote it");
  return value;
}

/** A quoted scalar starting at `text[0]`; returns the value and what follows the closing quote. */
function quotedScalar(text: string, line: number): { value: string; rest: string } {
  const quote = text[0]!;
  let out = "";
  let i = 1;
  for (;;) {
    if (i >= text.length) throw new YamlError(line, "unterminated quoted string (multi-line quoted strings are not supported)");
    const ch = text[i]!;
    if (quote === "'") {
      if (ch === "'") {
        if (text[i + 1] === "'") {
          out += "'";
          i += 2;
          continue;
        }
        return { value: out, rest: text.slice(i + 1) };
      }
      out += ch;
      i++;
      continue;
    }
    if (ch === '"') return { value: out, rest: text.slice(i + 1) };
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const esc = text[i + 1];
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", '"': '"', "\\": "\\", "/": "/", " ": " ", b: "\b", f: "\f", e: "\x1b", a: "\x07", v: "\v" };
    if (esc !== undefined && esc in simple) {
      out += simple[esc];
      i += 2;
    } else if (esc === "x" || esc === "u" || esc === "U") {
      const len = esc === "x" ? 2 : esc === "u" ? 4 : 8;
      const hex = text.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) throw new YamlError(line, `bad escape \\${esc}${hex}`);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 2 + len;
    } else {
      throw new YamlError(line, `unknown escape \\${esc ?? ""}`);
    }
  }
}

interface BlockHeader {
  style: "|" | ">";
  chomp: "clip" | "strip" | "keep";
  indent?: number;
}

function blockHeader(text: string): BlockHeader | undefined {
  const m = /^([|>])([+-]?)([1-9]?)([+-]?)\s*(?:#.*)?$/.exec(text);
  if (!m || (m[2] && m[4])) return undefined;
  const chompChar = m[2] || m[4];
  return {
    style: m[1] as "|" | ">",
    chomp: chompChar === "-" ? "strip" : chompChar === "+" ? "keep" : "clip",
    ...(m[3] ? { indent: Number(m[3]) } : {}),
  };
}

/**
 * Reads a block scalar whose header is on line `at`; its content lines are
 * those more indented than `parentIndent`. Returns the value and the line after
 * its last content line.
 */
function blockScalar(lines: string[], at: number, parentIndent: number, header: BlockHeader): { value: string; end: number } {
  let i = at + 1;
  let indent = header.indent !== undefined ? parentIndent + header.indent : undefined;
  const content: string[] = [];
  let lastContent = at;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "") {
      content.push("");
      i++;
      continue;
    }
    const ind = indentOf(line);
    if (indent === undefined) {
      if (ind <= parentIndent) break;
      indent = ind;
    }
    if (ind < indent) {
      if (ind > parentIndent && line.trim() !== "") throw new YamlError(i + 1, "this line is less indented than the block scalar above it");
      break;
    }
    content.push(line.slice(indent));
    lastContent = i;
    i++;
  }
  // Blank lines after the last content line belong to the chomping, not the value's lines.
  const body = content.slice(0, lastContent - at);
  const trailingBlank = content.length - body.length;
  let value: string;
  if (header.style === "|") {
    value = body.join("\n");
  } else {
    // Folding: single newlines between non-indented lines become spaces.
    value = "";
    for (let k = 0; k < body.length; k++) {
      const cur = body[k]!;
      if (k === 0) {
        value = cur;
        continue;
      }
      const prev = body[k - 1]!;
      const moreIndented = /^\s/.test(cur) || /^\s/.test(prev);
      if (cur === "") value += "\n";
      else if (prev === "" || moreIndented) value += (prev === "" ? "" : "\n") + cur;
      else value += ` ${cur}`;
    }
  }
  if (body.length === 0) value = "";
  if (header.chomp === "clip") value = body.length > 0 ? `${value}\n` : "";
  else if (header.chomp === "keep") value = `${value}${body.length > 0 ? "\n" : ""}${"\n".repeat(trailingBlank)}`;
  return { value, end: lastContent + 1 };
}

/** Parses a value that starts after `key:` on line `at`. */
function readValue(lines: string[], at: number, rest: string | undefined, keyIndent: number): { value: YamlScalar; end: number } {
  const text = (rest ?? "").trim();
  if (text === "" || text.startsWith("#")) {
    // Nothing on the line: null, unless a nested structure follows.
    let j = at + 1;
    while (j < lines.length && isSkippable(lines[j]!)) j++;
    if (j < lines.length && indentOf(lines[j]!) > keyIndent) throw new YamlError(j + 1, "nested lists and mappings are not supported; values must be scalars");
    return { value: null, end: at + 1 };
  }
  if (text[0] === "'" || text[0] === '"') {
    const { value, rest: after } = quotedScalar(text, at + 1);
    if (after.trim() !== "" && !after.trim().startsWith("#")) throw new YamlError(at + 1, "unexpected text after the closing quote");
    return { value, end: at + 1 };
  }
  if (text[0] === "|" || text[0] === ">") {
    const header = blockHeader(text);
    if (!header) throw new YamlError(at + 1, `bad block scalar header '${text}'`);
    return blockScalar(lines, at, keyIndent, header);
  }
  const value = plainScalar(text, at + 1);
  const next = lines[at + 1];
  if (next !== undefined && !isSkippable(next) && indentOf(next) > keyIndent && !/^\s*-\s/.test(next) && !KEY_RE.test(next.trim())) {
    throw new YamlError(at + 2, "multi-line plain scalars are not supported; use a | block or quotes");
  }
  return { value, end: at + 1 };
}

/** Parses a document that is a list of flat mappings. */
export function parseYamlList(text: string): YamlItem[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (lines.at(-1) === "") lines.pop();
  const items: YamlItem[] = [];
  let i = 0;
  let itemIndent: number | undefined;
  let current: YamlItem | undefined;
  let keyIndent = -1;

  while (i < lines.length) {
    const raw = lines[i]!;
    if (isSkippable(raw) || raw.trim() === "---") {
      i++;
      continue;
    }
    if (raw.trim() === "...") break;
    if (raw.includes("\t") && /^\s*\t/.test(raw)) throw new YamlError(i + 1, "tabs cannot indent YAML");
    const ind = indentOf(raw);
    const body = raw.trim();

    if (items.length === 0 && current === undefined && body === "[]") {
      i++;
      continue;
    }

    const dash = /^-(?:\s+(.*)|$)/.exec(body);
    if (dash && (itemIndent === undefined || ind === itemIndent)) {
      if (itemIndent === undefined) itemIndent = ind;
      if (current) items.push(current);
      current = { startLine: i, endLine: i + 1, entries: [] };
      const after = dash[1];
      if (after === undefined || after.trim() === "" || after.trim().startsWith("#")) {
        keyIndent = -1; // set by the first key line
        i++;
        continue;
      }
      keyIndent = ind + (body.length - body.slice(1).trimStart().length);
      const m = KEY_RE.exec(after.trim());
      if (!m) throw new YamlError(i + 1, "each list item must be a mapping (`- key: value`)");
      const { value, end } = readValue(lines, i, m[2], keyIndent);
      current.entries.push({ key: m[1]!, value, startLine: i, endLine: end, indent: keyIndent });
      current.endLine = end;
      i = end;
      continue;
    }

    if (itemIndent === undefined) throw new YamlError(i + 1, "the document must be a list of test cases (`- name: …`)");
    if (!current) throw new YamlError(i + 1, "expected a list item");
    if (keyIndent === -1) {
      if (ind <= itemIndent) throw new YamlError(i + 1, "expected the item's keys to be indented under `-`");
      keyIndent = ind;
    }
    if (ind !== keyIndent) throw new YamlError(i + 1, ind < keyIndent ? "unexpected indentation (less than the item's keys)" : "nested values are not supported; values must be scalars");
    const m = KEY_RE.exec(body);
    if (!m) throw new YamlError(i + 1, body.startsWith("- ") ? "nested lists are not supported" : "expected `key: value`");
    if (current.entries.some((e) => e.key === m[1])) throw new YamlError(i + 1, `duplicate key '${m[1]}'`);
    const { value, end } = readValue(lines, i, m[2], keyIndent);
    current.entries.push({ key: m[1]!, value, startLine: i, endLine: end, indent: keyIndent });
    current.endLine = end;
    i = end;
  }
  if (current) items.push(current);
  return items;
}
