/**
 * NdjsonSegmenter: a streamed body cut into segments of whole lines, the same
 * segments however the text was chunked, and whole-document bodies (arrays,
 * pretty-printed objects) kept as one segment; validated segment by segment,
 * the rows, quarantine and line numbers equal those of the whole body.
 */
import { describe, expect, it } from "vitest";
import { compileRowValidator, NdjsonSegmenter, validateNdjson, type Segment } from "../../../shared/ingest/index.js";

function segments(chunks: readonly string[], size: number): Segment[] {
  const s = new NdjsonSegmenter(size);
  const out: Segment[] = [];
  for (const c of chunks) out.push(...s.push(c));
  out.push(...s.end());
  return out;
}

/** `text` cut into chunks at pseudo-random places (seeded). */
function chop(text: string, seed: number): string[] {
  const out: string[] = [];
  let x = seed;
  for (let i = 0; i < text.length;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % 37);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

const validator = compileRowValidator([{ name: "n", type: "UInt8" }, { name: "s", type: "String" }]);
const NOW = { importId: "i", now: 0 };

describe("NdjsonSegmenter", () => {
  const body = Array.from({ length: 200 }, (_, i) => (i % 17 === 5 ? `{"n":${i},` : i % 13 === 0 ? "" : JSON.stringify({ n: i, s: "x".repeat(i % 7) }))).join("\r\n");

  it("cuts at the first line break at or after the segment size, whatever the chunking", () => {
    const one = segments([body], 100);
    expect(one.length).toBeGreaterThan(10);
    expect(one.map((s) => s.text).join("")).toBe(body);
    for (const s of one.slice(0, -1)) {
      expect(s.text.endsWith("\n")).toBe(true);
      expect(s.text.length).toBeGreaterThanOrEqual(100);
      expect(s.text.slice(0, 99).slice(0, -1).includes("\n") && s.text.indexOf("\n", 99) !== s.text.length - 1).toBe(false);
    }
    for (const seed of [1, 2, 3]) expect(segments(chop(body, seed), 100)).toEqual(one);
  });

  it("numbers lines across segments: validated segment by segment, the result is the whole body's", () => {
    const whole = validateNdjson(body, validator, NOW);
    const parts = segments(chop(body, 7), 64).map((s) => validateNdjson(s.text, validator, { ...NOW, ...(s.index === 0 ? {} : { continuation: { firstLine: s.firstLine } }) }));
    expect(parts.flatMap((p) => p.validLines)).toEqual(whole.validLines);
    expect(parts.flatMap((p) => p.quarantineLines)).toEqual(whole.quarantineLines);
    expect(parts.flatMap((p) => p.quarantineLineNumbers)).toEqual(whole.quarantineLineNumbers);
    expect(whole.quarantine.length).toBeGreaterThan(5);
  });

  it("keeps a JSON array, and an object over several lines, as one segment; drops a leading BOM", () => {
    const array = `[${Array.from({ length: 50 }, (_, i) => JSON.stringify({ n: i })).join(",\n")}]`;
    expect(segments(chop(array, 3), 10)).toEqual([{ text: array, index: 0, firstLine: 1, whole: true }]);
    const pretty = '{\n  "n": 1,\n  "s": "a"\n}\n';
    expect(segments(chop(pretty, 5), 2).map((s) => s.text)).toEqual([pretty]);
    expect(validateNdjson(segments([pretty], 2)[0]!.text, validator, NOW).validLines).toEqual(['{   "n": 1,   "s": "a" }']);
    expect(segments(["\ufeff", '{"n":1}\n{"n":2}\n'], 4).map((s) => s.text)).toEqual(['{"n":1}\n', '{"n":2}\n']);
    expect(segments([], 4)).toEqual([{ text: "", index: 0, firstLine: 1, whole: true }]);
  });

  it("a later segment that starts with '[' is NDJSON: the line is a row, not an array of rows", () => {
    const s = segments(['{"n":1}\n', '[{"n":2}]\n'], 4);
    expect(s.map((x) => x.text)).toEqual(['{"n":1}\n', '[{"n":2}]\n']);
    const r = validateNdjson(s[1]!.text, validator, { ...NOW, continuation: { firstLine: s[1]!.firstLine } });
    expect([r.validLines, r.quarantineLineNumbers]).toEqual([[], [2]]);
  });
});
