/**
 * @module
 * Splitting an Events API body into rows. Accepted shapes: NDJSON (one JSON
 * value per line, `\n` or `\r\n`, blank lines skipped), a single JSON object
 * (also pretty-printed over several lines) and a JSON array of objects.
 * A line that does not parse is reported to `onMalformed`, never thrown.
 *
 * Bytes are decoded once (`TextDecoder`, streaming across chunks); lines are
 * substrings of that one string, so a 10 MB body is not copied again.
 *
 * @example
 * forEachNdjsonRow(decodeBody(bytes), {
 *   row: (value, raw, line) => …,
 *   malformed: (raw, line, message) => …,
 * });
 */

export type IngestBody = string | Uint8Array | ArrayBuffer | readonly Uint8Array[];

/** UTF-8 text of a body; invalid sequences become U+FFFD, a leading BOM is dropped. */
export function decodeBody(body: IngestBody): string {
  let text: string;
  if (typeof body === "string") text = body;
  else if (body instanceof Uint8Array || body instanceof ArrayBuffer) text = new TextDecoder().decode(body);
  else {
    const decoder = new TextDecoder();
    const parts: string[] = [];
    for (const chunk of body) parts.push(decoder.decode(chunk, { stream: true }));
    parts.push(decoder.decode());
    text = parts.join("");
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export interface NdjsonHandlers {
  /** A parsed row (any JSON value; the validator rejects non-objects). `raw` is the row's JSON text. */
  row(value: unknown, raw: string, lineNumber: number): void;
  /** A line that is not valid JSON. */
  malformed(raw: string, lineNumber: number, message: string): void;
}

function firstNonSpace(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return text[i]!;
  }
  return "";
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/** Parses a whole body as one JSON document when it is an array or a multi-line object. */
function tryWholeBody(text: string, handlers: NdjsonHandlers): boolean {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch { return false; }
  if (Array.isArray(doc)) {
    for (let i = 0; i < doc.length; i++) handlers.row(doc[i], JSON.stringify(doc[i]) ?? "null", i + 1);
    return true;
  }
  if (doc !== null && typeof doc === "object") {
    // One line, like every other row: line breaks between JSON tokens are spaces
    // (inside strings they are escaped, so none is touched there).
    handlers.row(doc, text.trim().replace(/[\r\n]+/g, " "), 1);
    return true;
  }
  return false;
}

/**
 * Calls `handlers` for every row of the body, in order. Returns the number of non-blank rows seen.
 * With `continuation` (a later segment of a streamed body, see segment.ts) the text is NDJSON
 * only and its first line is line `continuation.firstLine` of the body.
 */
export function forEachNdjsonRow(text: string, handlers: NdjsonHandlers, continuation?: { firstLine: number }): number {
  const first = continuation === undefined ? firstNonSpace(text) : "";
  if (continuation === undefined && first === "") return 0;
  if (first === "[" && tryWholeBody(text, countingRows(handlers))) return lastCount;

  let count = 0;
  let lineNumber = continuation === undefined ? 0 : continuation.firstLine - 1;
  let start = 0;
  const n = text.length;
  while (start <= n) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = n;
    lineNumber++;
    let stop = end;
    if (stop > start && text.charCodeAt(stop - 1) === 13) stop--;
    if (stop > start) {
      const line = text.slice(start, stop);
      if (!isBlank(line)) {
        let value: unknown;
        let ok = true;
        try { value = JSON.parse(line); } catch (error) {
          ok = false;
          // A pretty-printed single object: its first line alone is not JSON.
          if (count === 0 && first === "{" && tryWholeBody(text, countingRows(handlers))) return lastCount;
          count++;
          handlers.malformed(line, lineNumber, error instanceof Error ? error.message : String(error));
        }
        if (ok) {
          count++;
          handlers.row(value, line, lineNumber);
        }
      }
    }
    start = end + 1;
  }
  return count;
}

let lastCount = 0;
function countingRows(handlers: NdjsonHandlers): NdjsonHandlers {
  lastCount = 0;
  return {
    row(value, raw, line) { lastCount++; handlers.row(value, raw, line); },
    malformed(raw, line, message) { lastCount++; handlers.malformed(raw, line, message); },
  };
}
