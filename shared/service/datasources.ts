/**
 * @module service/datasources
 * Tinybird's service datasources (`tinybird.*`) as Tern stores them: one shared
 * table per kind in the service database, with a `workspace_id` column. A query
 * naming `tinybird.x` reads `(SELECT * EXCEPT workspace_id FROM <service>.x
 * WHERE workspace_id = '<ws>')`, so a workspace only ever sees its own rows.
 */
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../sql/ddl/index.js";

export const SERVICE_DATABASE = "tern_service";

export interface ServiceDatasource {
  name: string;
  /** Columns after `workspace_id`, as ClickHouse column definitions. */
  columns: Array<[name: string, type: string]>;
  engine: string;
}

export const DATASOURCES_OPS_LOG: ServiceDatasource = {
  name: "datasources_ops_log",
  columns: [
    ["timestamp", "DateTime64(3)"],
    ["event_type", "LowCardinality(String)"],
    ["datasource_id", "String"],
    ["datasource_name", "String"],
    ["result", "LowCardinality(String)"],
    ["elapsed_time", "Float32"],
    ["error", "Nullable(String)"],
    ["request_id", "String"],
    ["import_id", "String"],
    ["job_id", "Nullable(String)"],
    ["rows", "UInt64"],
    ["rows_quarantine", "UInt64"],
    ["blocks_ids", "Array(String)"],
    ["Options.Names", "Array(String)"],
    ["Options.Values", "Array(String)"],
    ["operation_id", "String"],
    ["read_rows", "UInt64"],
    ["read_bytes", "UInt64"],
    ["written_rows", "UInt64"],
    ["written_bytes", "UInt64"],
    ["written_rows_quarantine", "UInt64"],
    ["written_bytes_quarantine", "UInt64"],
    ["pipe_id", "String"],
    ["pipe_name", "String"],
    ["release", "String"],
    ["resource_tags", "Array(String)"],
    ["cpu_time", "Float32"],
  ],
  engine: "MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (workspace_id, timestamp) TTL toDateTime(timestamp) + INTERVAL 90 DAY",
};

export const SERVICE_DATASOURCES: ServiceDatasource[] = [DATASOURCES_OPS_LOG];

export function serviceTableDdl(ds: ServiceDatasource): string {
  const cols = [["workspace_id", "String"] as const, ...ds.columns].map(([n, t]) => `    ${quoteIdentifier(n)} ${t}`);
  return `CREATE TABLE IF NOT EXISTS ${quoteQualifiedName(SERVICE_DATABASE, ds.name)}\n(\n${cols.join(",\n")}\n)\nENGINE = ${ds.engine}`;
}

/** The subquery a workspace's `tinybird.<name>` reads, or undefined for an unknown name. */
export function serviceDatasourceSubquery(name: string, workspaceId: string, registry: readonly ServiceDatasource[] = SERVICE_DATASOURCES): string | undefined {
  const ds = registry.find((d) => d.name === name);
  if (!ds) return undefined;
  const cols = ds.columns.map(([n]) => quoteIdentifier(n)).join(", ");
  return `SELECT ${cols} FROM ${quoteQualifiedName(SERVICE_DATABASE, ds.name)} WHERE workspace_id = ${quoteString(workspaceId)}`;
}
