/**
 * @module check-project
 * `tern check` without I/O: the project validator the deploy runs
 * (`shared/deploy/project.ts`) over the files the command read, reported per
 * datafile for the terminal and for `--json`. Nothing is checked here; the
 * problems, their places and their words are the deploy's.
 */
import { problemText, validateProject, type Problem } from "../shared/deploy/project.js";
import type { ProjectFile, ProjectFileKind } from "./project-files.js";

export interface CheckProblem {
  line: number;
  column: number;
  message: string;
  /** Set when the problem is in another file than the one checked (an INCLUDEd fragment). */
  file?: string;
}

export interface FileCheck {
  file: string;
  kind: Exclude<ProjectFileKind, "incl">;
  ok: boolean;
  errors: CheckProblem[];
  warnings: CheckProblem[];
}

function asCheckProblem(p: Problem): CheckProblem {
  return { line: p.line, column: p.column, message: p.message, ...(p.file !== p.filename ? { file: p.file } : {}) };
}

export function checkProject(files: readonly ProjectFile[]): FileCheck[] {
  const validation = validateProject(files.map((f) => ({ name: f.path, text: f.text })));
  const byName = new Map(validation.files.map((f) => [f.name, f]));
  const results: FileCheck[] = [];
  for (const f of files) {
    const checked = f.kind === "incl" ? undefined : byName.get(f.path);
    if (f.kind === "incl" || !checked) continue;
    results.push({
      file: f.path,
      kind: f.kind,
      ok: checked.errors.length === 0,
      errors: checked.errors.map(asCheckProblem),
      warnings: checked.warnings.map(asCheckProblem),
    });
  }
  return results;
}

/** `file:line:column: message` lines for human output, as `/v1/deploy` words them. */
export function formatProblems(result: FileCheck, kind: "error" | "warning"): string[] {
  const list = kind === "error" ? result.errors : result.warnings;
  return list.map((e) => problemText({
    filename: result.file, file: e.file ?? result.file, line: e.line, column: e.column, message: kind === "warning" ? `warning: ${e.message}` : e.message,
  }));
}
