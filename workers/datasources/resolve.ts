/**
 * @module datasources/resolve
 * A datasource of the live deployment by name, or the 404 Tinybird answers.
 */
import { NotFoundError } from "../../shared/errors.js";
import type { DeploymentManifest, ManifestDatasource } from "../../shared/deploy/manifest.js";
import { liveManifest } from "../catalog/live-manifest.js";
import type { Env } from "../env.js";

export async function liveDatasource(env: Env, workspaceId: string, name: string): Promise<{ manifest: DeploymentManifest; ds: ManifestDatasource }> {
  const live = await liveManifest(env, workspaceId);
  const ds = live?.manifest.datasources[name];
  if (!live || !ds) throw new NotFoundError(`Data Source '${name}' not found`);
  return { manifest: live.manifest, ds };
}
