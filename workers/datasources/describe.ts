/**
 * @module datasources/describe
 * A datasource as `GET /v0/datasources[/name]` answers it: Tinybird's keys
 * (`schema.columns`, `engine`, `statistics`), which `tinybird init/pull` read.
 */
import type { ManifestDatasource } from "../../shared/deploy/manifest.js";

export function describeDatasource(ds: ManifestDatasource, stats?: { rows: number; bytes: number }) {
  const f = ds.file;
  const engine: Record<string, unknown> = { engine: f.engine.type };
  if ("sortingKey" in f.engine) {
    engine.sorting_key = f.engine.sortingKey ?? "";
    engine.partition_key = f.engine.partitionKey ?? "";
    engine.primary_key = f.engine.primaryKey ?? "";
    engine.ttl = f.engine.ttl ?? "";
  }
  return {
    id: ds.name,
    name: ds.name,
    description: f.description ?? "",
    type: f.kafka ? "kafka" : f.import ? "s3" : "ndjson",
    schema: {
      columns: f.columns.map((c) => ({
        name: c.name,
        type: c.type,
        nullable: c.nullable,
        default_value: c.default ?? null,
        jsonpath: c.jsonPath ?? null,
        codec: c.codec ?? null,
      })),
    },
    engine,
    ttl: "ttl" in f.engine ? (f.engine.ttl ?? "") : "",
    forward_query: f.forwardQuery ?? null,
    tags: f.tags,
    statistics: stats ? { row_count: stats.rows, bytes: stats.bytes } : undefined,
  };
}
