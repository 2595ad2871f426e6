/**
 * @module deploy/plan/changes
 * What `/v1/deployments` lists as new, changed and deleted, by comparing the
 * uploaded files with live's (a resource is changed when its file's text is),
 * and whether the upload is the live one again (`no_changes`).
 */
import type { DeploymentChanges, DeploymentManifest } from "../manifest.js";
import type { Project } from "../project.js";

export interface NameDiff {
  added: string[];
  changed: string[];
  deleted: string[];
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/** Resources by name, compared through the text of the file each comes from (files are keyed by base name). */
export function diffNames(
  next: ReadonlyMap<string, { path: string }>,
  live: Record<string, { file: { path: string } }> | undefined,
  nextFiles: Record<string, string>,
  liveFiles: Record<string, string> | undefined,
): NameDiff {
  const added: string[] = [];
  const changed: string[] = [];
  for (const [name, file] of next) {
    const was = live?.[name];
    if (!was) added.push(name);
    else if (liveFiles?.[baseName(was.file.path)] !== nextFiles[baseName(file.path)]) changed.push(name);
  }
  const deleted = Object.keys(live ?? {}).filter((n) => !next.has(n));
  return { added: added.sort(), changed: changed.sort(), deleted: deleted.sort() };
}

export function planChanges(project: Project, live: DeploymentManifest | undefined): DeploymentChanges {
  const datasources = diffNames(project.datasources, live?.datasources, project.files, live?.files);
  const pipes = diffNames(project.pipes, live?.pipes, project.files, live?.files);
  const connections = diffNames(
    project.connections,
    live ? Object.fromEntries(Object.entries(live.connections).map(([k, v]) => [k, { file: v }])) : undefined,
    project.files,
    live?.files,
  );
  return {
    new_datasource_names: datasources.added,
    changed_datasource_names: datasources.changed,
    deleted_datasource_names: datasources.deleted,
    new_pipe_names: pipes.added,
    changed_pipe_names: pipes.changed,
    deleted_pipe_names: pipes.deleted,
    new_data_connector_names: connections.added,
    changed_data_connector_names: connections.changed,
    deleted_data_connector_names: connections.deleted,
  };
}

/** The same files, by name and text, as live: nothing to deploy. */
export function sameFilesAsLive(project: Project, live: DeploymentManifest | undefined): boolean {
  if (live === undefined) return false;
  const a = project.files;
  const b = live.files;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
