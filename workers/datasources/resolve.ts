/**
 * @module datasources/resolve
 * A datasource of the live deployment by name, or the 404 Tinybird answers.
 */
import { NotFoundError } from "../../shared/errors.js";
import type { DeploymentManifest, ManifestDatasource } from "../../shared/deploy/manifest.js";
import type { LiveDeployment } from "../catalog/client.js";

export function liveDatasource(live: LiveDeployment | undefined, name: string): { manifest: DeploymentManifest; ds: ManifestDatasource } {
  const ds = live?.manifest.datasources[name];
  if (!live || !ds) throw new NotFoundError(`Data Source '${name}' not found`);
  return { manifest: live.manifest, ds };
}
