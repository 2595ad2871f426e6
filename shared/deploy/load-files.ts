/**
 * @module deploy/load-files
 * The validator's first step: every datafile parsed (INCLUDE fragments, `.incl`,
 * are read through INCLUDE and never on their own) and names unique per kind.
 * A file that fails either way stays out of the project, but its name is
 * remembered so what refers to it is not reported a second time.
 */
import { datafileKindOf, parseDatafile, type Datafile, type DatafileKind, type DatafileWarning, type Env } from "../datafiles/index.js";
import { includeIndex, type NamedText } from "./includes.js";
import type { Problems } from "./problems.js";
import type { Project } from "./project.js";

export interface LoadedFile {
  name: string;
  text: string;
  /** From the extension; undefined for a file that is no datafile (its parse says so). */
  kind: DatafileKind | undefined;
  /** Set when the file parsed and its name is its own. */
  file?: Datafile;
  /** Deprecated or ignored syntax in a file that parsed. */
  warnings: DatafileWarning[];
  /** Text of the file or of a fragment it INCLUDEs, by the path its positions use. */
  textOf(path: string): string | undefined;
}

export interface LoadedFiles {
  project: Project;
  /** Every datafile, in the order given. */
  files: LoadedFile[];
  /** `kind:name` of datafiles that exist but failed to load. */
  unusable: Set<string>;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

export function loadFiles(input: readonly NamedText[], problems: Problems, env?: Env): LoadedFiles {
  const project: Project = { datasources: new Map(), pipes: new Map(), connections: new Map(), files: {} };
  const files: LoadedFile[] = [];
  const unusable = new Set<string>();
  const owner = new Map<string, string>();
  const includes = includeIndex(input);

  for (const f of input) {
    if (/\.incl$/i.test(f.name)) continue;
    const include = includes.resolverFor(f.name);
    const identity = datafileKindOf(f.name);
    const loaded: LoadedFile = {
      name: f.name, text: f.text, kind: identity?.kind, warnings: [], textOf: (path) => (path === f.name ? f.text : include(path)),
    };
    files.push(loaded);
    const parsed = parseDatafile({ path: f.name, text: f.text, include, ...(env ? { env } : {}) });
    if (!parsed.ok) {
      for (const e of parsed.errors) problems.add(f.name, e, e.detail);
      if (identity) unusable.add(`${identity.kind}:${identity.name}`);
      continue;
    }
    const file = parsed.file;
    loaded.warnings = file.warnings;
    // Names are unique per kind: a copy pipe may share its target datasource's
    // name, and in SQL the datasource wins.
    const key = `${file.kind}:${file.name}`;
    const first = owner.get(key);
    if (first !== undefined) {
      problems.add(f.name, { file: f.name, line: 1, column: 1 }, `the name '${file.name}' is already used by ${first}`);
      continue;
    }
    owner.set(key, f.name);
    loaded.file = file;
    project.files[baseName(f.name)] = f.text;
    if (file.kind === "datasource") project.datasources.set(file.name, file);
    else if (file.kind === "pipe") project.pipes.set(file.name, file);
    else project.connections.set(file.name, file);
  }
  return { project, files, unusable };
}
