/**
 * Body splitting, JSONPaths, defaults, passthrough and quarantine rows of
 * `validateNdjson` (the Events API batch path).
 */
import { describe, expect, it } from "vitest";
import {
  compileJsonPath, compileRowValidator, evaluateJsonPath, MISSING, SchemaError, validateNdjson, validText,
} from "../../../shared/ingest/index.js";

const NOW = { importId: "imp-1", now: new Date("2025-02-10T10:36:20Z") };
const EPOCH_NOW = 1739183780;

const events = compileRowValidator([
  { name: "timestamp", type: "DateTime" },
  { name: "user_id", type: "UInt64" },
  { name: "event", type: "LowCardinality(String)" },
  { name: "value", type: "Nullable(Float64)" },
]);

describe("body shapes", () => {
  it("NDJSON with CRLF, blank lines and a trailing newline; line numbers are body lines", () => {
    const body = '\r\n{"timestamp":"2024-01-02 03:04:05","user_id":1,"event":"a","value":1.5}\r\n\r\n   \n{"timestamp":"2024-01-02 03:04:06","user_id":"2","event":"b"}\r\n';
    const r = validateNdjson(body, events, NOW);
    expect(r.validLines).toEqual([
      '{"timestamp":"2024-01-02 03:04:05","user_id":1,"event":"a","value":1.5}',
      '{"timestamp":"2024-01-02 03:04:06","user_id":"2","event":"b"}',
    ]);
    expect(r.stats).toMatchObject({ rows: 2, validRows: 2, quarantinedRows: 0, passthroughRows: 2 });
  });

  it("a malformed line in the middle is quarantined with its line number and raw text; the rest goes through", () => {
    const body = [
      '{"timestamp":"2024-01-02 03:04:05","user_id":1,"event":"a"}',
      '{"timestamp":"2024-01-02 03:04:05","user_id":2,"event":',
      '{"timestamp":"2024-01-02 03:04:05","user_id":3,"event":"c"}',
    ].join("\n");
    const r = validateNdjson(body, events, NOW);
    expect(r.validCount).toBe(2);
    expect(r.quarantineLineNumbers).toEqual([2]);
    const q = r.quarantine[0]!;
    expect(q.c__error_column).toEqual([]);
    expect(q.c__error).toHaveLength(1);
    expect(q.c__error[0]).toMatch(/^Malformed JSON at line 2: .+\. Line: \{"timestamp":"2024-01-02 03:04:05","user_id":2,"event":$/);
    expect(q).toMatchObject({ c__import_id: "imp-1", insertion_date: EPOCH_NOW, timestamp: null, user_id: null, event: null, value: null });
    expect(r.stats.malformedRows).toBe(1);
    expect(JSON.parse(r.quarantineLines[0]!)).toEqual(q);
  });

  it("a single JSON object, also pretty-printed", () => {
    const r = validateNdjson('{\n  "timestamp": "2024-01-02 03:04:05",\n  "user_id": 7,\n  "event": "x"\n}\n', events, NOW);
    expect(r.validCount).toBe(1);
    expect(JSON.parse(r.validLines[0]!)).toEqual({ timestamp: "2024-01-02 03:04:05", user_id: 7, event: "x" });
  });

  it("a JSON array of objects; positions are 1-based", () => {
    const r = validateNdjson('[{"timestamp":"2024-01-02 03:04:05","user_id":1,"event":"a"}, {"user_id":-1}]', events, NOW);
    expect(r.validCount).toBe(1);
    expect(r.quarantineLineNumbers).toEqual([2]);
    expect(r.quarantine[0]!.c__error).toEqual(["value '-1' on column 'user_id' is not UInt64"]);
  });

  it("bytes, chunked bytes (split inside a UTF-8 sequence) and a BOM decode the same", () => {
    const text = '\uFEFF{"timestamp":"2024-01-02 03:04:05","user_id":1,"event":"héllo 🌍"}\n';
    const bytes = new TextEncoder().encode(text);
    const at = bytes.indexOf(0xf0) + 2;
    for (const body of [bytes, [bytes.subarray(0, at), bytes.subarray(at)]]) {
      const r = validateNdjson(body, events, NOW);
      expect(r.validCount).toBe(1);
      expect(JSON.parse(r.validLines[0]!).event).toBe("héllo 🌍");
    }
  });

  it("an empty body has no rows; a line that is not an object is quarantined", () => {
    expect(validateNdjson("  \n\n", events, NOW).stats.rows).toBe(0);
    const r = validateNdjson('42\n"x"\nnull', events, NOW);
    expect(r.quarantine.map((q) => q.c__error)).toEqual([["row is not a JSON object"], ["row is not a JSON object"], ["row is not a JSON object"]]);
  });
});

describe("rows", () => {
  it("wrong types list every failing column with Tinybird's message, raw values kept as text", () => {
    const r = validateNdjson('{"timestamp":"2026-13-45","user_id":"abc","event":{"k":1},"value":"x"}', events, NOW);
    const q = r.quarantine[0]!;
    expect(q.c__error_column).toEqual(["timestamp", "user_id", "value"]);
    expect(q.c__error).toEqual([
      "value '2026-13-45' on column 'timestamp' is not DateTime",
      "value 'abc' on column 'user_id' is not UInt64",
      "value 'x' on column 'value' is not Nullable(Float64)",
    ]);
    expect(q).toMatchObject({ timestamp: "2026-13-45", user_id: "abc", event: '{"k":1}', value: "x" });
  });

  it("missing columns are left out so ClickHouse applies DEFAULT or the type's zero value; null for non-Nullable too", () => {
    const r = validateNdjson('{}\n{"timestamp":null,"user_id":null,"event":null,"value":null}', events, NOW);
    expect(r.validLines).toEqual(["{}", '{"value":null}']);
    expect(r.stats.passthroughRows).toBe(1);
  });

  it("unknown keys are dropped (the line is re-serialized)", () => {
    const r = validateNdjson('{"user_id":1,"extra":true}', events, NOW);
    expect(r.validLines).toEqual(['{"user_id":1}']);
    expect(r.stats.passthroughRows).toBe(0);
  });

  it("passthrough only when the line's own text means the validated values", () => {
    const lines = [
      '{"user_id":1,"event":"a"}', // as-is
      '{"user_id":1.0,"event":"a"}', // ClickHouse rejects 1.0 for UInt64
      '{"user_id":1e2}', // and 1e2
      '{"timestamp":"2024-01-02T03:04:05Z"}', // normalized to unix time
      '{"user_id":12345678901234567890}', // digits past 2^53 come from the text
      '{"event":"v1.2e3","user_id":5}', // a dot in a string is not a number
    ];
    const r = validateNdjson(lines.join("\n"), events, NOW);
    expect(r.validLines).toEqual([
      '{"user_id":1,"event":"a"}',
      '{"user_id":1,"event":"a"}',
      '{"user_id":100}',
      '{"timestamp":1704164645}',
      '{"user_id":"12345678901234567890"}',
      '{"event":"v1.2e3","user_id":5}',
    ]);
    expect(r.stats.passthroughRows).toBe(2);
  });

  it("a key that only exists on Object.prototype is missing", () => {
    const v = compileRowValidator([{ name: "constructor", type: "String" }, { name: "toString", type: "Nullable(String)" }]);
    expect(v(JSON.parse("{}"), "{}")).toEqual({ ok: true, row: {}, passthrough: true });
  });
});

describe("JSONPaths", () => {
  const v = compileRowValidator([
    { name: "ts", type: "DateTime64(3)", jsonPath: "$.meta.ts" },
    { name: "first_tag", type: "String", jsonPath: "$.tags[0]" },
    { name: "tag_names", type: "Array(String)", jsonPath: "$.tags[:].name" },
    { name: "spaced", type: "Int32", jsonPath: "$['key with space']" },
    { name: "raw", type: "String", jsonPath: "$" },
    { name: "id", type: "UInt32", jsonPath: "$.id" },
  ]);

  it("map nested values to real column names; `$` keeps the whole line", () => {
    const line = '{"id":3,"meta":{"ts":"2024-01-02 03:04:05.5"},"tags":[{"name":"a"},{"x":1},{"name":"b"}],"key with space":"-4"}';
    const r = validateNdjson(line, v, NOW);
    expect(r.validCount).toBe(1);
    expect(JSON.parse(r.validLines[0]!)).toEqual({
      ts: "2024-01-02 03:04:05.500", first_tag: '{"name":"a"}', tag_names: ["a", "b"], spaced: -4, raw: line, id: 3,
    });
  });

  it("quarantine values are read through the same paths", () => {
    const r = validateNdjson('{"id":-3,"meta":{"ts":"nope"}}', v, NOW);
    expect(r.quarantine[0]).toMatchObject({
      c__error_column: ["ts", "id"],
      c__error: ["value 'nope' on column 'ts' is not DateTime64(3)", "value '-3' on column 'id' is not UInt32"],
      ts: "nope", first_tag: null, tag_names: null, raw: '{"id":-3,"meta":{"ts":"nope"}}', id: "-3",
    });
  });

  it.each([
    ["$", {}, { a: 1 }, { a: 1 }],
    ["$.a.b", {}, { a: { b: 2 } }, 2],
    ["$.a[1]", {}, { a: [1, 2] }, 2],
    ["$['a.b']", {}, { "a.b": 3 }, 3],
    ['$["q"]', {}, { q: 4 }, 4],
    ["$.a[*]", {}, { a: [1, 2] }, [1, 2]],
    ["$.missing.x", {}, { a: 1 }, MISSING],
    ["$.a[5]", {}, { a: [1] }, MISSING],
  ] as const)("%s", (path, _unused, root, expected) => {
    const p = compileJsonPath(path);
    if (!p.ok) throw new Error(p.message);
    expect(evaluateJsonPath(p.path, root)).toEqual(expected);
  });

  it.each(["a.b", "$..a", "$.a[?(@.x)]", "$[", "$.a[-1]"])("refuses %s", (path) => {
    expect(compileJsonPath(path).ok).toBe(false);
  });

  it("a schema with a bad JSONPath or type fails at compile time", () => {
    expect(() => compileRowValidator([{ name: "a", type: "String", jsonPath: "$..a" }])).toThrow(SchemaError);
    expect(() => compileRowValidator([{ name: "a", type: "Strin" }])).toThrow(SchemaError);
  });
});

describe("validText: the insert text of a body's valid lines", () => {
  const line = (n: number) => `{"timestamp":"2024-01-02 03:04:05","user_id":${n},"event":"e${n}"}`;
  const cases: Array<[string, string]> = [
    ["NDJSON with a last line break", `${line(1)}\n${line(2)}\n`],
    ["NDJSON without a last line break", `${line(1)}\n${line(2)}`],
    ["CRLF lines", `${line(1)}\r\n${line(2)}\r\n`],
    ["a blank line between rows", `${line(1)}\n\n${line(2)}`],
    ["a quarantined row", `${line(1)}\n{"timestamp":"x","user_id":1}\n${line(2)}`],
    ["a row rewritten (a string for UInt64)", `${line(1)}\n{"timestamp":"2024-01-02 03:04:05","user_id":"7","event":"a"}`],
    ["a JSON array", `[${line(1)},${line(2)}]`],
    ["an array whose numbers print longer (1e21 as 1e+21)", '[{"value":1e21,"user_id":1e21}]'],
    ["one object over several lines", '{\n"timestamp":"2024-01-02 03:04:05",\n"user_id":1\n}'],
  ];
  for (const [name, body] of cases) {
    it(`${name}: the valid lines joined by line breaks`, () => {
      const r = validateNdjson(body, events, NOW);
      expect(validText(body, r)).toBe(r.validLines.join("\n"));
    });
  }
});

describe("passthrough and the keys written in a line", () => {
  it("two equal keys with a space before one colon: the line is rewritten to the parsed (last) value", () => {
    const r = validateNdjson('{"timestamp":"2024-01-02 03:04:05","user_id" :1,"user_id":2,"event":"a"}', events, NOW);
    expect([r.validLines, r.stats.passthroughRows]).toEqual([['{"timestamp":"2024-01-02 03:04:05","user_id":2,"event":"a"}'], 0]);
  });

  it("a string value starting with a colon: the line is still forwarded as it came", () => {
    const body = '{"timestamp":"2024-01-02 03:04:05","user_id":1,"event":":a\\":b"}';
    const r = validateNdjson(body, events, NOW);
    expect([r.validLines, r.stats.passthroughRows]).toEqual([[body], 1]);
  });
});
