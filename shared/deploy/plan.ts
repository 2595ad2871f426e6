/**
 * @module deploy/plan
 * Diffs a project against the live deployment and says what to build: which
 * physical tables are new (and how they are filled), which materialized views to
 * create, what to forward from live while staging, which SQL to validate, and
 * what would destroy data. Pure: the Worker executes the plan (workers/deploy/apply.ts).
 *
 * Naming: a datasource's physical table is shared with live when its identity
 * (its CREATE TABLE plus the materialized views feeding it) is unchanged;
 * otherwise the new deployment gets its own table, `<name>__<identity>_<tag>`.
 *
 * This module runs the phases in order; each lives in `./plan/` (its README
 * lists them) with its own tests in test/unit/deploy/. Two phases can refuse
 * a project: the physical tables (a view that does not compile, or views
 * feeding each other) and the validated queries; a project refused by the
 * first is not checked by the second.
 */
import type { DatasourceFile } from "../datafiles/index.js";
import { buildManifest, ownedObjects } from "./plan/build-manifest.js";
import { planChanges, sameFilesAsLive } from "./plan/changes.js";
import { planDatasource } from "./plan/datasource.js";
import { deletedDatasources } from "./plan/destructive.js";
import { feedingPipes } from "./plan/feeding.js";
import { projectWithKafkaMetaColumns } from "./plan/kafka-columns.js";
import { planMaterializedViews } from "./plan/materialized-views.js";
import { resolvePhysicalTables } from "./plan/physical-tables.js";
import { declaredTokens } from "./plan/tokens.js";
import type { PlanInput, PlanResult } from "./plan/types.js";
import { planValidations } from "./plan/validations.js";

export type {
  DestructiveChange, Plan, PlanInput, PlannedBackfill, PlannedTable, PlannedValidation, PlannedView, PlanResult,
} from "./plan/types.js";
export { withIngestSettings } from "./plan/ingest-settings.js";

export function planDeployment(input: PlanInput): PlanResult {
  const { live, database, tag } = input;
  const project = projectWithKafkaMetaColumns(input.project);
  const known = live ? { live } : {};

  const feeding = feedingPipes(project);
  const physical = resolvePhysicalTables({ project, ...known, database, tag, feeding });
  if (!physical.ok) return { ok: false, errors: physical.problems };
  const { tables, views: viewQueries } = physical;

  const perDatasource = [...project.datasources].map(([name, ds]) =>
    planDatasource({ name, ds, tables, views: viewQueries, feeding, ...known, database, tag }),
  );
  const materialized = planMaterializedViews({ project, tables, views: viewQueries, ...known, database, tag });
  const validated = planValidations({ project, tables, database });
  if (validated.problems.length > 0) return { ok: false, errors: validated.problems };

  const changes = planChanges(project, live);
  const forwards = perDatasource.flatMap((d) => d.forwards);
  const manifest = buildManifest({
    project, ...known, database,
    datasources: Object.fromEntries(perDatasource.map((d) => [d.entry.name, d.entry])),
    pipes: materialized.pipes,
    tokens: declaredTokens(project),
    views: materialized.views,
    forwards,
  });
  return {
    ok: true,
    plan: {
      manifest,
      changes,
      tables: perDatasource.flatMap((d) => d.tables),
      views: materialized.views,
      forwards,
      backfills: perDatasource.flatMap((d) => d.backfills),
      destructive: [...perDatasource.flatMap((d) => d.destructive), ...deletedDatasources(changes.deleted_datasource_names, live)],
      validations: validated.validations,
      usesServiceViews: validated.usesServiceViews,
      ownedObjects: ownedObjects(perDatasource, materialized.views),
      identical: sameFilesAsLive(project, live),
    },
  };
}

export type { DatasourceFile };
