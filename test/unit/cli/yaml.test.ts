// The YAML subset of Tinybird test files: what parses to what, what is refused
// (with its line), and the in-place rewrite behind `tern test update`.
import { describe, expect, it } from "vitest";
import { itemValue, parseYamlList, YamlError } from "../../../cli/yaml/parse.js";
import { setItemEntry, yamlEntryLines, yamlScalar } from "../../../cli/yaml/write.js";
import { parseTestFile, sameResult, updatedText } from "../../../cli/testing/cases.js";

const values = (text: string) => parseYamlList(text).map((item) => Object.fromEntries(item.entries.map((e) => [e.key, e.value])));

describe("parseYamlList", () => {
  it("reads a Tinybird test file", () => {
    const text = [
      "- name: count_level_basic",
      "  description: Counter by level, full range",
      "  parameters: column_name=level&start_date=2025-02-02%2000%3A00%3A00",
      "  expected_result: |",
      '    {"category":"ERROR","count":30}',
      '    {"category":"INFO","count":25}',
      "",
      "- name: missing_param",
      "  description: column_name is required",
      "  parameters: ''",
      "  expected_http_status: 400",
      "  expected_result: ''",
      "",
    ].join("\n");
    expect(values(text)).toEqual([
      {
        name: "count_level_basic",
        description: "Counter by level, full range",
        parameters: "column_name=level&start_date=2025-02-02%2000%3A00%3A00",
        expected_result: '{"category":"ERROR","count":30}\n{"category":"INFO","count":25}\n',
      },
      { name: "missing_param", description: "column_name is required", parameters: "", expected_http_status: "400", expected_result: "" },
    ]);
  });

  it("keeps each entry's line span", () => {
    const [a, b] = parseYamlList("- name: a\n  expected_result: |\n    x\n    y\n\n# between\n- name: b\n");
    expect(a).toMatchObject({ startLine: 0, endLine: 4 });
    expect(a!.entries.map((e) => [e.key, e.startLine, e.endLine, e.indent])).toEqual([["name", 0, 1, 2], ["expected_result", 1, 4, 2]]);
    expect(b).toMatchObject({ startLine: 6, endLine: 7 });
  });

  it.each([
    ["|", "a\n  b\n\n", "a\n  b\n"],
    ["|-", "a\nb\n", "a\nb"],
    ["|+", "a\n\n\n", "a\n\n\n"],
    [">", "a\nb\n\nc\n", "a b\nc\n"],
    [">-", "a\nb\n", "a b"],
  ])("block scalar %s", (header, body, expected) => {
    const text = `- k: ${header}\n${body.split("\n").map((l) => (l === "" ? "" : `    ${l}`)).join("\n")}- next: 1\n`;
    expect(values(text)[0]!.k).toBe(expected);
  });

  it("reads an indentation indicator and blank lines inside a block", () => {
    expect(values("- k: |2\n     lead\n    x\n\n    y\n")[0]!.k).toBe(" lead\nx\n\ny\n");
  });

  it("reads quoted and plain scalars", () => {
    expect(
      values(
        [
          `- a: 'it''s: fine # not a comment'`,
          `  b: "tab\\there \\"q\\" \\u00e9"`,
          "  c: plain value # a comment",
          "  d:",
          "  e: ~",
          "  f: null",
          "  g: 2025-01-01 00:00:00",
          "  h: ''",
        ].join("\n"),
      )[0],
    ).toEqual({ a: "it's: fine # not a comment", b: 'tab\there "q" é', c: "plain value", d: null, e: null, f: null, g: "2025-01-01 00:00:00", h: "" });
  });

  it("accepts keys on the line after a bare dash, comments, --- and an empty document", () => {
    expect(values("---\n# tests\n-\n  name: a\n  parameters: x=1\n")).toEqual([{ name: "a", parameters: "x=1" }]);
    expect(values("")).toEqual([]);
    expect(values("# nothing yet\n[]\n")).toEqual([]);
    expect(values("  - name: indented\n    parameters: p=1\n")).toEqual([{ name: "indented", parameters: "p=1" }]);
  });

  it.each([
    ["name: a\n", 1, "the document must be a list"],
    ["- name: a\n  params:\n    - x\n", 3, "nested lists and mappings are not supported"],
    ["- name: a\n    deeper: x\n", 2, "nested values are not supported"],
    ["- name: [a, b]\n", 1, "flow collections"],
    ["- name: 'open\n", 1, "unterminated quoted string"],
    ["- name: a\n  name: b\n", 2, "duplicate key 'name'"],
    ["- name: &x a\n", 1, "anchors"],
    ["- just a string\n", 1, "each list item must be a mapping"],
    ["- name: a\n  description: one\n    two\n", 3, "multi-line plain scalars"],
    ["- k: |\n    a\n   b\n", 3, "less indented than the block scalar"],
  ])("refuses %j at line %i", (text, line, message) => {
    let error: unknown;
    try {
      parseYamlList(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(YamlError);
    expect((error as YamlError).line).toBe(line);
    expect((error as YamlError).message).toContain(message);
  });
});

describe("writing", () => {
  it("quotes scalars only when YAML would misread them", () => {
    expect(yamlScalar("country=ES&limit=5")).toBe("country=ES&limit=5");
    expect(yamlScalar('{"error":"it\'s bad"}')).toBe(`'{"error":"it''s bad"}'`);
    expect(yamlScalar("a: b")).toBe("'a: b'");
    expect(yamlScalar("null")).toBe("'null'");
    expect(yamlScalar("")).toBe("''");
  });

  it("writes block literals that read back the same", () => {
    for (const value of ['{"a":1}\n{"a":2}\n', '{"a":1}\n{"a":2}', "x\n\n", '{"a":1}', "", "  lead\nx\n", "'quoted'"]) {
      const text = `- name: t\n${yamlEntryLines("expected_result", value, 2).join("\n")}\n`;
      expect(itemValue(parseYamlList(text)[0]!, "expected_result") ?? "").toBe(value);
    }
  });

  it("replaces one entry and leaves every other line alone", () => {
    const text = "# header\n- name: a\n  expected_result: |\n    old\n  description: kept\n\n- name: b\n";
    const lines = text.split("\n");
    const [a, b] = parseYamlList(text);
    expect(setItemEntry(lines, a!, "expected_result", "new1\nnew2\n").join("\n")).toBe(
      "# header\n- name: a\n  expected_result: |\n    new1\n    new2\n  description: kept\n\n- name: b\n",
    );
    expect(setItemEntry(lines, b!, "expected_result", "z\n").join("\n")).toBe(`${text.slice(0, -1)}\n  expected_result: |\n    z\n`);
  });
});

describe("test files", () => {
  const text = "- name: ok\n  parameters: a=1\n  expected_result: |\n    {\"n\":1}\n\n- name: err\n  parameters: a=x\n  expected_http_status: 400\n  expected_result: ''\n";

  it("reads cases; the pipe is the file's name; status defaults to 200", () => {
    const file = parseTestFile("tests/my_pipe.yaml", text);
    expect(file.pipe).toBe("my_pipe");
    expect(file.cases.map((c) => [c.name, c.parameters, c.expectedStatus, c.expectedResult])).toEqual([
      ["ok", "a=1", 200, '{"n":1}\n'],
      ["err", "a=x", 400, ""],
    ]);
  });

  it("names the file and line of a mistake", () => {
    expect(() => parseTestFile("tests/p.yaml", "- name: a\n- description: no name\n")).toThrow("tests/p.yaml:2: a test case needs a name");
    expect(() => parseTestFile("tests/p.yaml", "- name: a\n- name: a\n")).toThrow("tests/p.yaml:2: two test cases are named 'a'");
    expect(() => parseTestFile("tests/p.yaml", "- name: a\n  expected_http_status: teapot\n")).toThrow("expected_http_status must be an HTTP status");
    expect(() => parseTestFile("tests/p.yaml", "- name: a\n  k: [1]\n")).toThrow(/^tests\/p\.yaml:2: flow collections/);
  });

  it("compares results line for line, ignoring only the final newline", () => {
    expect(sameResult('{"n":1}\n', '{"n":1}')).toBe(true);
    expect(sameResult('{"n":1}\r\n{"n":2}', '{"n":1}\n{"n":2}\n')).toBe(true);
    expect(sameResult('{"n":1}', '{"n": 1}')).toBe(false);
    expect(sameResult("", "")).toBe(true);
  });

  it("rewrites expected results and statuses in place", () => {
    const file = parseTestFile("tests/p.yaml", text);
    const out = updatedText(
      file,
      new Map([
        ["ok", { body: '{"n":1}\n{"n":2}\n', status: 200 }],
        ["err", { body: '{"error":"bad a"}', status: 404 }],
      ]),
    );
    expect(out).toBe(
      "- name: ok\n  parameters: a=1\n  expected_result: |\n    {\"n\":1}\n    {\"n\":2}\n\n- name: err\n  parameters: a=x\n  expected_http_status: 404\n  expected_result: '{\"error\":\"bad a\"}'\n",
    );
    // A case that starts failing with an error status gains expected_http_status.
    const added = updatedText(parseTestFile("tests/p.yaml", "- name: ok\n  expected_result: |\n    x\n  description: d\n"), new Map([["ok", { body: "{\"error\":\"e\"}", status: 400 }]]));
    expect(added).toBe("- name: ok\n  expected_result: '{\"error\":\"e\"}'\n  description: d\n  expected_http_status: 400\n");
  });
});
