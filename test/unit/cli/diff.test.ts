// The NDJSON diff `tern test` prints on a failure: unified style, hunks with
// three lines of context, positions counted from 1 as `diff -u` does.
import { describe, expect, it } from "vitest";
import { diffLines, splitLines, unifiedDiff } from "../../../cli/testing/diff.js";

const rows = (n: number, f = (i: number) => `{"i":${i}}`) => Array.from({ length: n }, (_, i) => f(i + 1)).join("\n") + "\n";

describe("unifiedDiff", () => {
  it("is empty when the lines are equal, whatever the final newline", () => {
    expect(unifiedDiff('{"a":1}\n', '{"a":1}')).toBe("");
    expect(unifiedDiff("", "")).toBe("");
  });

  it("shows a changed row with its context", () => {
    expect(unifiedDiff('{"c":"DE","n":2}\n{"c":"ES","n":2}\n{"c":"FR","n":3}\n', '{"c":"DE","n":2}\n{"c":"ES","n":5}\n{"c":"FR","n":3}\n')).toBe(
      ["--- expected", "+++ actual", "@@ -1,3 +1,3 @@", ' {"c":"DE","n":2}', '-{"c":"ES","n":2}', '+{"c":"ES","n":5}', ' {"c":"FR","n":3}'].join("\n"),
    );
  });

  it("splits far-apart changes into hunks and merges close ones", () => {
    const expected = rows(20);
    const actual = rows(20, (i) => (i === 2 || i === 18 ? `{"i":${i},"x":1}` : `{"i":${i}}`));
    expect(unifiedDiff(expected, actual, { expected: "a", actual: "b" })).toBe(
      [
        "--- a",
        "+++ b",
        "@@ -1,5 +1,5 @@",
        ' {"i":1}',
        '-{"i":2}',
        '+{"i":2,"x":1}',
        ' {"i":3}',
        ' {"i":4}',
        ' {"i":5}',
        "@@ -15,6 +15,6 @@",
        ' {"i":15}',
        ' {"i":16}',
        ' {"i":17}',
        '-{"i":18}',
        '+{"i":18,"x":1}',
        ' {"i":19}',
        ' {"i":20}',
      ].join("\n"),
    );
    const close = rows(10, (i) => (i === 3 || i === 8 ? `{"i":${i},"x":1}` : `{"i":${i}}`));
    expect(unifiedDiff(rows(10), close).split("\n").filter((l) => l.startsWith("@@"))).toEqual(["@@ -1,10 +1,10 @@"]);
  });

  it("shows missing and extra rows, and an empty side", () => {
    expect(unifiedDiff('{"a":1}\n{"a":2}\n', '{"a":2}\n{"a":3}\n')).toBe(["--- expected", "+++ actual", "@@ -1,2 +1,2 @@", '-{"a":1}', ' {"a":2}', '+{"a":3}'].join("\n"));
    expect(unifiedDiff("", '{"a":1}\n')).toBe(["--- expected", "+++ actual", "@@ -0,0 +1 @@", '+{"a":1}'].join("\n"));
    expect(unifiedDiff('{"a":1}\n', "")).toBe(["--- expected", "+++ actual", "@@ -1 +0,0 @@", '-{"a":1}'].join("\n"));
  });

  it("finds a minimal edit script", () => {
    const a = splitLines("a\nb\nc\nd\ne\n");
    const b = splitLines("a\nc\nd\nx\ne\n");
    const ops = diffLines(a, b);
    expect(ops.filter((o) => o.op !== " ")).toEqual([{ op: "-", line: "b" }, { op: "+", line: "x" }]);
    expect(ops.filter((o) => o.op !== "+").map((o) => o.line)).toEqual(a);
    expect(ops.filter((o) => o.op !== "-").map((o) => o.line)).toEqual(b);
  });
});
