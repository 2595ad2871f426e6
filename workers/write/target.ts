/**
 * @module write/target
 * Where a datasource's rows go: the live deployment's datasource by name (or
 * the 404 Tinybird answers), and the two tables a write lands in, its rows'
 * and its quarantine's (`<datasource>_quarantine`), both in the workspace's
 * database and both named by the manifest (a datasource version is a table).
 */
import { NotFoundError } from "../../shared/errors.js";
import type { DeploymentManifest, ManifestDatasource } from "../../shared/deploy/manifest.js";
import type { LiveDeployment } from "../catalog/client.js";
import type { TableRef } from "./insert.js";

export function liveDatasource(live: LiveDeployment | undefined, name: string): { manifest: DeploymentManifest; ds: ManifestDatasource } {
  const ds = live?.manifest.datasources[name];
  if (!live || !ds) throw new NotFoundError(`Data Source '${name}' not found`);
  return { manifest: live.manifest, ds };
}

/** The tables a write to `ds` lands in: valid rows, and quarantined ones. */
export function datasourceTables(manifest: DeploymentManifest, ds: ManifestDatasource): { rows: TableRef; quarantine: TableRef } {
  return {
    rows: { database: manifest.database, table: ds.table },
    quarantine: { database: manifest.database, table: ds.quarantineTable },
  };
}
