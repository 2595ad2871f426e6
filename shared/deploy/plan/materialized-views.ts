/**
 * @module deploy/plan/materialized-views
 * The materialized pipes' views. A view is new exactly when its target table
 * is new: a shared target keeps live's view, which already feeds it (its SQL is
 * part of the target's identity, so it cannot have changed).
 */
import { createMaterializedViewSql, materializedViewQuery } from "../../sql/ddl/index.js";
import type { DeploymentManifest, ManifestPipe } from "../manifest.js";
import type { Project, ProjectProblem } from "../project.js";
import { materializedViewName } from "./names.js";
import { inDatabase, throughSubqueries } from "./physical-tables.js";
import type { PhysicalTables, PlannedView, ViewQueries } from "./types.js";

export interface MaterializedViewsInput {
  project: Project;
  tables: PhysicalTables;
  views: ViewQueries;
  live?: DeploymentManifest;
  database: string;
  tag: string;
}

export interface MaterializedViewsPlan {
  /** Every pipe's manifest entry, with the view it uses when materialized. */
  pipes: Record<string, ManifestPipe>;
  /** The views this deployment creates. */
  views: PlannedView[];
}

export function planMaterializedViews(input: MaterializedViewsInput): MaterializedViewsPlan {
  const { project, tables, views: queries, live, database, tag } = input;
  const views: PlannedView[] = [];
  const pipes: Record<string, ManifestPipe> = {};
  for (const [name, pipe] of project.pipes) {
    const entry: ManifestPipe = { name, file: pipe };
    pipes[name] = entry;
    const pub = pipe.publication;
    if (pub.type !== "materialized") continue;
    const target = tables.get(pub.datasource)!;
    const liveView = live?.pipes[name]?.materializedView;
    if (target.shared && liveView) {
      entry.materializedView = liveView;
      continue;
    }
    const query = queries.get(name);
    if (!query) continue;
    const problems: ProjectProblem[] = [];
    const select = query.compile(inDatabase(tables, database), problems);
    // It compiled when its target was named, over the same tables: failing now is a bug in the planner, not in the project.
    if (select === undefined) throw new Error(`materialized pipe '${name}' compiled once and not again: ${JSON.stringify(problems)}`);
    const view = materializedViewName(name, tag);
    views.push({
      pipe: name,
      name: view,
      target: target.table,
      sources: query.sources,
      sql: createMaterializedViewSql({ database, view, targetTable: target.table }, select),
      query: materializedViewQuery(select),
      select: (from) => query.compile(throughSubqueries(tables, from), []) ?? "",
    });
    entry.materializedView = view;
  }
  return { pipes, views };
}
