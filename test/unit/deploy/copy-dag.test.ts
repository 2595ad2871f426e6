import { describe, expect, it } from "vitest";
import { downstreamsOf, findCycles, upstreamsReady } from "../../../shared/deploy/copy-dag.js";
import { problemText, validateProject } from "../../../shared/deploy/project.js";

describe("findCycles", () => {
  const cases: Array<[string, Record<string, string[]>, string[][]]> = [
    ["a chain", { b: ["a"], c: ["b"] }, []],
    ["a diamond", { b: ["a"], c: ["a"], d: ["b", "c"] }, []],
    ["a copy after itself", { a: ["a"] }, [["a", "a"]]],
    ["two copies after each other", { a: ["b"], b: ["a"] }, [["a", "b", "a"]]],
    ["a longer loop beside a chain", { x: ["y"], a: ["c"], b: ["a"], c: ["b"] }, [["a", "c", "b", "a"]]],
  ];
  for (const [what, edges, expected] of cases) {
    it(what, () => expect(findCycles(new Map(Object.entries(edges)))).toEqual(expected));
  }
});

describe("upstreamsReady", () => {
  const done = new Map([["a", "2026-03-10T10:00:00Z"], ["b", "2026-03-10T10:05:00Z"]]);
  it("waits for every upstream", () => {
    expect([upstreamsReady(["a"], done), upstreamsReady(["a", "b"], done), upstreamsReady(["a", "c"], done)]).toEqual([true, true, false]);
  });
  it("counts only upstream runs after the copy's own last run", () => {
    expect([upstreamsReady(["a", "b"], done, "2026-03-10T10:02:00Z"), upstreamsReady(["b"], done, "2026-03-10T10:02:00Z")]).toEqual([false, true]);
  });
});

const ds = "SCHEMA >\n    `n` UInt64\n\nENGINE \"MergeTree\"\nENGINE_SORTING_KEY \"n\"\n";
const copy = (extra: string) => `NODE c\nSQL >\n    SELECT n FROM src\n\nTYPE COPY\nTARGET_DATASOURCE dst\n${extra}`;

describe("COPY_AFTER in the project validator (tern check and deploy)", () => {
  const problems = (pipes: Record<string, string>) =>
    validateProject([{ name: "src.datasource", text: ds }, { name: "dst.datasource", text: ds }, ...Object.entries(pipes).map(([name, text]) => ({ name, text }))]).errors.map(problemText);

  it("accepts a DAG and says who runs after whom", () => {
    const v = validateProject([
      { name: "src.datasource", text: ds },
      { name: "dst.datasource", text: ds },
      { name: "a.pipe", text: copy("COPY_SCHEDULE 0 * * * *\n") },
      { name: "b.pipe", text: copy("COPY_AFTER a\n") },
      { name: "c.pipe", text: copy("COPY_AFTER a, b\n") },
    ]);
    expect(v.errors).toEqual([]);
    expect(v.ok && downstreamsOf(v.project.pipes.values(), "a")).toEqual([{ pipe: "b", after: ["a"] }, { pipe: "c", after: ["a", "b"] }]);
  });

  it("refuses a cycle at the COPY_AFTER line", () => {
    expect(problems({ "a.pipe": copy("COPY_AFTER b\n"), "b.pipe": copy("COPY_AFTER a\n") })).toEqual([
      "a.pipe:7:1: COPY_AFTER makes a cycle: a → b → a; a copy cannot run after itself",
    ]);
  });

  it("refuses a copy after itself, after a missing pipe, after a pipe that is not a copy", () => {
    expect(problems({ "a.pipe": copy("COPY_AFTER a\n") })).toEqual(["a.pipe:7:1: COPY_AFTER makes a cycle: a → a; a copy cannot run after itself"]);
    expect(problems({ "a.pipe": copy("COPY_AFTER ghost\n") })).toEqual(["a.pipe:7:1: COPY_AFTER names 'ghost', which is not a pipe of the project"]);
    expect(problems({ "a.pipe": copy("COPY_AFTER e\n"), "e.pipe": "NODE e\nSQL >\n    SELECT n FROM src\n\nTYPE endpoint\n" })).toEqual([
      "a.pipe:7:1: COPY_AFTER names 'e', which is not a copy pipe (TYPE COPY)",
    ]);
  });

  it("refuses a cron that does not parse, with file, line and column", () => {
    expect(problems({ "a.pipe": copy("COPY_SCHEDULE 0 24 * * *\n") })).toEqual([
      "a.pipe:7:15: invalid COPY_SCHEDULE `0 24 * * *`: Invalid value for hour; expected a cron expression in UTC such as 0 * * * *, or @on-demand",
    ]);
  });
});
