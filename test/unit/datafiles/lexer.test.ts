import { describe, expect, it } from "vitest";
import { parseDatafile } from "../../../shared/datafiles/index.js";
import { readValue, templateSubstitute } from "../../../shared/datafiles/lexer.js";
import { datasource, errorsOf, lines, pipe } from "./helpers.js";

describe("readValue", () => {
  const cases: [string, { value: string; quoted: boolean }][] = [
    [" MergeTree", { value: "MergeTree", quoted: false }],
    [' "MergeTree"', { value: "MergeTree", quoted: true }],
    [" 'MergeTree'", { value: "MergeTree", quoted: true }],
    [' "a, b"', { value: "a, b", quoted: true }],
    [" a,   b  ", { value: "a, b", quoted: false }],
    [" x # comment", { value: "x", quoted: false }],
    [" '#not a comment'", { value: "#not a comment", quoted: true }],
    [" k='v  w', n=1", { value: "k='v  w', n=1", quoted: false }],
    ["", { value: "", quoted: false }],
  ];
  for (const [input, expected] of cases) {
    it(`reads ${JSON.stringify(input)}`, () => {
      const { value, quoted } = readValue(input);
      expect({ value, quoted }).toEqual(expected);
    });
  }
});

describe("templateSubstitute", () => {
  it("replaces $VAR and ${VAR}, keeps unknown ones and unescapes $$", () => {
    expect(templateSubstitute("$A-${B}-$C-$$", { A: "1", B: "2" })).toBe("1-2-$C-$");
  });
});

describe("comments and blank lines", () => {
  it("skips # comment lines and blank lines between directives", () => {
    expect(datasource(lines("# a comment", "", "   # indented comment", "SCHEMA >", "    `a` String", "", "ENGINE MergeTree # trailing")).engine).toEqual({ type: "MergeTree" });
  });

  it("drops # comment lines inside a SCHEMA block", () => {
    expect(datasource(lines("SCHEMA >", "    `a` String,", "    # `b` String,", "    `c` String")).columns.map((c) => c.name)).toEqual(["a", "c"]);
  });

  it("accepts CRLF line endings", () => {
    expect(pipe("NODE n\r\nSQL >\r\n    SELECT 1\r\n").nodes[0]!.sql).toBe("SELECT 1");
  });
});

describe("file kinds", () => {
  it("takes the kind and name from the extension", () => {
    const result = parseDatafile({ path: "projects/a/datasources/page_views.datasource", text: lines("SCHEMA >", "    `a` String") });
    expect(result.ok && [result.file.kind, result.file.name, result.file.path]).toEqual(["datasource", "page_views", "projects/a/datasources/page_views.datasource"]);
  });

  it("rejects an unknown extension", () => {
    expect(errorsOf("notes.txt", "")).toEqual([[1, 1, "unknown datafile extension; expected .datasource, .pipe or .connection"]]);
  });

  it("rejects a file name that is not an identifier", () => {
    expect(errorsOf("page-views.datasource", lines("SCHEMA >", "    `a` String"))).toEqual([[1, 1, "invalid resource name `page-views`; file names must match ^[a-zA-Z_][a-zA-Z0-9_]*$"]]);
  });

  it("puts the path in every error", () => {
    const result = parseDatafile({ path: "x/bad.pipe", text: "NODE" });
    expect(!result.ok && result.errors.map((e) => [e.file, e.message])).toEqual([
      ["x/bad.pipe", "x/bad.pipe:1:6: NODE needs a name, e.g. NODE endpoint"],
    ]);
  });
});

describe("INCLUDE", () => {
  const files: Record<string, string> = {
    "shared_node.incl": lines("NODE $NAME", "SQL >", "    SELECT * FROM ${SOURCE}"),
    "nested.incl": lines('INCLUDE "shared_node.incl" NAME=inner SOURCE=t'),
    "loop.incl": 'INCLUDE "loop.incl"',
  };
  const include = (path: string) => files[path];

  it("splices the included lines with $VAR substitution", () => {
    const p = pipe(lines('INCLUDE "shared_node.incl" NAME=base SOURCE=events', "NODE endpoint", "SQL >", "    SELECT * FROM base", "TYPE endpoint"), { include });
    expect(p.nodes.map((n) => [n.name, n.sql, n.file, n.line])).toEqual([
      ["base", "SELECT * FROM events", "shared_node.incl", 1],
      ["endpoint", "SELECT * FROM base", "p.pipe", 2],
    ]);
  });

  it("warns that Forward does not support INCLUDE", () => {
    expect(pipe(lines('INCLUDE "shared_node.incl" NAME=a SOURCE=b'), { include }).warnings.map((w) => w.message)).toEqual([
      "INCLUDE is not supported by Tinybird Forward; it is expanded for Classic compatibility",
    ]);
  });

  it("expands nested includes", () => {
    expect(pipe('INCLUDE "nested.incl"', { include }).nodes.map((n) => n.name)).toEqual(["inner"]);
  });

  it("reports a missing include file", () => {
    expect(errorsOf("p.pipe", lines('INCLUDE "nope.incl"', "NODE n", "SQL >", "    SELECT 1"), { include })).toEqual([[1, 1, 'INCLUDE file "nope.incl" was not found']]);
  });

  it("reports INCLUDE without a resolver", () => {
    expect(errorsOf("p.pipe", lines('INCLUDE "x.incl"', "NODE n", "SQL >", "    SELECT 1"))).toEqual([[1, 1, 'INCLUDE "x.incl" cannot be resolved: no include resolver was given']]);
  });

  it("stops an include cycle", () => {
    const errors = errorsOf("p.pipe", lines('INCLUDE "loop.incl"', "NODE n", "SQL >", "    SELECT 1"), { include });
    expect(errors).toEqual([[1, 1, 'INCLUDE "loop.incl" nests deeper than 8 levels (include cycle?)']]);
  });
});

describe("substitution scope", () => {
  it("never substitutes inside SQL", () => {
    expect(pipe(lines("NODE n", "SQL >", "    SELECT '${HOME}', {{ tb_secret('X') }}"), { env: { HOME: "/root", X: "x" } }).nodes[0]!.sql).toBe("SELECT '${HOME}', {{ tb_secret('X') }}");
  });

  it("substitutes in pipe directive values", () => {
    const p = pipe(lines("NODE n", "SQL >", "    SELECT 1", "TYPE sink", 'EXPORT_CONNECTION_NAME {{ tb_secret("SINK_CONN", "s3_main") }}', "EXPORT_BUCKET_URI s3://${BUCKET}/x", "EXPORT_FILE_TEMPLATE f", "EXPORT_SCHEDULE @on-demand"), { env: { BUCKET: "b1" } });
    expect(p.publication).toMatchObject({ connectionName: "s3_main", bucketUri: "s3://b1/x" });
  });
});
