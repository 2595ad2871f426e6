// The project validator (shared/deploy/project.ts) over its conformance table:
// the same broken projects `tern check` and `/v1/deploy` are tested with, every
// problem with its file, line and column, in file order.
import { describe, expect, it } from "vitest";
import { planDeployment } from "../../../shared/deploy/plan.js";
import { loadProject, problemText, validateProject, type UploadedFile } from "../../../shared/deploy/project.js";
import { asDeployErrors, VALIDATOR_CASES } from "./validator-cases.js";

const upload = (files: Record<string, string>): UploadedFile[] => Object.entries(files).map(([name, text]) => ({ name, text }));

describe("project validator", () => {
  for (const c of VALIDATOR_CASES) {
    it(c.name, () => {
      const v = validateProject(upload(c.files));
      expect(v.errors.map((p) => ({ filename: p.filename, error: problemText(p) }))).toEqual(asDeployErrors(c.errors));
      expect(v.warnings.map((p) => ({ filename: p.filename, error: problemText(p) }))).toEqual(asDeployErrors(c.warnings ?? []));
      expect(v.ok).toBe(c.errors.length === 0);
      // The deploy's view of the same answer: the project, or the same problems as `{filename, error}`.
      const loaded = loadProject(upload(c.files));
      if (c.errors.length === 0) expect(loaded.ok).toBe(true);
      else expect(loaded).toEqual({ ok: false, errors: asDeployErrors(c.errors) });
    });
  }
});

describe("what the validator hands the deploy", () => {
  it("gives each datafile its problems, in the order given; INCLUDE fragments are not datafiles", () => {
    const v = validateProject([
      { name: "pipes/p.pipe", text: 'INCLUDE "n.incl"\n' },
      { name: "pipes/n.incl", text: "NODE n\nSQL >\n    SELECT * FROM nope\n" },
      { name: "README.md", text: "# notes" },
    ]);
    expect(v.files.map((f) => [f.name, f.kind, f.errors.map(problemText)])).toEqual([
      ["pipes/p.pipe", "pipe", ["n.incl:3:19: node 'n': Resource 'nope' not found"]],
      ["README.md", undefined, ["README.md:1:1: unknown datafile extension; expected .datasource, .pipe or .connection"]],
    ]);
  });

  it("hands over only projects the planner plans", () => {
    for (const c of VALIDATOR_CASES.filter((c) => c.errors.length === 0)) {
      const v = validateProject(upload(c.files));
      if (!v.ok) throw new Error(`${c.name}: ${v.errors.map(problemText).join("\n")}`);
      expect(planDeployment({ project: v.project, database: "ws", tag: "t" }), c.name).toMatchObject({ ok: true });
    }
  });

  it("hands over the project by kind and name, with the files by base name for no_changes", () => {
    const v = validateProject(upload(VALIDATOR_CASES[0]!.files));
    if (!v.ok) throw new Error(v.errors.map(problemText).join("\n"));
    expect([...v.project.datasources.keys()]).toEqual(["logs"]);
    expect([...v.project.pipes.keys()]).toEqual(["by_level", "top"]);
    expect(Object.keys(v.project.files)).toEqual(["logs.datasource", "by_level.pipe", "top.pipe"]);
  });

  it("substitutes ${VAR} in directive values when given env", () => {
    const files = [
      { name: "logs.datasource", text: "SCHEMA >\n    `level` String\n\nENGINE MergeTree\nENGINE_SORTING_KEY ${KEY}\n" },
    ];
    expect(validateProject(files).errors.map(problemText)).toEqual(["logs.datasource:5:20: ENGINE_SORTING_KEY: `{{ … }}` and `${…}` references are not substituted into DDL; write the value itself"]);
    const v = validateProject(files, { env: { KEY: "level" } });
    expect(v.ok && v.project.datasources.get("logs")?.engine).toMatchObject({ sortingKey: "level" });
  });
});
