/**
 * @module deploy/includes
 * How `INCLUDE "path"` finds its fragment among the files of one project (a
 * folder the CLI read, or the parts of one upload): relative to the including
 * datafile's folder first, then from the project root, then by file name alone
 * (an upload may carry base names only). Paths are `/`-separated; no file
 * system is read.
 */
import type { IncludeResolver } from "../datafiles/index.js";

export interface NamedText {
  name: string;
  text: string;
}

/** `a/./b/../c` → `a/c`; a leading `./` or `/` is dropped. `..` past the root stays out of the project. */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const part of path.replace(/\\/g, "/").split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return out.join("/");
}

function folderOf(path: string): string {
  const normal = normalizePath(path);
  const slash = normal.lastIndexOf("/");
  return slash < 0 ? "" : normal.slice(0, slash);
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Finds fragments by path for datafiles of `files`; `resolverFor(from)` is the resolver of datafile `from`. */
export function includeIndex(files: readonly NamedText[]): { resolverFor(from: string): IncludeResolver } {
  const byPath = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const f of files) {
    byPath.set(normalizePath(f.name), f.text);
    byName.set(baseName(f.name), f.text);
  }
  return {
    resolverFor(from) {
      const folder = folderOf(from);
      return (path) =>
        byPath.get(normalizePath(folder === "" ? path : `${folder}/${path}`)) ?? byPath.get(normalizePath(path)) ?? byName.get(baseName(path));
    },
  };
}
