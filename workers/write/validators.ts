/**
 * @module write/validators
 * Row validators compiled once per datasource version and kept per isolate:
 * manifests are immutable, so (workspace database, physical table) is a key
 * that never goes stale (`rowValidators` in platform/caches.ts). The SQL check
 * of the same columns (shared/ingest/sql-check.ts) lives as long as its validator.
 */
import { compileRowValidator, planSqlCheck, type RowValidator, type SqlCheckPlan } from "../../shared/ingest/index.js";
import type { DeploymentManifest, ManifestDatasource } from "../../shared/deploy/manifest.js";
import { isolateCache } from "../platform/caches.js";

const cache = isolateCache<RowValidator>("rowValidators");
const plans = new WeakMap<RowValidator, SqlCheckPlan | null>();

export function validatorFor(manifest: DeploymentManifest, ds: ManifestDatasource): RowValidator {
  const key = `${manifest.database}.${ds.table}`;
  return cache.get(key) ?? cache.set(key, compileRowValidator(ds.file.columns));
}

/** The datasource's SQL check, or undefined when some column is not covered (the Worker validates every line then). */
export function sqlCheckFor(manifest: DeploymentManifest, ds: ManifestDatasource): SqlCheckPlan | undefined {
  const validator = validatorFor(manifest, ds);
  let plan = plans.get(validator);
  if (plan === undefined) plans.set(validator, (plan = planSqlCheck(ds.file.columns) ?? null));
  return plan ?? undefined;
}
