/**
 * @module
 * Cuts a streamed body into segments of whole lines, so it is validated and
 * written a segment at a time and memory is bounded by a segment, not by the
 * request. Text goes in as it is decoded, in chunks of any size; segments come
 * out. Where a segment ends depends only on the text, never on how it was
 * chunked on the way: a segment ends at the first line break at or after
 * `segmentChars` characters, so a retry of the same body yields the same
 * segments (deduplication tokens derive from them).
 *
 * A body that is not NDJSON — a JSON array (first character `[`) or a single
 * object spread over several lines (first line starts with `{` and does not
 * parse) — is one segment: the whole body (bounded by the request's size
 * limits), validated as before.
 *
 * @example
 * const seg = new NdjsonSegmenter(1 << 20);
 * for await (const text of decodedChunks) for (const s of seg.push(text)) await handle(s);
 * for (const s of seg.end()) await handle(s);
 */

export interface Segment {
  /** Whole lines, the last one with its line break (except at the end of the body). */
  text: string;
  /** 0 for the first segment. */
  index: number;
  /** Body line number of the segment's first line (1-based). */
  firstLine: number;
  /** True when this segment is the whole body read as one document (array, multi-line object, or a body smaller than a segment). */
  whole: boolean;
}

function countLineBreaks(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

export class NdjsonSegmenter {
  readonly #segmentChars: number;
  #pending = "";
  /** undefined until the body's shape is known (its first non-blank line is complete). */
  #whole: boolean | undefined;
  #index = 0;
  #nextLine = 1;
  #started = false;

  constructor(segmentChars: number) {
    if (!(segmentChars >= 1)) throw new RangeError("segmentChars must be at least 1");
    this.#segmentChars = segmentChars;
  }

  /** Adds decoded text; returns the segments it completed. */
  push(text: string): Segment[] {
    if (!this.#started) {
      if (text === "") return [];
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.#pending += text;
    if (this.#whole === undefined) this.#whole = this.#shape();
    if (this.#whole !== false) return [];
    const out: Segment[] = [];
    while (this.#pending.length >= this.#segmentChars) {
      const at = this.#pending.indexOf("\n", this.#segmentChars - 1);
      if (at < 0) break;
      out.push(this.#emit(this.#pending.slice(0, at + 1)));
      this.#pending = this.#pending.slice(at + 1);
    }
    return out;
  }

  /** The body ended: the last segment (none when nothing is left). */
  end(): Segment[] {
    const rest = this.#pending;
    this.#pending = "";
    if (rest === "" && this.#index > 0) return [];
    return [this.#emit(rest, this.#index === 0)];
  }

  #emit(text: string, whole = this.#whole === true): Segment {
    const s: Segment = { text, index: this.#index, firstLine: this.#nextLine, whole: whole || this.#whole === true };
    this.#index++;
    this.#nextLine += countLineBreaks(text);
    return s;
  }

  /** true: one document; false: NDJSON; undefined: not known yet (the first non-blank line is incomplete). */
  #shape(): boolean | undefined {
    const text = this.#pending;
    let i = 0;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    }
    if (i === text.length) return undefined;
    const c = text.charCodeAt(i);
    if (c === 91) return true; // [
    if (c !== 123) return false; // not {: NDJSON (the line is malformed, or not an object)
    const eol = text.indexOf("\n", i);
    if (eol < 0) return undefined;
    try {
      JSON.parse(text.slice(i, eol));
      return false;
    } catch {
      return true;
    }
  }
}
