/**
 * @module deploy/project
 * The project validator: the files of one project (a folder the CLI read, or
 * the `data_project://` parts of one upload) in, every problem out at once,
 * each with its file, line and column; and the project itself when there is
 * none. `tern check` and `/v1/deploy` (and `/v1/build`) both call it, so they
 * refuse the same files with the same words.
 *
 * Steps, each in its own module: parse every datafile and keep names unique
 * per kind (`load-files.ts`); resolve references outside SQL
 * (`references.ts`); S3/GCS imports' bucket URIs and connections
 * (`imports.ts`); Kafka datasources' connections (`kafka.ts`); render and compile every pipe node as the deployment
 * will (`pipe-nodes.ts`, with `pipe-reads.ts` for cycles and what a
 * materialized view can inline); copies' COPY_AFTER names and cycles
 * (`copy-dag.ts`). Cron schedules are checked by the datafile parser
 * (`shared/cron`). Values that land in DDL are checked by the
 * parse (`shared/datafiles/ddl-values.ts`).
 */
import type { ConnectionFile, DatafileKind, DatasourceFile, Env, PipeFile } from "../datafiles/index.js";
import { loadFiles } from "./load-files.js";
import { checkPipeSql } from "./pipe-nodes.js";
import { ProjectReads } from "./pipe-reads.js";
import { deployProblem, Problems, type Problem, type ProjectProblem } from "./problems.js";
import { checkReferences } from "./references.js";
import { checkCopyOrder } from "./copy-dag.js";
import { checkImports } from "./imports.js";
import { checkKafka } from "./kafka.js";

export type { Problem, ProjectProblem } from "./problems.js";
export { problemText } from "./problems.js";

export interface UploadedFile {
  /** File name as uploaded, possibly with folders (`datasources/events.datasource`). */
  name: string;
  text: string;
}

export interface Project {
  datasources: Map<string, DatasourceFile>;
  pipes: Map<string, PipeFile>;
  connections: Map<string, ConnectionFile>;
  /** Datafiles by file name (without folders), as uploaded: `no_changes` compares these. */
  files: Record<string, string>;
}

export interface ValidatedFile {
  name: string;
  /** From the extension; undefined for a file that is no datafile. */
  kind: DatafileKind | undefined;
  errors: Problem[];
  warnings: Problem[];
}

export type ProjectValidation = {
  /** One entry per datafile, in the order given (INCLUDE fragments are read through INCLUDE only). */
  files: ValidatedFile[];
  /** Every file's errors, in file order. */
  errors: Problem[];
  warnings: Problem[];
} & ({ ok: true; project: Project } | { ok: false });

export interface ValidateOptions {
  /** Values for `${VAR}` and `tb_secret()` in directive values; without it both stay as written. */
  env?: Env;
}

export function validateProject(files: readonly UploadedFile[], options: ValidateOptions = {}): ProjectValidation {
  const problems = new Problems();
  const loaded = loadFiles(files, problems, options.env);
  const { project, unusable } = loaded;

  const has = (kind: DatafileKind, name: string) => {
    const map: Map<string, unknown> = kind === "datasource" ? project.datasources : kind === "pipe" ? project.pipes : project.connections;
    return map.has(name) || unusable.has(`${kind}:${name}`);
  };
  // In SQL a name is a datasource or a pipe.
  const reads = new ProjectReads(project, (name) => unusable.has(`datasource:${name}`) || unusable.has(`pipe:${name}`));
  for (const f of loaded.files) {
    if (!f.file) continue;
    checkReferences(f.file, f.text, has, problems);
    checkImports(f.file, f.text, (name) => project.connections.get(name), problems);
    checkKafka(f.file, f.text, (name) => project.connections.get(name), problems);
    if (f.file.kind === "pipe") checkPipeSql(f.file, reads, problems, f.textOf);
  }
  checkCopyOrder(
    loaded.files.flatMap((f) => (f.file?.kind === "pipe" ? [{ file: f.file, text: f.text }] : [])),
    (name) => unusable.has(`pipe:${name}`),
    problems,
  );

  const validated: ValidatedFile[] = loaded.files.map((f) => ({
    name: f.name,
    kind: f.kind,
    errors: problems.list.filter((p) => p.filename === f.name),
    warnings: f.warnings.map((w) => ({ filename: f.name, file: w.file, line: w.line, column: w.column, message: w.message })),
  }));
  const order = new Map(loaded.files.map((f, i) => [f.name, i] as const).reverse());
  const errors = [...problems.list].sort((a, b) => order.get(a.filename)! - order.get(b.filename)!);
  const warnings = validated.flatMap((f) => f.warnings);
  return errors.length > 0 ? { ok: false, files: validated, errors, warnings } : { ok: true, project, files: validated, errors, warnings };
}

/** The validator's answer as the deploy uses it: the project, or the problems as `/v1/deploy` answers them. */
export function loadProject(
  files: readonly UploadedFile[],
  env?: Env,
): { ok: true; project: Project } | { ok: false; errors: ProjectProblem[] } {
  const validation = validateProject(files, env ? { env } : {});
  return validation.ok ? { ok: true, project: validation.project } : { ok: false, errors: validation.errors.map(deployProblem) };
}
