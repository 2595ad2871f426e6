/**
 * `tern test [run|update] [files…]`, as `tb test`: runs the project's
 * `tests/*.yaml` against a scratch workspace holding the project and its
 * `fixtures/`, compares each answer with `expected_result` line for line, and
 * with `update` (or `--update`) writes the answers back into the files.
 */
import { writeFile } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { progress } from "../progress.js";
import { findProjectFiles } from "../project-files.js";
import { connect } from "../remote.js";
import { findTestFiles, loadTestFile, sameResult, updatedText, type TestFile } from "../testing/cases.js";
import { unifiedDiff } from "../testing/diff.js";
import { createScratch, deleteScratch, deployInto, findFixtures, loadFixtures, runCase, type Scratch } from "../testing/scratch.js";
import { endpointsOf } from "./endpoint.js";

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => (l === "" ? "" : `    ${l}`))
    .join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

interface Outcome {
  file: string;
  name: string;
  status: "pass" | "fail";
  expectedStatus: number;
  actualStatus: number;
  expected: string;
  actual: string;
  error?: string;
}

export const test: Command = {
  name: "test",
  summary: "Run the project's tests/*.yaml against a scratch workspace",
  help: `Usage: tern test [run|update] [files…] [options]

Runs Tinybird test files (tests/<pipe>.yaml: a list of cases with name,
description, parameters as a query string, expected_result as NDJSON and an
optional expected_http_status). A scratch workspace is created, the project is
deployed into it, fixtures/<datasource>.ndjson|csv are appended, and each case
calls /v0/pipes/<pipe>.ndjson?<parameters> (pipes that are not endpoints:
/v0/sql?q=SELECT * FROM _ FORMAT JSONEachRow&pipeline=<pipe>). The answer must
match expected_result line for line; a failure prints a unified diff
(- expected, + actual). The workspace is deleted at the end.

  run       (default) run the tests; exit 1 if one fails
  update    run them and write each answer back as its expected_result
            (also --update)

Options:
  --update              same as \`tern test update\`
  --keep                keep the scratch workspace (its name is printed)
  --user-token <token>  token that may create workspaces (default: see \`tern workspace\`)
${REMOTE_HELP}`,
  async run(args, io) {
    let rest = args;
    let mode: "run" | "update" = "run";
    if (rest[0] === "run" || rest[0] === "update") {
      mode = rest[0];
      rest = rest.slice(1);
    }
    const { values, positionals } = parse(
      rest,
      { ...REMOTE_OPTIONS, "user-token": { type: "string" }, update: { type: "boolean", default: false }, keep: { type: "boolean", default: false } },
      { min: 0, max: Infinity },
    );
    if (values.update) mode = "update";
    const remote = await connect(io, values);
    const root = remote.dir;
    const step = progress(io).step;

    // Test files: the ones named (relative to the current folder), else all of tests/.
    let paths: string[];
    if (positionals.length > 0) {
      paths = positionals.map((p) => {
        const abs = isAbsolute(p) ? p : resolve(io.cwd, p);
        const rel = relative(root, abs);
        if (rel.startsWith("..") || isAbsolute(rel)) throw new UsageError(`${p} is outside the project folder ${root}`);
        return rel.split(sep).join("/");
      });
    } else {
      paths = await findTestFiles(root);
    }
    if (paths.length === 0) {
      io.out(`No tests: add tests/<pipe>.yaml files under ${root}`);
      return 0;
    }
    const files: TestFile[] = [];
    for (const p of paths) {
      try {
        files.push(await loadTestFile(root, p));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`no such test file: ${p}`);
        throw e;
      }
    }

    const project = await findProjectFiles(root);
    const datafiles = project.filter((f) => f.kind !== "incl");
    if (datafiles.length === 0) throw new Error(`no datafiles (.datasource, .pipe, .connection) under ${root}`);
    const pipes = new Set(project.filter((f) => f.kind === "pipe").map((f) => f.path.split("/").pop()!.replace(/\.pipe$/, "")));
    for (const f of files) if (!pipes.has(f.pipe)) throw new Error(`${f.path}: the project has no pipe named '${f.pipe}' (a test file is named after its pipe)`);

    const userApi = await remote.userApi();
    step(`Creating a scratch workspace on ${userApi.host}`);
    const scratch: Scratch = await createScratch(userApi, io.fetch ?? fetch);
    const outcomes: Outcome[] = [];
    try {
      step(`Deploying the project into ${scratch.name}`);
      await deployInto(scratch.api, project);
      const { datasources } = await scratch.api.request<{ datasources: Array<{ name: string }> }>("GET", "/v0/datasources");
      const fixtures = await findFixtures(root, new Set(datasources.map((d) => d.name)));
      if (fixtures.length > 0) {
        step(`Loading ${plural(fixtures.length, "fixture")}`);
        await loadFixtures(io, scratch.api, fixtures);
      }
      const endpoints = new Set(endpointsOf(await scratch.api.request("GET", "/v0/pipes/openapi.json")).map((e) => e.name));

      for (const file of files) {
        for (const c of file.cases) {
          const actual = await runCase(scratch.api, file.pipe, endpoints.has(file.pipe), c.parameters);
          const ok = actual.status === c.expectedStatus && sameResult(c.expectedResult, actual.body);
          outcomes.push({
            file: file.path,
            name: c.name,
            status: ok ? "pass" : "fail",
            expectedStatus: c.expectedStatus,
            actualStatus: actual.status,
            expected: c.expectedResult,
            actual: actual.body,
          });
        }
      }
    } finally {
      if (values.keep) io.err(`Kept the scratch workspace '${scratch.name}' (${scratch.id})`);
      else await deleteScratch(userApi, scratch).catch((e) => io.err(`warning: could not delete the scratch workspace '${scratch.name}': ${e instanceof Error ? e.message : e}`));
    }

    if (values.json) {
      io.out(JSON.stringify({ mode, results: outcomes }, null, 2));
    }

    if (mode === "update") {
      let changed = 0;
      for (const file of files) {
        const mine = outcomes.filter((o) => o.file === file.path && o.status === "fail");
        if (mine.length === 0) continue;
        const text = updatedText(file, new Map(mine.map((o) => [o.name, { body: o.actual, status: o.actualStatus }])));
        await writeFile(resolve(root, file.path), text);
        for (const o of mine) if (!values.json) io.out(`updated  ${o.file}: ${o.name}`);
        changed += mine.length;
      }
      if (!values.json) io.out(`${plural(changed, "expected result")} updated, ${outcomes.length - changed} unchanged`);
      return 0;
    }

    if (!values.json) {
      for (const o of outcomes) {
        if (o.status === "pass") {
          io.out(`✓ ${o.file}: ${o.name}`);
          continue;
        }
        io.out(`✗ ${o.file}: ${o.name}`);
        if (o.expectedStatus !== o.actualStatus) io.out(`    expected HTTP ${o.expectedStatus}, got HTTP ${o.actualStatus}`);
        const diff = unifiedDiff(o.expected, o.actual);
        if (diff) io.out(indent(diff));
      }
      const failed = outcomes.filter((o) => o.status === "fail").length;
      io.out(failed === 0 ? `${plural(outcomes.length, "test")} passed` : `${failed} of ${plural(outcomes.length, "test")} failed`);
    }
    return outcomes.some((o) => o.status === "fail") ? 1 : 0;
  },
};
