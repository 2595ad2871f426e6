/**
 * @module deploy/plan/destructive
 * The destructive-operation guard's list: live data this deployment would
 * leave behind. The Worker refuses unless `allow_destructive_operations=true`,
 * and lets a change through when the live table holds no rows
 * (workers/deploy/apply.ts).
 */
import type { DatasourceFile } from "../../datafiles/index.js";
import type { DeploymentManifest, ManifestDatasource } from "../manifest.js";
import type { DestructiveChange } from "./types.js";

/**
 * Live columns the new table lacks, for a datasource getting a new table. A
 * FORWARD_QUERY says how the old columns map to the new ones, so it vouches
 * for every column.
 */
export function droppedColumns(name: string, ds: DatasourceFile, liveDs: ManifestDatasource | undefined): DestructiveChange[] {
  if (!liveDs || ds.forwardQuery) return [];
  const kept = new Set(ds.columns.map((c) => c.name));
  return liveDs.file.columns
    .filter((col) => !kept.has(col.name))
    .map((col) => ({ datasource: name, table: liveDs.table, column: col.name, message: `Datasource '${name}': column '${col.name}' would be dropped with its data` }));
}

/** Live datasources missing from the project: their tables go with them. */
export function deletedDatasources(deleted: readonly string[], live: DeploymentManifest | undefined): DestructiveChange[] {
  if (!live) return [];
  return deleted.map((name) => ({ datasource: name, table: live.datasources[name]!.table, message: `Datasource '${name}' would be deleted with its data` }));
}
