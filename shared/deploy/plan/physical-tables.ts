/**
 * @module deploy/plan/physical-tables
 * Phase one: each datasource's physical table. A table is shared with live
 * when its identity — its CREATE TABLE plus the SQL of the views feeding it —
 * is unchanged; otherwise this deployment gets a new one. Resolved
 * depth-first: a target's identity includes its views' SQL, which names their
 * sources' physical tables, so a changed source makes every table downstream
 * of it new too.
 */
import type { PipeFile } from "../../datafiles/index.js";
import { createTableSql } from "../../sql/ddl/index.js";
import type { TableResolution } from "../../sql/rewrite/index.js";
import { shortHash } from "../hash.js";
import type { DeploymentManifest } from "../manifest.js";
import type { Project, ProjectProblem } from "../project.js";
import type { FeedingPipes } from "./feeding.js";
import { withIngestSettings } from "./ingest-settings.js";
import { newTableName } from "./names.js";
import { compileViewQuery } from "./view-query.js";
import type { DatasourceResolver, PhysicalTable, PhysicalTables, ViewQueries, ViewQuery } from "./types.js";

/** Where identities are computed: the same definition hashes the same in any workspace. */
export const PLACEHOLDER_TARGET = { database: "db", table: "t" } as const;

export interface PhysicalTablesInput {
  project: Project;
  live?: DeploymentManifest;
  database: string;
  tag: string;
  feeding: FeedingPipes;
}

export type PhysicalTablesResult =
  | { ok: true; tables: PhysicalTables; views: ViewQueries }
  | { ok: false; problems: ProjectProblem[] };

/** A datasource's identity: its CREATE TABLE as Tern runs it, and its feeding views' SQL (in any order). */
export function datasourceIdentity(createTable: string, feedingViews: readonly string[]): string {
  return shortHash([createTable, ...[...feedingViews].sort()].join("\n--\n"));
}

export function resolvePhysicalTables(input: PhysicalTablesInput): PhysicalTablesResult {
  const { project, live, database, tag, feeding } = input;
  const problems: ProjectProblem[] = [];
  const tables = new Map<string, PhysicalTable>();
  const views = new Map<string, ViewQuery>();
  const visiting = new Set<string>();

  /** The view's SQL as it names its sources' physical tables, recording them. */
  const feedingView = (pipe: PipeFile): string | undefined => {
    const node = (pipe.publication as { node: string }).node;
    const sources: string[] = [];
    const collect = (t: string): TableResolution => {
      const physical = resolve(t);
      if (!physical) return { error: `Resource '${t}' not found` };
      sources.push(physical);
      return { database, table: physical };
    };
    const sql = compileViewQuery({ project, pipe, node, resolve: collect }, problems);
    if (sql === undefined) return undefined;
    views.set(pipe.name, {
      sources: [...new Set(sources)],
      compile: (resolveDs: DatasourceResolver, sink: ProjectProblem[]) => compileViewQuery({ project, pipe, node, resolve: resolveDs }, sink),
    });
    return sql;
  };

  const resolve = (name: string): string | undefined => {
    const known = tables.get(name);
    if (known) return known.table;
    const ds = project.datasources.get(name);
    if (!ds) return undefined;
    if (visiting.has(name)) {
      problems.push({ filename: ds.path, error: `${ds.path}: materialized views form a cycle through '${name}'` });
      return undefined;
    }
    visiting.add(name);
    const feeds: string[] = [];
    for (const pipe of feeding.get(name) ?? []) {
      const sql = feedingView(pipe);
      if (sql !== undefined) feeds.push(sql);
    }
    visiting.delete(name);
    const identity = datasourceIdentity(createTableSql(withIngestSettings(ds), PLACEHOLDER_TARGET), feeds);
    const liveDs = live?.datasources[name];
    const shared = liveDs !== undefined && liveDs.identity === identity;
    const table = shared ? liveDs.table : newTableName(name, identity, tag);
    tables.set(name, { table, identity, shared });
    return table;
  };

  for (const name of project.datasources.keys()) resolve(name);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, tables, views };
}

/** Datasources read from the workspace's database, by their physical tables. */
export function inDatabase(tables: PhysicalTables, database: string): DatasourceResolver {
  return (t) => {
    const physical = tables.get(t)?.table;
    return physical ? { database, table: physical } : { error: `Resource '${t}' not found` };
  };
}

/** Datasources read through whatever `from` makes of their physical tables (a backfill's snapshot). */
export function throughSubqueries(tables: PhysicalTables, from: (table: string) => string): DatasourceResolver {
  return (t) => {
    const physical = tables.get(t)?.table;
    return physical ? { subquery: from(physical) } : { error: `Resource '${t}' not found` };
  };
}
