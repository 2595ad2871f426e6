/**
 * @module
 * The typed shape of parsed Tinybird datafiles. `Datafile` is a union on
 * `kind`, which comes from the file extension.
 */
import type { DatafileWarning, SourcePosition } from "./errors.js";
import type { ClickHouseType } from "./types.js";

export type DatafileKind = "datasource" | "pipe" | "connection";

/** 1-based line of the construct in its file (the including file's path for INCLUDEd lines is `file`). */
export interface Located {
  file: string;
  line: number;
}

/** A `{{ tb_secret("NAME", "default") }}` reference found in a directive value. */
export interface SecretRef extends Located {
  name: string;
  default?: string;
}

export interface TokenGrant extends Located {
  name: string;
  scope: "READ" | "APPEND";
}

interface DatafileBase {
  /** Resource name: the file name without its extension. */
  name: string;
  path: string;
  description?: string;
  /** Tags from `TAGS "a, b, k=v"`, trimmed, in order. */
  tags: string[];
  /** Secrets referenced by directive values; substituted only when the caller passed `env`. */
  secrets: SecretRef[];
  warnings: DatafileWarning[];
}

// ---------------------------------------------------------------- datasource

export interface ColumnDefinition extends Located {
  /** Name without backticks. */
  name: string;
  /** Canonical type text, e.g. `LowCardinality(Nullable(String))`. */
  type: string;
  dataType: ClickHouseType;
  nullable: boolean;
  /** `DEFAULT <expr>` as written. */
  default?: string;
  /**
   * `MATERIALIZED <expr>`. Datafiles may not use it (Tinybird rejects it); the
   * field exists for schemas built in code, e.g. service tables.
   */
  materialized?: string;
  /** Codec list inside `CODEC(...)`, e.g. `Delta, ZSTD(1)`. */
  codec?: string;
  /** JSONPath without the `json:` prefix, e.g. `$.user.id`. */
  jsonPath?: string;
}

export interface IndexDefinition extends Located {
  name: string;
  expr: string;
  type: string;
  granularity: number;
}

/** Options every MergeTree-family engine takes; expressions are kept as written. */
export interface MergeTreeOptions {
  sortingKey?: string;
  partitionKey?: string;
  primaryKey?: string;
  samplingKey?: string;
  ttl?: string;
  /** `key=value, key2=value2` as written. */
  settings?: string;
}

export type EngineSpec =
  | ({ type: "MergeTree" } & MergeTreeOptions)
  | ({ type: "ReplacingMergeTree"; ver?: string; isDeleted?: string } & MergeTreeOptions)
  | ({ type: "SummingMergeTree"; columns?: string[] } & MergeTreeOptions)
  | ({ type: "AggregatingMergeTree" } & MergeTreeOptions)
  | ({ type: "CollapsingMergeTree"; sign: string } & MergeTreeOptions)
  | ({ type: "VersionedCollapsingMergeTree"; sign: string; version: string } & MergeTreeOptions)
  | { type: "Null" }
  | { type: "Join"; strictness: "ANY" | "ALL" | "SEMI" | "ANTI"; joinType: "LEFT" | "INNER" | "RIGHT" | "FULL"; keyColumns: string[] };

export type EngineType = EngineSpec["type"];

export interface KafkaDatasourceSettings {
  connectionName: string;
  topic: string;
  groupId?: string;
  autoOffsetReset?: "latest" | "earliest";
  storeRawValue?: boolean;
  storeHeaders?: boolean;
  keyFormat?: string;
  valueFormat?: string;
}

export interface ImportDatasourceSettings {
  connectionName: string;
  bucketUri?: string;
  schedule?: string;
  fromTimestamp?: string;
  query?: string;
  tableArn?: string;
  exportBucket?: string;
}

export interface DatasourceFile extends DatafileBase {
  kind: "datasource";
  tokens: TokenGrant[];
  columns: ColumnDefinition[];
  indexes: IndexDefinition[];
  engine: EngineSpec;
  /** The SELECT list that maps the previous live schema to this one. */
  forwardQuery?: string;
  backfill?: "skip";
  sharedWith: string[];
  kafka?: KafkaDatasourceSettings;
  import?: ImportDatasourceSettings;
  /** Deprecated `VERSION n`. */
  version?: number;
  /**
   * Where the value of each directive that lands in SQL was written
   * (`ENGINE`, `ENGINE_TTL`, `FORWARD_QUERY`, …), so a check made after
   * parsing (the deploy's ClickHouse parse) can point at it. Columns and
   * indexes carry their own line.
   */
  valuePositions?: Record<string, SourcePosition>;
}

// ---------------------------------------------------------------------- pipe

export type NodeType = "standard" | "endpoint" | "materialized" | "copy" | "sink";

export interface PipeNode extends Located {
  name: string;
  description?: string;
  /**
   * Node SQL, dedented. A templated node keeps `%` as its first line, so the
   * text can go to the template renderer unchanged.
   */
  sql: string;
  /** True when the first SQL line is `%`. */
  templated: boolean;
  /** Line of the first SQL line in `file`. */
  sqlLine: number;
  type: NodeType;
}

export interface EndpointPublication {
  type: "endpoint";
  node: string;
  /** `CACHE <seconds>` as emitted by the TS SDK. */
  cacheSeconds?: number;
  /** `CACHE_STALE_WHILE_REVALIDATE <seconds>` (Tern's extension): an expired answer is served while it is refreshed. */
  cacheStaleSeconds?: number;
}

export interface MaterializedPublication {
  type: "materialized";
  node: string;
  datasource: string;
  deploymentMethod?: "alter";
}

export interface CopyPublication {
  type: "copy";
  node: string;
  targetDatasource: string;
  /** Cron expression or `@on-demand` (the default). */
  schedule: string;
  mode: "append" | "replace";
  /**
   * Tern's extension (`COPY_AFTER a, b`): the copies this one runs after. It
   * runs once all of them have finished since its own last run, and has no cron
   * schedule of its own; cycles are refused (`shared/deploy/copy-dag.ts`).
   */
  after?: string[];
}

export interface KafkaSinkPublication {
  type: "sink";
  target: "kafka";
  node: string;
  connectionName: string;
  schedule: string;
  topic: string;
}

export interface BucketSinkPublication {
  type: "sink";
  target: "bucket";
  node: string;
  connectionName: string;
  schedule: string;
  bucketUri: string;
  fileTemplate: string;
  format: "csv" | "ndjson" | "parquet";
  compression: "none" | "gzip" | "snappy";
  /** Normalised: SDK `create_new`/`replace` and Sink API `new`/`truncate` map to these. */
  strategy: "new" | "truncate";
}

export type PipePublication =
  | { type: "standard" }
  | EndpointPublication
  | MaterializedPublication
  | CopyPublication
  | KafkaSinkPublication
  | BucketSinkPublication;

export interface PipeFile extends DatafileBase {
  kind: "pipe";
  tokens: TokenGrant[];
  nodes: PipeNode[];
  publication: PipePublication;
}

// ---------------------------------------------------------------- connection

export interface KafkaConnection {
  type: "kafka";
  bootstrapServers: string;
  securityProtocol?: "SASL_SSL" | "PLAINTEXT" | "SASL_PLAINTEXT" | "SSL";
  saslMechanism?: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | "OAUTHBEARER";
  key?: string;
  secret?: string;
  schemaRegistryUrl?: string;
  sslCaPem?: string;
  saslOauthbearerMethod?: string;
  saslOauthbearerAwsRegion?: string;
  saslOauthbearerAwsRoleArn?: string;
  saslOauthbearerAwsExternalId?: string;
}

export interface S3Connection {
  type: "s3";
  region: string;
  arn?: string;
  accessKey?: string;
  secret?: string;
}

export interface GcsConnection {
  type: "gcs";
  serviceAccountCredentialsJson?: string;
  hmacAccessId?: string;
  hmacSecret?: string;
}

export interface DynamoDbConnection {
  type: "dynamodb";
  region?: string;
  arn?: string;
}

/**
 * Tern's: the Worker's own R2 bucket (the `SINKS` binding), for sinks with an
 * `r2://` bucket URI. It takes no settings: the binding is the credential.
 */
export interface R2Connection {
  type: "r2";
}

export interface ConnectionFile extends DatafileBase {
  kind: "connection";
  connection: KafkaConnection | S3Connection | GcsConnection | DynamoDbConnection | R2Connection;
  /** Every directive value by keyword, after substitution (for settings we do not model). */
  options: Record<string, string>;
}

export type Datafile = DatasourceFile | PipeFile | ConnectionFile;
