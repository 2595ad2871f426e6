/**
 * @module deploy/project
 * Turns the files of one upload (`data_project://` parts, or a folder read by the
 * CLI) into a validated project: every file parsed, names unique, and every
 * cross-reference (pipe → datasource, TYPE MATERIALIZED → DATASOURCE, copy
 * targets, connections) resolved. All problems come back at once.
 */
import { parseDatafile, type ConnectionFile, type DatasourceFile, type PipeFile } from "../datafiles/index.js";
import type { Env } from "../datafiles/values.js";

export interface UploadedFile {
  /** File name as uploaded, possibly with folders (`datasources/events.datasource`). */
  name: string;
  text: string;
}

export interface ProjectProblem {
  filename: string;
  error: string;
}

export interface Project {
  datasources: Map<string, DatasourceFile>;
  pipes: Map<string, PipeFile>;
  connections: Map<string, ConnectionFile>;
  /** Datafiles by file name (without folders), as uploaded: `no_changes` compares these. */
  files: Record<string, string>;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

function resolveInclude(files: readonly UploadedFile[]) {
  const byPath = new Map<string, string>();
  for (const f of files) {
    byPath.set(f.name.replace(/^\.?\//, ""), f.text);
    byPath.set(baseName(f.name), f.text);
  }
  return (path: string) => byPath.get(path.replace(/^\.?\//, "")) ?? byPath.get(baseName(path));
}

export function loadProject(
  files: readonly UploadedFile[],
  env?: Env,
): { ok: true; project: Project } | { ok: false; errors: ProjectProblem[] } {
  const errors: ProjectProblem[] = [];
  const project: Project = { datasources: new Map(), pipes: new Map(), connections: new Map(), files: {} };
  const include = resolveInclude(files);
  const seen = new Map<string, string>();

  for (const f of files) {
    const name = baseName(f.name);
    // Included fragments are read through INCLUDE, not deployed on their own.
    if (/\.incl$/i.test(name)) continue;
    const parsed = parseDatafile({ path: f.name, text: f.text, include, ...(env ? { env } : {}) });
    if (!parsed.ok) {
      for (const e of parsed.errors) errors.push({ filename: f.name, error: e.message });
      continue;
    }
    const file = parsed.file;
    // Names are unique per kind; a copy pipe may share its target datasource's
    // name, and in SQL a datasource wins over a pipe of the same name.
    const key = `${file.kind}:${file.name}`;
    const clash = seen.get(key);
    if (clash) {
      errors.push({ filename: f.name, error: `${f.name}: the name '${file.name}' is already used by ${clash}` });
      continue;
    }
    seen.set(key, f.name);
    project.files[name] = f.text;
    if (file.kind === "datasource") project.datasources.set(file.name, file);
    else if (file.kind === "pipe") project.pipes.set(file.name, file);
    else project.connections.set(file.name, file);
  }

  for (const pipe of project.pipes.values()) {
    const pub = pipe.publication;
    if (pub.type === "materialized" && !project.datasources.has(pub.datasource)) {
      errors.push({ filename: pipe.path, error: `${pipe.path}: materialized node '${pub.node}' writes to datasource '${pub.datasource}', which is not in the project` });
    }
    if (pub.type === "copy" && !project.datasources.has(pub.targetDatasource)) {
      errors.push({ filename: pipe.path, error: `${pipe.path}: copy node '${pub.node}' targets datasource '${pub.targetDatasource}', which is not in the project` });
    }
    if (pub.type === "sink" && !project.connections.has(pub.connectionName)) {
      errors.push({ filename: pipe.path, error: `${pipe.path}: sink node '${pub.node}' uses connection '${pub.connectionName}', which is not in the project` });
    }
  }
  for (const ds of project.datasources.values()) {
    const conn = ds.kafka?.connectionName ?? ds.import?.connectionName;
    if (conn && !project.connections.has(conn)) {
      errors.push({ filename: ds.path, error: `${ds.path}: connection '${conn}' is not in the project` });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, project };
}
