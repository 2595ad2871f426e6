/**
 * @module deploy/plan/types
 * What a plan holds (the Worker executes it: workers/deploy/apply.ts) and what
 * the phases hand each other. Physical names are table names in the
 * workspace's database; logical names are the project's datasource and pipe names.
 */
import type { TableShape } from "../../sql/ddl/index.js";
import type { TableResolution } from "../../sql/rewrite/index.js";
import type { DeploymentChanges, DeploymentManifest } from "../manifest.js";
import type { Project, ProjectProblem } from "../project.js";

export interface PlannedTable {
  datasource: string;
  table: string;
  /** The datasource's own table, or its `_quarantine` table. */
  kind: "datasource" | "quarantine";
  sql: string;
  /** What `sql` declares, for the deploy's check on ClickHouse's parse of it. */
  shape: TableShape;
}

/** A SELECT whose physical sources the caller places: `from(table)` is what stands for each, e.g. a snapshot of its parts. */
export type SelectFrom = (from: (table: string) => string) => string;

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
  select: SelectFrom;
}

export interface PlannedBackfill {
  datasource: string;
  target: string;
  /** Live tables read; the executor snapshots their parts so nothing is read twice. */
  sources: string[];
  select: SelectFrom;
}

export interface DestructiveChange {
  datasource: string;
  /** Live physical table whose data would be lost. */
  table: string;
  column?: string;
  message: string;
}

export interface PlannedValidation {
  pipe: string;
  node: string;
  sql: string;
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
  validations: PlannedValidation[];
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

export type PlanResult = { ok: true; plan: Plan } | { ok: false; errors: ProjectProblem[] };

/** Where a datasource lives in this deployment. */
export interface PhysicalTable {
  table: string;
  /** Hash of its CREATE TABLE and of the SQL of the views feeding it. */
  identity: string;
  /** The live deployment's table, kept: same identity. Otherwise the table is new. */
  shared: boolean;
}

/** Physical tables by datasource name. */
export type PhysicalTables = ReadonlyMap<string, PhysicalTable>;

/** Answers how a datasource name is read in a query being compiled. */
export type DatasourceResolver = (name: string) => TableResolution;

/**
 * A materialized pipe's SELECT, compiled once to name the tables it reads
 * (`sources`), and again whenever a caller needs it with its datasources
 * resolved another way (into the database, or through a snapshot).
 */
export interface ViewQuery {
  /** Physical tables the view reads, once each. */
  sources: string[];
  /** The SELECT, or undefined with the reasons added to `problems`. */
  compile(resolve: DatasourceResolver, problems: ProjectProblem[]): string | undefined;
}

/** View queries by materialized pipe name. */
export type ViewQueries = ReadonlyMap<string, ViewQuery>;
