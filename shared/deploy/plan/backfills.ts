/**
 * @module deploy/plan/backfills
 * What fills a new table with the data live holds. A landing datasource copies
 * its live table (see copy-from-live.ts); a datasource fed by materialized
 * views re-runs those views over their live sources. A view reading a table
 * that is itself new fills by cascade when that table is backfilled, so it
 * gets no backfill of its own. `BACKFILL skip` opts out of both.
 */
import type { PipeFile } from "../../datafiles/index.js";
import type { DeploymentManifest } from "../manifest.js";
import type { ProjectProblem } from "../project.js";
import { copyFrom } from "./copy-from-live.js";
import { throughSubqueries } from "./physical-tables.js";
import type { PhysicalTables, PlannedBackfill, ViewQueries } from "./types.js";

function isLiveTable(live: DeploymentManifest | undefined, table: string): boolean {
  return live !== undefined && Object.values(live.datasources).some((d) => d.table === table);
}

/** A landing datasource's new table, filled from its live table with `selectList` (copy-from-live.ts). */
export function landingBackfill(datasource: string, target: string, liveTable: string, selectList: string): PlannedBackfill {
  return { datasource, target, sources: [liveTable], select: copyFrom(liveTable, selectList) };
}

export interface ViewBackfillsInput {
  datasource: string;
  /** The datasource's new physical table. */
  target: string;
  /** The materialized pipes feeding it. */
  pipes: readonly PipeFile[];
  views: ViewQueries;
  tables: PhysicalTables;
  live?: DeploymentManifest;
}

/** A view-fed datasource's new table: one backfill per view whose sources are all live. */
export function viewBackfills(input: ViewBackfillsInput): PlannedBackfill[] {
  const { datasource, target, pipes, views, tables, live } = input;
  const backfills: PlannedBackfill[] = [];
  for (const pipe of pipes) {
    const view = views.get(pipe.name);
    if (!view) continue;
    const liveSources = view.sources.filter((s) => isLiveTable(live, s));
    if (liveSources.length === 0 || liveSources.length !== view.sources.length) continue;
    backfills.push({
      datasource,
      target,
      sources: liveSources,
      // The view compiled when its target was named; compiling it again over other sources finds nothing new to report.
      select: (from) => view.compile(throughSubqueries(tables, from), [] as ProjectProblem[]) ?? "",
    });
  }
  return backfills;
}
