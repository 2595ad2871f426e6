/**
 * @module deploy/plan/datasource
 * One datasource's part of the plan: its manifest entry, the tables it
 * creates, the live data it would drop, and — when its table is new — what
 * fills it: views re-run over live sources, or a copy of its live table plus a
 * forward for the writes that arrive while the deployment stages.
 */
import type { DatasourceFile } from "../../datafiles/index.js";
import type { DeploymentManifest, ManifestDatasource } from "../manifest.js";
import { landingBackfill, viewBackfills } from "./backfills.js";
import { copySelectList } from "./copy-from-live.js";
import { droppedColumns } from "./destructive.js";
import type { FeedingPipes } from "./feeding.js";
import { planForward } from "./forwards.js";
import { planDatasourceTable, planQuarantineTable } from "./tables.js";
import type { DestructiveChange, PhysicalTables, PlannedBackfill, PlannedTable, PlannedView, ViewQueries } from "./types.js";

export interface DatasourcePlanInput {
  name: string;
  ds: DatasourceFile;
  tables: PhysicalTables;
  views: ViewQueries;
  feeding: FeedingPipes;
  live?: DeploymentManifest;
  database: string;
  tag: string;
}

export interface DatasourcePlan {
  entry: ManifestDatasource;
  /** Its quarantine table, then its own table, each when new. */
  tables: PlannedTable[];
  destructive: DestructiveChange[];
  backfills: PlannedBackfill[];
  forwards: PlannedView[];
}

export function planDatasource(input: DatasourcePlanInput): DatasourcePlan {
  const { name, ds, tables, views, feeding, live, database, tag } = input;
  const physical = tables.get(name)!;
  const liveDs = live?.datasources[name];
  const quarantine = planQuarantineTable({ name, ds, ...(liveDs ? { liveDs } : {}), database, tag });
  const entry: ManifestDatasource = {
    name, table: physical.table, identity: physical.identity, quarantineTable: quarantine.table, quarantineIdentity: quarantine.identity, file: ds,
  };
  const plan: DatasourcePlan = { entry, tables: quarantine.create ? [quarantine.create] : [], destructive: [], backfills: [], forwards: [] };
  const table = planDatasourceTable(name, ds, physical, database);
  if (!table) return plan;
  plan.tables.push(table);
  plan.destructive.push(...droppedColumns(name, ds, liveDs));
  if (ds.backfill === "skip") return plan;

  const pipes = feeding.get(name);
  if (pipes) {
    plan.backfills.push(...viewBackfills({ datasource: name, target: physical.table, pipes, views, tables, ...(live ? { live } : {}) }));
  } else if (liveDs) {
    const selectList = copySelectList(ds, liveDs);
    if (selectList === undefined) return plan;
    plan.backfills.push(landingBackfill(name, physical.table, liveDs.table, selectList));
    plan.forwards.push(planForward({ datasource: name, liveTable: liveDs.table, target: physical.table, selectList, database, tag }));
  }
  return plan;
}
