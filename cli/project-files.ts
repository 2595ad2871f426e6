/**
 * @module project-files
 * Finds a project's datafiles: every `.datasource`, `.pipe`, `.connection` (and
 * `.incl`, read through INCLUDE) under a folder, skipping `node_modules` and
 * hidden folders (`.git`, `.tern`, …). Paths are relative, with `/`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";

export type ProjectFileKind = "datasource" | "pipe" | "connection" | "incl";

export interface ProjectFile {
  /** Relative to the project folder, `/`-separated: `datasources/events.datasource`. */
  path: string;
  kind: ProjectFileKind;
  text: string;
}

const KINDS: Record<string, ProjectFileKind> = {
  ".datasource": "datasource",
  ".pipe": "pipe",
  ".connection": "connection",
  ".incl": "incl",
};

/** Upload order, as Tinybird's SDK sends them: datasources, pipes, connections. */
const ORDER: Record<ProjectFileKind, number> = { datasource: 0, pipe: 1, connection: 2, incl: 3 };

export function kindOfPath(path: string): ProjectFileKind | undefined {
  const dot = path.lastIndexOf(".");
  return dot < 0 ? undefined : KINDS[path.slice(dot).toLowerCase()];
}

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (dir === root && (e as NodeJS.ErrnoException).code === "ENOENT") throw new Error(`no such folder: ${root}`);
    if (dir === root && (e as NodeJS.ErrnoException).code === "ENOTDIR") throw new Error(`not a folder: ${root}`);
    throw e;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      await walk(root, join(dir, entry.name), out);
    } else if (entry.isFile() && kindOfPath(entry.name)) {
      out.push(relative(root, join(dir, entry.name)).split(sep).join("/"));
    }
  }
}

/** Every datafile under `root`, datasources first, then pipes, connections, includes; by path within a kind. */
export async function findProjectFiles(root: string): Promise<ProjectFile[]> {
  const paths: string[] = [];
  await walk(root, root, paths);
  const files = await Promise.all(
    paths.map(async (path) => ({ path, kind: kindOfPath(path)!, text: await readFile(join(root, path), "utf8") })),
  );
  return files.sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The multipart body of `/v1/build` and `/v1/deploy`: one `data_project://` part per file. */
export function projectForm(files: readonly ProjectFile[]): FormData {
  const form = new FormData();
  for (const f of files) form.append("data_project://", new Blob([f.text], { type: "text/plain" }), f.path);
  return form;
}

/** "3 datasources, 2 pipes, 1 connection" (kinds with none left out). */
export function describeFiles(files: readonly { kind: ProjectFileKind }[]): string {
  const count = (k: ProjectFileKind) => files.filter((f) => f.kind === k).length;
  const parts: string[] = [];
  for (const [kind, word] of [["datasource", "datasource"], ["pipe", "pipe"], ["connection", "connection"]] as const) {
    const n = count(kind);
    if (n > 0) parts.push(`${n} ${word}${n === 1 ? "" : "s"}`);
  }
  return parts.length > 0 ? parts.join(", ") : "no datafiles";
}
