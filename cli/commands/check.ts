/**
 * `tern check [folder]`: validates a project's datafiles offline, for CI before
 * a deploy. Exit code 1 when any file has an error.
 */
import { resolve } from "node:path";
import type { Command } from "../command.js";
import { COMMON_HELP, COMMON_OPTIONS, parse, projectDir } from "../args.js";
import { checkProject, formatProblems } from "../check-project.js";
import { describeFiles, findProjectFiles } from "../project-files.js";

export const check: Command = {
  name: "check",
  summary: "Validate the project's datafiles offline (parse, references, templates, SQL)",
  help: `Usage: tern check [folder] [options]

Finds every .datasource, .pipe and .connection under the folder (default: the
project folder; node_modules and hidden folders are skipped) and runs the
validator a deploy runs, so it refuses the same files with the same messages:
parses each one (every value that lands in DDL, such as keys, ENGINE_TTL,
ENGINE_SETTINGS, DEFAULT, CODEC and INDEXES, must be one expression over the
datasource's own columns), checks names and the references between files,
renders every pipe node with its defaults (required params get type-correct
samples; materialized views get defaults only) and compiles each node's SQL
against the project's datasources and pipes (no cycles, no other databases).
No network. Exit code 1 when a file has an error.

Output: one "file:line:column: message" line per problem, then a summary.
With --json: one JSON array on stdout, one object per datafile:
  {"file", "kind", "ok", "errors": [{"line", "column", "message"}], "warnings": [...]}
(a problem inside an INCLUDEd fragment also has "file").

Options:
  --json              JSON output
${COMMON_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, { ...COMMON_OPTIONS, json: { type: "boolean", default: false } }, { min: 0, max: 1 });
    const root = positionals[0] ? resolve(projectDir(io, values.cwd), positionals[0]) : projectDir(io, values.cwd);
    const files = await findProjectFiles(root);
    const results = checkProject(files);
    const failed = results.filter((r) => !r.ok);

    if (values.json) {
      io.out(JSON.stringify(results, null, 2));
      return failed.length > 0 ? 1 : 0;
    }
    for (const r of results) for (const line of [...formatProblems(r, "error"), ...formatProblems(r, "warning")]) io.out(line);
    if (results.length === 0) {
      io.err(`No datafiles (.datasource, .pipe, .connection) under ${root}`);
      return 1;
    }
    const errors = failed.reduce((n, r) => n + r.errors.length, 0);
    const summary = `${results.length} datafile${results.length === 1 ? "" : "s"} checked (${describeFiles(results)})`;
    if (failed.length === 0) io.out(`${summary}: no errors`);
    else io.out(`${summary}: ${errors} error${errors === 1 ? "" : "s"} in ${failed.length} file${failed.length === 1 ? "" : "s"}`);
    return failed.length > 0 ? 1 : 0;
  },
};
