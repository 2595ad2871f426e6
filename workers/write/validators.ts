/**
 * @module write/validators
 * Row validators compiled once per datasource version and kept per isolate:
 * manifests are immutable, so (workspace database, physical table) is a key
 * that never goes stale (`rowValidators` in platform/caches.ts).
 */
import { compileRowValidator, type RowValidator } from "../../shared/ingest/index.js";
import type { DeploymentManifest, ManifestDatasource } from "../../shared/deploy/manifest.js";
import { isolateCache } from "../platform/caches.js";

const cache = isolateCache<RowValidator>("rowValidators");

export function validatorFor(manifest: DeploymentManifest, ds: ManifestDatasource): RowValidator {
  const key = `${manifest.database}.${ds.table}`;
  return cache.get(key) ?? cache.set(key, compileRowValidator(ds.file.columns));
}
