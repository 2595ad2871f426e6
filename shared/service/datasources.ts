/**
 * @module service/datasources
 * Tinybird's service datasources (`tinybird.*`) as Tern stores them: one shared
 * table per kind in the service database, with a `workspace_id` column. A query
 * naming `tinybird.x` reads the view `<workspace db>.tinybird__x` (`serviceViewDdl`):
 * `SELECT <columns> FROM <service>.x [FINAL] WHERE workspace_id = '<ws>'`, so a
 * workspace only ever sees its own rows.
 *
 * | name | rows | written by |
 * |---|---|---|
 * | `pipe_stats_rt` | one per endpoint / Query API call (TTL 7 days) | workers/endpoints/stats.ts, after the answer |
 * | `pipe_stats` | one per workspace, pipe and **hour** (see PIPE_STATS) | a ClickHouse MV on `pipe_stats_rt` |
 * | `endpoint_errors` | one per failed endpoint call (TTL 30 days) | workers/endpoints/stats.ts, next to `pipe_stats_rt` |
 * | `datasources_ops_log` | one per ingest / maintenance operation | workers/write/ops-log.ts |
 * | `jobs_log` | one per job that ends (copy, sink, …; done, error or cancelled) | workers/jobs/jobs-log.ts |
 * | `sinks_ops_log` | one per sink run (ok, error or cancelled) | workers/sinks/ops-log.ts |
 * | `kafka_ops_log` | one per partition of each Kafka consumer, every scheduler tick (TTL 30 days) | workers/scheduler/kafka-ops-log.ts, from `system.kafka_consumers` |
 * | `block_log` | one per block an import wrote or refused (an S3/GCS import: one per file) | workers/write/block-log.ts |
 * | `llm_usage` | one per call to Tinybird's AI features | nothing: Tern has none, so it is always empty, as for a Tinybird workspace that never used them |
 */
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../sql/ddl/index.js";

export const SERVICE_DATABASE = "tern_service";

export interface ServiceDatasource {
  name: string;
  /** Columns after `workspace_id`, as ClickHouse column definitions. */
  columns: Array<[name: string, type: string]>;
  engine: string;
  /**
   * Read with `FINAL`: for rollups (Summing/AggregatingMergeTree) so every key
   * shows as one fully merged row whatever the state of background merges.
   */
  final?: boolean;
}

/**
 * A ClickHouse materialized view between two service tables, created after
 * every table exists. `select` names tables with `{db}` for the service database.
 */
export interface ServiceMaterializedView {
  name: string;
  to: string;
  select: string;
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

/** Tinybird's documented columns (spec 8.1), plus `user_agent`; `token` is a short hash, never the secret. */
export const PIPE_STATS_RT: ServiceDatasource = {
  name: "pipe_stats_rt",
  columns: [
    ["start_datetime", "DateTime"],
    ["pipe_id", "String"],
    ["pipe_name", "String"],
    ["duration", "Float32"],
    ["read_bytes", "UInt64"],
    ["read_rows", "UInt64"],
    ["result_rows", "UInt64"],
    ["url", "String"],
    ["error", "UInt8"],
    ["request_id", "String"],
    ["token", "String"],
    ["token_name", "String"],
    ["status_code", "Int32"],
    ["method", "LowCardinality(String)"],
    ["parameters", "Map(String, String)"],
    ["user_agent", "String"],
    ["cpu_time", "Float32"],
  ],
  engine: "MergeTree PARTITION BY toDate(start_datetime) ORDER BY (workspace_id, start_datetime) TTL start_datetime + INTERVAL 7 DAY",
};

/**
 * `tinybird.pipe_stats`: Tinybird's daily aggregate (spec 8.2) with its column
 * names and meanings (`avg_duration_state` and `quantile_timing_state` in
 * milliseconds, the quantiles 0.9/0.95/0.99), kept by a materialized view on
 * `pipe_stats_rt`.
 *
 * Rows are per **hour**, not per day: one row per (hour, pipe), with Tinybird's
 * `date` column plus an extra `hour` column (last, so `SELECT *` on Tinybird's
 * columns keeps its order). Every measure is a sum or a mergeable state, so the
 * queries written for Tinybird (`GROUP BY date` with `sum(view_count)`,
 * `avgMerge(avg_duration_state)`, `quantilesTimingMerge(0.9, 0.95, 0.99)(…)`)
 * give exactly the daily figures, while the finer grain answers per-hour charts
 * past the 7-day TTL of `pipe_stats_rt`. A query that reads rows without
 * aggregating sees up to 24 rows per pipe and day instead of one. Read with
 * FINAL: each (hour, pipe) is one row even before background merges. TTL 1 year.
 * `cpu_time_sum` is 0 until `pipe_stats_rt.cpu_time` is measured.
 */
export const PIPE_STATS: ServiceDatasource = {
  name: "pipe_stats",
  columns: [
    ["date", "Date"],
    ["pipe_id", "String"],
    ["pipe_name", "String"],
    ["view_count", "UInt64"],
    ["error_count", "UInt64"],
    ["avg_duration_state", "AggregateFunction(avg, Float64)"],
    ["quantile_timing_state", "AggregateFunction(quantilesTiming(0.9, 0.95, 0.99), Float64)"],
    ["read_bytes_sum", "UInt64"],
    ["read_rows_sum", "UInt64"],
    ["cpu_time_sum", "Float64"],
    ["hour", "DateTime"],
  ],
  // SummingMergeTree sums the plain numbers and merges the AggregateFunction states.
  engine: "SummingMergeTree PARTITION BY toYYYYMM(date) ORDER BY (workspace_id, date, hour, pipe_name, pipe_id) TTL date + INTERVAL 1 YEAR",
  final: true,
};

export const PIPE_STATS_MV: ServiceMaterializedView = {
  name: "pipe_stats_mv",
  to: PIPE_STATS.name,
  select: `SELECT
    workspace_id,
    toDate(start_datetime) AS date,
    toStartOfHour(start_datetime) AS hour,
    pipe_id,
    pipe_name,
    count() AS view_count,
    countIf(error != 0) AS error_count,
    avgState(toFloat64(duration) * 1000) AS avg_duration_state,
    quantilesTimingState(0.9, 0.95, 0.99)(toFloat64(duration) * 1000) AS quantile_timing_state,
    sum(read_bytes) AS read_bytes_sum,
    sum(read_rows) AS read_rows_sum,
    sum(toFloat64(cpu_time)) AS cpu_time_sum
FROM {db}.${quoteIdentifier(PIPE_STATS_RT.name)}
GROUP BY workspace_id, date, hour, pipe_id, pipe_name`,
};

/**
 * `tinybird.endpoint_errors`: one row per failed API endpoint call
 * (`/v0/pipes/<pipe>.<format>`; Query API failures are only in
 * `pipe_stats_rt`). Tinybird documents the name but not the columns (spec 8.4,
 * [GAP]); these are Tern's choice, named as in `pipe_stats_rt`: `params` is the
 * request's template parameters (as `pipe_stats_rt.parameters`), `url` has the
 * token removed, `error` is the message the caller received. Calls refused
 * before the endpoint runs for auth or rate limits (401, 403, 429) are not
 * logged, as in `pipe_stats_rt`. TTL 30 days.
 */
export const ENDPOINT_ERRORS: ServiceDatasource = {
  name: "endpoint_errors",
  columns: [
    ["start_datetime", "DateTime"],
    ["request_id", "String"],
    ["pipe_id", "String"],
    ["pipe_name", "String"],
    ["params", "Map(String, String)"],
    ["url", "String"],
    ["status_code", "Int32"],
    ["error", "String"],
  ],
  engine: "MergeTree PARTITION BY toYYYYMM(start_datetime) ORDER BY (workspace_id, start_datetime) TTL start_datetime + INTERVAL 30 DAY",
};

/**
 * `tinybird.jobs_log`: one row per job when it ends, with what the Jobs API
 * shows of it, kept past the Jobs API's last 1,000. Tinybird documents
 * `job_id`, `job_type`, `status`, `created_at`, `updated_at` (spec 8.4, the
 * rest [GAP]); the others are Tern's, named as in `datasources_ops_log`:
 * `elapsed_time` in seconds, `rows` and `bytes` written, `error` the reason a
 * user reads, `job_metadata` the run's trigger, params and mode as JSON.
 * TTL 180 days.
 */
export const JOBS_LOG: ServiceDatasource = {
  name: "jobs_log",
  columns: [
    ["job_id", "String"],
    ["job_type", "LowCardinality(String)"],
    ["status", "LowCardinality(String)"],
    ["created_at", "DateTime64(3)"],
    ["updated_at", "DateTime64(3)"],
    ["started_at", "Nullable(DateTime64(3))"],
    ["pipe_id", "String"],
    ["pipe_name", "String"],
    ["datasource_id", "String"],
    ["datasource_name", "String"],
    ["elapsed_time", "Float32"],
    ["rows", "UInt64"],
    ["bytes", "UInt64"],
    ["error", "Nullable(String)"],
    ["job_metadata", "String"],
  ],
  engine: "MergeTree PARTITION BY toYYYYMM(created_at) ORDER BY (workspace_id, created_at) TTL toDateTime(created_at) + INTERVAL 180 DAY",
};

/**
 * `tinybird.sinks_ops_log`: one row per sink run. Tinybird documents the name
 * only (spec 8.4, [GAP]); the columns are Tern's, named as in
 * `datasources_ops_log`: where the run wrote (`service` s3/gcs/r2, `bucket`,
 * `path` = the URI's prefix and the file template as written, never a
 * credential), how (`format`, `compression`, `strategy`), the outcome
 * (`result` ok/error/cancelled, `error` as the job shows it), `files` (the
 * keys written, when Tern knows them: R2 runs and one-file S3/GCS runs),
 * `written_rows`/`written_bytes`, and the run's params in `Options`.
 * TTL 90 days.
 */
export const SINKS_OPS_LOG: ServiceDatasource = {
  name: "sinks_ops_log",
  columns: [
    ["timestamp", "DateTime64(3)"],
    ["job_id", "String"],
    ["pipe_id", "String"],
    ["pipe_name", "String"],
    ["trigger", "LowCardinality(String)"],
    ["job_timestamp", "DateTime"],
    ["service", "LowCardinality(String)"],
    ["bucket", "String"],
    ["path", "String"],
    ["format", "LowCardinality(String)"],
    ["compression", "LowCardinality(String)"],
    ["strategy", "LowCardinality(String)"],
    ["result", "LowCardinality(String)"],
    ["error", "Nullable(String)"],
    ["elapsed_time", "Float32"],
    ["files", "Array(String)"],
    ["written_rows", "UInt64"],
    ["written_bytes", "UInt64"],
    ["Options.Names", "Array(String)"],
    ["Options.Values", "Array(String)"],
  ],
  engine: "MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (workspace_id, timestamp) TTL toDateTime(timestamp) + INTERVAL 90 DAY",
};

/**
 * `tinybird.kafka_ops_log`: a row per partition of each Kafka datasource's
 * consumer at every scheduler tick (a minute), its history kept 30 days;
 * written by workers/scheduler/kafka-ops-log.ts, one INSERT … SELECT from
 * `system.kafka_consumers` per tick for every workspace
 * (shared/connectors/kafka-ops-log.ts says what each column holds). Tinybird
 * documents `timestamp`, `topic`, `msg_type`, `lag`, `processed_messages`,
 * `processed_bytes`, `committed_messages` (spec 8.4); the rest are Tern's:
 * `datasource_name`, `partition`, `msg` (the errors of a `msg_type` error),
 * `last_commit_time`, `num_commits`. `timestamp` is the tick's time.
 */
export const KAFKA_OPS_LOG: ServiceDatasource = {
  name: "kafka_ops_log",
  columns: [
    ["timestamp", "DateTime64(3)"],
    ["datasource_name", "String"],
    ["topic", "String"],
    ["partition", "Int64"],
    ["msg_type", "LowCardinality(String)"],
    ["lag", "Nullable(Int64)"],
    ["processed_messages", "Int64"],
    ["processed_bytes", "Nullable(Int64)"],
    ["committed_messages", "Nullable(Int64)"],
    ["msg", "String"],
    ["last_commit_time", "DateTime"],
    ["num_commits", "UInt64"],
  ],
  engine: "MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (workspace_id, timestamp) TTL toDateTime(timestamp) + INTERVAL 30 DAY",
};

/**
 * `tinybird.block_log`: one row per block an import wrote or refused. Tinybird
 * does not document its columns in the sources the spec reached (spec 8.4); the
 * names are those Tinybird's CLI reads (`tb logs --source tinybird.block_log`:
 * `timestamp`, `datasource_name`, `status`, `source`, `rows`, `bytes`,
 * `processing_time`, `processing_error`, `quarantine_lines`) and the ids of the
 * other logs. An S3/GCS import writes one row per file (`source` =
 * `s3://bucket/key`, `block_id` = `<path>@<etag>`, `status` `done`/`error`,
 * `parser` = the format, `processing_time` in seconds). TTL 90 days.
 */
export const BLOCK_LOG: ServiceDatasource = {
  name: "block_log",
  columns: [
    ["timestamp", "DateTime64(3)"],
    ["import_id", "String"],
    ["job_id", "String"],
    ["request_id", "String"],
    ["source", "String"],
    ["token_id", "String"],
    ["block_id", "String"],
    ["status", "LowCardinality(String)"],
    ["datasource_id", "String"],
    ["datasource_name", "String"],
    ["start_offset", "Nullable(Int64)"],
    ["end_offset", "Nullable(Int64)"],
    ["rows", "UInt64"],
    ["parser", "LowCardinality(String)"],
    ["quarantine_lines", "UInt64"],
    ["empty_lines", "UInt64"],
    ["bytes", "UInt64"],
    ["processing_time", "Float32"],
    ["processing_error", "Nullable(String)"],
  ],
  engine: "MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (workspace_id, timestamp) TTL toDateTime(timestamp) + INTERVAL 90 DAY",
};

/**
 * `tinybird.llm_usage`: Tinybird's record of its AI features' calls (`tb logs`
 * reads `start_time`, `feature`, `origin`, `user_email`, `prompt_tokens`,
 * `completion_tokens`, `total_tokens`, `duration`, `cost`). Tern has no AI
 * features: the table exists so the queries that name it answer, always empty,
 * as Tinybird answers a workspace that never used them.
 */
export const LLM_USAGE: ServiceDatasource = {
  name: "llm_usage",
  columns: [
    ["start_time", "DateTime64(3)"],
    ["end_time", "DateTime64(3)"],
    ["feature", "LowCardinality(String)"],
    ["origin", "LowCardinality(String)"],
    ["user_email", "String"],
    ["model", "LowCardinality(String)"],
    ["prompt_tokens", "UInt64"],
    ["completion_tokens", "UInt64"],
    ["total_tokens", "UInt64"],
    ["duration", "Float32"],
    ["cost", "Float64"],
  ],
  engine: "MergeTree ORDER BY (workspace_id, start_time)",
};

/** In creation order: a view's source and target come before it. */
export const SERVICE_DATASOURCES: ServiceDatasource[] = [
  DATASOURCES_OPS_LOG, PIPE_STATS_RT, PIPE_STATS, ENDPOINT_ERRORS, JOBS_LOG, SINKS_OPS_LOG, KAFKA_OPS_LOG, BLOCK_LOG, LLM_USAGE,
];

export const SERVICE_MATERIALIZED_VIEWS: ServiceMaterializedView[] = [PIPE_STATS_MV];

/** The service datasources kept in a shared table: all of them. */
export function storedServiceDatasources(): ServiceDatasource[] {
  return SERVICE_DATASOURCES;
}

export function serviceTableDdl(ds: ServiceDatasource): string {
  const cols = [["workspace_id", "String"] as const, ...ds.columns].map(([n, t]) => `    ${quoteIdentifier(n)} ${t}`);
  return `CREATE TABLE IF NOT EXISTS ${quoteQualifiedName(SERVICE_DATABASE, ds.name)}\n(\n${cols.join(",\n")}\n)\nENGINE = ${ds.engine}`;
}

export function serviceMaterializedViewDdl(mv: ServiceMaterializedView): string {
  const select = mv.select.replaceAll("{db}", quoteIdentifier(SERVICE_DATABASE));
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${quoteQualifiedName(SERVICE_DATABASE, mv.name)} TO ${quoteQualifiedName(SERVICE_DATABASE, mv.to)}\nAS ${select}`;
}

/** Name of the view of `tinybird.<name>` inside a workspace's database. */
export function serviceViewName(name: string): string {
  return `tinybird__${name}`;
}

/**
 * The view a workspace reads `tinybird.<name>` through: its own rows of the
 * shared table, without `workspace_id`. It lives in the workspace's database,
 * so a read never names the shared table (the read guard only lets a query
 * name its own database), and it runs with its definer's rights, so a
 * ClickHouse user granted only its own database can read it.
 */
export function serviceViewDdl(ds: ServiceDatasource, workspaceId: string, database: string): string {
  const cols = ds.columns.map(([n]) => quoteIdentifier(n)).join(", ");
  return (
    `CREATE OR REPLACE VIEW ${quoteQualifiedName(database, serviceViewName(ds.name))} DEFINER = CURRENT_USER SQL SECURITY DEFINER AS ` +
    `SELECT ${cols} FROM ${quoteQualifiedName(SERVICE_DATABASE, ds.name)}${ds.final ? " FINAL" : ""} WHERE workspace_id = ${quoteString(workspaceId)}`
  );
}
