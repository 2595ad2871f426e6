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
 */
import type { DatasourceFile, PipeFile } from "../datafiles/index.js";
import {
  createMaterializedViewSql, createQuarantineTableSql, materializedViewQuery, createTableSql, quarantineTableName, quarantineTableShape, quoteQualifiedName,
  tableShapeOf, type TableShape,
} from "../sql/ddl/index.js";
import { SERVICE_DATASOURCES, serviceViewName } from "../service/datasources.js";
import { compilePipe } from "../sql/pipeline/index.js";
import { quoteIdentifier, type TableResolution } from "../sql/rewrite/index.js";
import { shortHash } from "./hash.js";
import type { DeploymentChanges, DeploymentManifest, ManifestDatasource, ManifestPipe } from "./manifest.js";
import type { Project, ProjectProblem } from "./project.js";
import { renderNodesWithDefaults } from "./render-defaults.js";

export interface PlannedTable {
  datasource: string;
  table: string;
  /** The datasource's own table, or its `_quarantine` table. */
  kind: "datasource" | "quarantine";
  sql: string;
  /** What `sql` declares, for the deploy's check on ClickHouse's parse of it. */
  shape: TableShape;
}

export interface PlannedView {
  pipe: string;
  name: string;
  target: string;
  /** Physical tables the view reads. */
  sources: string[];
  sql: string;
  /** The SELECT inside `sql`, exactly as written there: the deploy passes it through the read guard first. */
  query: string;
  /** The view's SELECT with each source resolved by `from`, for backfills. */
  select(from: (table: string) => string): string;
}

export interface PlannedBackfill {
  datasource: string;
  target: string;
  /** Live tables read; the executor snapshots their parts so nothing is read twice. */
  sources: string[];
  select(from: (table: string) => string): string;
}

export interface DestructiveChange {
  datasource: string;
  /** Live physical table whose data would be lost. */
  table: string;
  column?: string;
  message: string;
}

export interface Plan {
  manifest: DeploymentManifest;
  changes: DeploymentChanges;
  tables: PlannedTable[];
  views: PlannedView[];
  /** Live table → new table while staging, so live writes reach the new deployment. */
  forwards: PlannedView[];
  backfills: PlannedBackfill[];
  destructive: DestructiveChange[];
  validations: Array<{ pipe: string; node: string; sql: string }>;
  /** Some validated query reads `tinybird.*`, through the workspace's service views (they must exist before validation). */
  usesServiceViews: boolean;
  /** Physical objects this deployment creates (cleanup on failure or discard). */
  ownedObjects: string[];
  identical: boolean;
}

export interface PlanInput {
  project: Project;
  live?: DeploymentManifest;
  database: string;
  /** Distinguishes this deployment's new objects from any older ones. */
  tag: string;
}

const PLACEHOLDER_DB = "db";
const PLACEHOLDER_TABLE = "t";

function sameFiles(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

function diffNames(
  next: Map<string, { path: string }>,
  live: Record<string, { file: { path: string } }> | undefined,
  nextFiles: Record<string, string>,
  liveFiles: Record<string, string> | undefined,
): { added: string[]; changed: string[]; deleted: string[] } {
  const base = (p: string) => p.split(/[\\/]/).pop() ?? p;
  const added: string[] = [];
  const changed: string[] = [];
  for (const [name, file] of next) {
    const was = live?.[name];
    if (!was) added.push(name);
    else if (liveFiles?.[base(was.file.path)] !== nextFiles[base(file.path)]) changed.push(name);
  }
  const deleted = Object.keys(live ?? {}).filter((n) => !next.has(n));
  return { added: added.sort(), changed: changed.sort(), deleted: deleted.sort() };
}

/** The SELECT list of a FORWARD_QUERY, with or without its leading SELECT. */
function forwardSelectList(forwardQuery: string): string {
  return forwardQuery.trim().replace(/^select\s+/i, "");
}

/**
 * Tables as Tern creates them: MergeTree-family tables keep a deduplication
 * window, so a retried insert with the same `insert_deduplication_token`
 * (queue redelivery) never lands twice.
 */
export function withIngestSettings(ds: DatasourceFile): DatasourceFile {
  const engine = ds.engine;
  if (engine.type === "Null" || engine.type === "Join") return ds;
  if (engine.settings && /non_replicated_deduplication_window/.test(engine.settings)) return ds;
  const settings = [engine.settings, "non_replicated_deduplication_window = 10000"].filter(Boolean).join(", ");
  return { ...ds, engine: { ...engine, settings } };
}

export function planDeployment(input: PlanInput): { ok: true; plan: Plan } | { ok: false; errors: ProjectProblem[] } {
  const { project, live, database, tag } = input;
  const errors: ProjectProblem[] = [];

  const feeding = new Map<string, PipeFile[]>();
  for (const pipe of project.pipes.values()) {
    if (pipe.publication.type === "materialized") {
      const list = feeding.get(pipe.publication.datasource) ?? [];
      list.push(pipe);
      feeding.set(pipe.publication.datasource, list);
    }
  }

  // Physical names, resolved depth-first: a target's identity includes the
  // SQL of the views feeding it, which names their sources' physical tables.
  const tableOf = new Map<string, { table: string; identity: string; shared: boolean }>();
  const viewSql = new Map<string, { compile: (resolve: (name: string) => TableResolution) => string | undefined; sources: string[] }>();
  const visiting = new Set<string>();

  const renderedNodes = (pipe: PipeFile, mode: "normal" | "check") => {
    const rendered = renderNodesWithDefaults(pipe.nodes, mode);
    if (!rendered.ok) {
      errors.push({ filename: pipe.path, error: `${pipe.path}: node '${rendered.node}': ${rendered.error}` });
      return undefined;
    }
    return rendered.nodes;
  };

  /**
   * A view's SELECT: its node chain with defaults only (views run without
   * request params), datasources resolved by `resolveDs`, and pipes it reads
   * inlined as subqueries, so the view still fires on their datasources.
   */
  const compileView = (pipe: PipeFile, node: string, resolveDs: (name: string) => TableResolution, stack: string[]): string | undefined => {
    if (stack.includes(pipe.name)) {
      errors.push({ filename: pipe.path, error: `${pipe.path}: pipes read each other in a cycle: ${[...stack, pipe.name].join(" → ")}` });
      return undefined;
    }
    const nodes = renderedNodes(pipe, "normal");
    if (!nodes) return undefined;
    const compiled = compilePipe(nodes, node, (t, db) => {
      if (db !== undefined) return { error: `Resource '${db}.${t}' not found` };
      if (project.datasources.has(t)) return resolveDs(t);
      const other = project.pipes.get(t);
      if (other && other.publication.type !== "materialized") {
        const target = "node" in other.publication ? other.publication.node : other.nodes[other.nodes.length - 1]?.name;
        const sub = target ? compileView(other, target, resolveDs, [...stack, pipe.name]) : undefined;
        return sub === undefined ? { error: `Pipe '${t}' cannot be read` } : { subquery: sub };
      }
      return { error: `Resource '${t}' not found` };
    });
    if (!compiled.ok) {
      errors.push({ filename: pipe.path, error: `${pipe.path}: node '${node}': ${compiled.error.message}` });
      return undefined;
    }
    return compiled.sql;
  };

  const resolveDatasource = (name: string): string | undefined => {
    const known = tableOf.get(name);
    if (known) return known.table;
    const ds = project.datasources.get(name);
    if (!ds) return undefined;
    if (visiting.has(name)) {
      errors.push({ filename: ds.path, error: `${ds.path}: materialized views form a cycle through '${name}'` });
      return undefined;
    }
    visiting.add(name);
    const feeds: string[] = [];
    for (const pipe of feeding.get(name) ?? []) {
      const pub = pipe.publication as { node: string };
      const sources: string[] = [];
      const collect = (t: string): TableResolution => {
        const physical = resolveDatasource(t);
        if (!physical) return { error: `Resource '${t}' not found` };
        sources.push(physical);
        return { database, table: physical };
      };
      const sql = compileView(pipe, pub.node, collect, []);
      if (sql === undefined) continue;
      feeds.push(sql);
      viewSql.set(pipe.name, {
        sources: [...new Set(sources)],
        compile: (resolve) => compileView(pipe, pub.node, resolve, []),
      });
    }
    visiting.delete(name);
    const identity = shortHash([createTableSql(withIngestSettings(ds), { database: PLACEHOLDER_DB, table: PLACEHOLDER_TABLE }), ...feeds.sort()].join("\n--\n"));
    const liveDs = live?.datasources[name];
    const shared = liveDs !== undefined && liveDs.identity === identity;
    const table = shared ? liveDs.table : `${name}__${identity}_${tag}`;
    tableOf.set(name, { table, identity, shared });
    return table;
  };

  for (const name of project.datasources.keys()) resolveDatasource(name);
  if (errors.length > 0) return { ok: false, errors };

  const datasources: Record<string, ManifestDatasource> = {};
  const tables: PlannedTable[] = [];
  const destructive: DestructiveChange[] = [];
  const backfills: PlannedBackfill[] = [];
  const forwards: PlannedView[] = [];
  const ownedObjects: string[] = [];

  for (const [name, ds] of project.datasources) {
    const { table, identity, shared } = tableOf.get(name)!;
    const liveDs = live?.datasources[name];
    const quarantineIdentity = shortHash(createQuarantineTableSql(ds, { database: PLACEHOLDER_DB, table: PLACEHOLDER_TABLE }));
    const quarantineShared = liveDs !== undefined && liveDs.quarantineIdentity === quarantineIdentity;
    const quarantineBase = `${name}__${quarantineIdentity}_${tag}`;
    const quarantineTable = quarantineShared ? liveDs.quarantineTable : quarantineTableName(quarantineBase);
    datasources[name] = { name, table, identity, quarantineTable, quarantineIdentity, file: ds };
    if (!quarantineShared) {
      // Quarantine inserts carry deduplication tokens too (a retried batch's quarantined rows land once);
      // the setting is left out of the identity, so existing quarantine tables stay in use.
      const target = { database, table: quarantineBase };
      const sql = `${createQuarantineTableSql(ds, target)}\nSETTINGS non_replicated_deduplication_window = 10000`;
      const shape = quarantineTableShape(ds, target);
      tables.push({ datasource: name, table: quarantineTable, kind: "quarantine", sql, shape: { ...shape, clauses: [...shape.clauses, "settings"] } });
      ownedObjects.push(quarantineTable);
    }
    if (shared) continue;
    const definition = withIngestSettings(ds);
    tables.push({
      datasource: name, table, kind: "datasource", sql: createTableSql(definition, { database, table }), shape: tableShapeOf(definition, { database, table }),
    });
    ownedObjects.push(table);

    if (liveDs) {
      const kept = new Set(ds.columns.map((c) => c.name));
      for (const col of liveDs.file.columns) {
        if (!kept.has(col.name) && !ds.forwardQuery) {
          destructive.push({ datasource: name, table: liveDs.table, column: col.name, message: `Datasource '${name}': column '${col.name}' would be dropped with its data` });
        }
      }
    }
    if (ds.backfill === "skip") continue;
    if (feeding.has(name)) {
      // Filled by re-running the views that feed it, over their live sources;
      // views reading new tables fill it by cascade when those are backfilled.
      for (const pipe of feeding.get(name)!) {
        const view = viewSql.get(pipe.name);
        if (!view) continue;
        const liveSources = view.sources.filter((s) => isLiveTable(live, s));
        if (liveSources.length === 0 || liveSources.length !== view.sources.length) continue;
        backfills.push({
          datasource: name,
          target: table,
          sources: liveSources,
          select: (from) => view.compile((t) => {
            const physical = tableOf.get(t)?.table;
            return physical ? { subquery: from(physical) } : { error: `Resource '${t}' not found` };
          }) ?? "",
        });
      }
    } else if (liveDs && !feeding.has(name)) {
      const newCols = ds.columns.map((c) => c.name);
      const oldCols = new Set(liveDs.file.columns.map((c) => c.name));
      const selectList = ds.forwardQuery
        ? forwardSelectList(ds.forwardQuery)
        : newCols.filter((c) => oldCols.has(c)).map(quoteIdentifier).join(", ");
      const insertCols = ds.forwardQuery ? newCols : newCols.filter((c) => oldCols.has(c));
      if (insertCols.length === 0) continue;
      const select = (from: (t: string) => string) => `SELECT ${selectList} FROM (${from(liveDs.table)})`;
      backfills.push({ datasource: name, target: table, sources: [liveDs.table], select: (from) => select(from) });
      const forwardName = `${name}__forward_${tag}`;
      const query = `SELECT ${selectList} FROM ${quoteQualifiedName(database, liveDs.table)}`;
      forwards.push({
        pipe: name,
        name: forwardName,
        target: table,
        sources: [liveDs.table],
        sql: `CREATE MATERIALIZED VIEW ${quoteQualifiedName(database, forwardName)} TO ${quoteQualifiedName(database, table)} AS ${query}`,
        query,
        select,
      });
      ownedObjects.push(forwardName);
    }
  }

  // Views are new exactly when their target table is new.
  const views: PlannedView[] = [];
  const pipes: Record<string, ManifestPipe> = {};
  for (const [name, pipe] of project.pipes) {
    const entry: ManifestPipe = { name, file: pipe };
    const pub = pipe.publication;
    if (pub.type === "materialized") {
      const target = tableOf.get(pub.datasource)!;
      const liveView = live?.pipes[name]?.materializedView;
      if (target.shared && liveView) {
        entry.materializedView = liveView;
      } else {
        const view = viewSql.get(name);
        if (view) {
          const mvName = `${name}__mv_${tag}`;
          const select = view.compile((t) => {
            const physical = tableOf.get(t)?.table;
            return physical ? { database, table: physical } : { error: `Resource '${t}' not found` };
          })!;
          views.push({
            pipe: name,
            name: mvName,
            target: target.table,
            sources: view.sources,
            sql: createMaterializedViewSql({ database, view: mvName, targetTable: target.table }, select),
            query: materializedViewQuery(select),
            select: (from) => view.compile((t) => {
              const physical = tableOf.get(t)?.table;
              return physical ? { subquery: from(physical) } : { error: `Resource '${t}' not found` };
            }) ?? "",
          });
          entry.materializedView = mvName;
          ownedObjects.push(mvName);
        }
      }
    }
    pipes[name] = entry;
  }

  // Every query a pipe can serve must compile against this deployment. A pipe
  // may read another pipe (its published node, or its last one) as a subquery.
  const validations: Plan["validations"] = [];
  const pipeQueries = new Map<string, string | null>();
  let usesServiceViews = false;
  const targetNodeOf = (pipe: PipeFile) => {
    const pub = pipe.publication;
    return "node" in pub ? pub.node : pipe.nodes[pipe.nodes.length - 1]?.name;
  };
  const pipeQuery = (pipe: PipeFile, stack: string[]): string | null => {
    const known = pipeQueries.get(pipe.name);
    if (known !== undefined) return known;
    if (stack.includes(pipe.name)) {
      errors.push({ filename: pipe.path, error: `${pipe.path}: pipes read each other in a cycle: ${[...stack, pipe.name].join(" → ")}` });
      return null;
    }
    const node = targetNodeOf(pipe);
    const nodes = node ? renderedNodes(pipe, "check") : undefined;
    if (!node || !nodes) {
      pipeQueries.set(pipe.name, null);
      return null;
    }
    const compiled = compilePipe(nodes, node, (t, db) => {
      // tinybird.* reads the workspace's own service views, as endpoints do.
      if (db === "tinybird" && SERVICE_DATASOURCES.some((d) => d.name === t)) {
        usesServiceViews = true;
        return { database, table: serviceViewName(t) };
      }
      if (db !== undefined) return { error: `Resource '${db}.${t}' not found` };
      const physical = tableOf.get(t)?.table;
      if (physical) return { database, table: physical };
      const other = project.pipes.get(t);
      if (other && other.publication.type !== "materialized") {
        const sub = pipeQuery(other, [...stack, pipe.name]);
        return sub === null ? { error: `Pipe '${t}' cannot be read` } : { subquery: sub };
      }
      return { error: `Resource '${t}' not found` };
    });
    if (!compiled.ok) {
      errors.push({ filename: pipe.path, error: `${pipe.path}: node '${node}': ${compiled.error.message}` });
      pipeQueries.set(pipe.name, null);
      return null;
    }
    pipeQueries.set(pipe.name, compiled.sql);
    return compiled.sql;
  };
  for (const pipe of project.pipes.values()) {
    if (pipe.publication.type === "materialized") continue;
    const sql = pipeQuery(pipe, []);
    if (sql !== null) validations.push({ pipe: pipe.name, node: targetNodeOf(pipe)!, sql });
  }
  if (errors.length > 0) return { ok: false, errors };

  const dsDiff = diffNames(project.datasources, live?.datasources, project.files, live?.files);
  const pipeDiff = diffNames(project.pipes, live?.pipes, project.files, live?.files);
  const connDiff = diffNames(
    project.connections,
    live ? Object.fromEntries(Object.entries(live.connections).map(([k, v]) => [k, { file: v }])) : undefined,
    project.files,
    live?.files,
  );
  for (const name of dsDiff.deleted) {
    destructive.push({ datasource: name, table: live!.datasources[name]!.table, message: `Datasource '${name}' would be deleted with its data` });
  }

  const tokens = new Map<string, Set<string>>();
  const grant = (token: string, scope: string) => {
    const set = tokens.get(token) ?? new Set<string>();
    set.add(scope);
    tokens.set(token, set);
  };
  for (const ds of project.datasources.values()) {
    for (const t of ds.tokens) grant(t.name, t.scope === "APPEND" ? `DATASOURCES:APPEND:${ds.name}` : `DATASOURCES:READ:${ds.name}`);
  }
  for (const pipe of project.pipes.values()) {
    for (const t of pipe.tokens) grant(t.name, `PIPES:READ:${pipe.name}`);
  }

  const manifest: DeploymentManifest = {
    database,
    datasources,
    pipes,
    connections: Object.fromEntries(project.connections),
    tokens: [...tokens].map(([name, scopes]) => ({ name, scopes: [...scopes].sort() })),
    files: project.files,
    objects: {
      tables: Object.values(datasources).flatMap((d) => [d.table, d.quarantineTable]),
      views: [
        ...Object.values(pipes).flatMap((p) => {
          const pub = p.file.publication;
          if (!p.materializedView || pub.type !== "materialized") return [];
          const planned = views.find((v) => v.name === p.materializedView);
          const target = datasources[pub.datasource]!.table;
          const sources = planned?.sources ?? live?.objects.views.find((v) => v.name === p.materializedView)?.sources ?? [];
          return [{ name: p.materializedView, sources, target }];
        }),
        ...forwards.map((f) => ({ name: f.name, sources: f.sources, target: f.target })),
      ],
    },
  };
  return {
    ok: true,
    plan: {
      manifest,
      changes: {
        new_datasource_names: dsDiff.added,
        changed_datasource_names: dsDiff.changed,
        deleted_datasource_names: dsDiff.deleted,
        new_pipe_names: pipeDiff.added,
        changed_pipe_names: pipeDiff.changed,
        deleted_pipe_names: pipeDiff.deleted,
        new_data_connector_names: connDiff.added,
        changed_data_connector_names: connDiff.changed,
        deleted_data_connector_names: connDiff.deleted,
      },
      tables,
      views,
      forwards,
      backfills,
      destructive,
      validations,
      usesServiceViews,
      ownedObjects,
      identical: live !== undefined && sameFiles(project.files, live.files),
    },
  };
}

function isLiveTable(live: DeploymentManifest | undefined, table: string): boolean {
  return live !== undefined && Object.values(live.datasources).some((d) => d.table === table);
}

export type { DatasourceFile };
