/**
 * @module deploy/plan/build-manifest
 * The new deployment's manifest, and the objects it owns. The manifest lists
 * every ClickHouse object the deployment reads or writes, shared ones
 * included (cleanup keeps what any kept deployment still lists); the owned
 * objects are only those this deployment creates (dropped if it fails or is
 * discarded).
 */
import type { DeploymentManifest, ManifestDatasource, ManifestPipe, ManifestToken, ManifestView } from "../manifest.js";
import type { Project } from "../project.js";
import type { PlannedTable, PlannedView } from "./types.js";

export interface ManifestInput {
  project: Project;
  live?: DeploymentManifest;
  database: string;
  datasources: Record<string, ManifestDatasource>;
  pipes: Record<string, ManifestPipe>;
  tokens: ManifestToken[];
  /** Materialized views this deployment creates. */
  views: readonly PlannedView[];
  forwards: readonly PlannedView[];
}

/**
 * Each materialized pipe's view (with the sources it was planned with, or
 * live's record of a kept view), then the forwards.
 */
function manifestViews(input: ManifestInput): ManifestView[] {
  const { live, datasources, pipes, views, forwards } = input;
  const materialized = Object.values(pipes).flatMap((p) => {
    const pub = p.file.publication;
    if (!p.materializedView || pub.type !== "materialized") return [];
    const planned = views.find((v) => v.name === p.materializedView);
    const target = datasources[pub.datasource]!.table;
    const sources = planned?.sources ?? live?.objects.views.find((v) => v.name === p.materializedView)?.sources ?? [];
    return [{ name: p.materializedView, sources, target }];
  });
  return [...materialized, ...forwards.map((f) => ({ name: f.name, sources: f.sources, target: f.target }))];
}

export function buildManifest(input: ManifestInput): DeploymentManifest {
  const { project, database, datasources, pipes, tokens } = input;
  return {
    database,
    datasources,
    pipes,
    connections: Object.fromEntries(project.connections),
    tokens,
    files: project.files,
    objects: {
      tables: Object.values(datasources).flatMap((d) => [d.table, d.quarantineTable]),
      views: manifestViews(input),
    },
  };
}

/** What this deployment creates, per datasource (quarantine table, table, forward), then its views. */
export function ownedObjects(perDatasource: ReadonlyArray<{ tables: readonly PlannedTable[]; forwards: readonly PlannedView[] }>, views: readonly PlannedView[]): string[] {
  return [
    ...perDatasource.flatMap((d) => [...d.tables.map((t) => t.table), ...d.forwards.map((f) => f.name)]),
    ...views.map((v) => v.name),
  ];
}
