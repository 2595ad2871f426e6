/**
 * @module ingest/validators
 * Row validators compiled once per datasource version and kept per isolate:
 * manifests are immutable, so (workspace database, physical table) is a key
 * that never goes stale.
 */
import { compileRowValidator, type RowValidator } from "../../shared/ingest/index.js";
import type { DeploymentManifest, ManifestDatasource } from "../../shared/deploy/manifest.js";

const cache = new Map<string, RowValidator>();

export function validatorFor(manifest: DeploymentManifest, ds: ManifestDatasource): RowValidator {
  const key = `${manifest.database}.${ds.table}`;
  let v = cache.get(key);
  if (!v) {
    v = compileRowValidator(ds.file.columns);
    if (cache.size > 1000) cache.clear();
    cache.set(key, v);
  }
  return v;
}
