/**
 * @module
 * The SQL that makes ClickHouse consume a Kafka datasource (docs/connectors.md):
 * a `Kafka` engine table reading each message's value as bytes (`RawBLOB`, so no
 * message can fail to parse inside the engine), and two materialized views on it:
 * one writes the messages whose value fits the schema into the datasource (its
 * columns from the value by JSONPath, as the Events API maps them, plus the meta
 * columns `__value`, `__topic`, `__partition`, `__offset`, `__timestamp`, `__key`
 * and `__headers` when stored), the other writes the rest into the datasource's
 * quarantine table with a reason per failing column. Both views see the same
 * block of messages, and the engine commits the offsets after the block is
 * written, so a message lands in exactly one of the two tables.
 *
 * The consumer group is the datasource's, not the deployment's: a deployment
 * that recreates these objects with the same group keeps the committed offsets.
 *
 * Where a new group starts (`KAFKA_AUTO_OFFSET_RESET`, `latest` unless
 * `earliest`): the engine's table settings cannot say it, and ClickHouse's own
 * default is librdkafka's `earliest`; but an engine table made from a named
 * collection takes the collection's `kafka.<librdkafka key>` entries, and a named
 * collection can be made with SQL (no server config file, so ClickHouse Cloud
 * too). So the engine table is `Kafka(<collection>)` over a collection of its
 * own holding `kafka.auto_offset_reset`. librdkafka reads it only for a
 * partition with no committed offset: a group that has committed keeps its place.
 */
import type { ColumnDefinition, KafkaConnection, KafkaDatasourceSettings } from "../datafiles/ast.js";
import { jsonColumnProblem, jsonColumnsSql, jsonExtractKeys } from "./json-columns.js";
import { compileJsonPath } from "../ingest/jsonpath.js";
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../sql/ddl/quote.js";

/** The implicit meta columns of a Kafka datasource, in the order they are added. */
export function kafkaMetaColumns(settings: Pick<KafkaDatasourceSettings, "storeHeaders">): Array<{ name: string; type: string }> {
  return [
    { name: "__value", type: "String" },
    { name: "__topic", type: "LowCardinality(String)" },
    { name: "__partition", type: "Int16" },
    { name: "__offset", type: "Int64" },
    { name: "__timestamp", type: "DateTime" },
    { name: "__key", type: "String" },
    ...(settings.storeHeaders ? [{ name: "__headers", type: "Map(String, String)" }] : []),
  ];
}

const META = new Set(["__value", "__topic", "__partition", "__offset", "__timestamp", "__key", "__headers"]);

export interface KafkaConsumerTarget {
  database: string;
  /** The datasource's physical table. */
  table: string;
  /** Its quarantine table. */
  quarantineTable: string;
}

export interface KafkaConsumerInput {
  columns: Array<Pick<ColumnDefinition, "name" | "type" | "nullable" | "jsonPath" | "default">>;
  settings: KafkaDatasourceSettings;
  /** The connection with its secrets already resolved (the registry's URL for KAFKA_VALUE_FORMAT avro). */
  connection: Pick<KafkaConnection, "bootstrapServers" | "securityProtocol" | "saslMechanism" | "key" | "secret" | "schemaRegistryUrl">;
  /** The consumer group: KAFKA_GROUP_ID, else one fixed per workspace and datasource (never per deployment). */
  groupId: string;
  target: KafkaConsumerTarget;
  /** Names of the three objects; default `<table>_kafka`, `<table>_kafka_rows`, `<table>_kafka_quarantine`. */
  names?: { queue: string; rowsView: string; quarantineView: string };
}

/**
 * The engine table's named collection: named collections are server-wide, not
 * per database, so the name carries the database too.
 */
export function kafkaCollectionName(database: string, queue: string): string {
  return `${database}__${queue}`;
}

export interface KafkaConsumerSql {
  queue: string;
  rowsView: string;
  quarantineView: string;
  /** The engine table's named collection (see kafkaCollectionName). */
  collection: string;
  /** In order: the named collection (dropped first: a failed earlier create may have left one), the engine table, then the two views (consuming starts with the first view). */
  create: string[];
  /** In order: the views first (consuming stops and the group's offsets stay committed), then the engine table, then its named collection. */
  drop: string[];
}

/**
 * How often librdkafka reports its statistics (`system.kafka_consumers.rdkafka_stat`):
 * the only place ClickHouse shows a partition's high watermark, hence its lag
 * (`tinybird.kafka_ops_log`, kafka-ops-log.ts). Off unless set (measured on
 * the local engine); every 3 s keeps them fresh for the scheduler's
 * one-minute snapshot at a cost of one JSON document per consumer.
 */
export const KAFKA_STATISTICS_INTERVAL_MS = 3000;

/**
 * How long the broker waits for a silent group member before giving its
 * partitions to another. A consumer recreated by a deploy (same group) gets its
 * partitions only once the dropped table's member has timed out, and
 * librdkafka's default (45 s) held every schema-changing deploy's messages that
 * long (measured: ~50 s per schema change). 10 s (Kafka's own default before
 * 3.0) with librdkafka's 3 s heartbeats.
 */
export const KAFKA_SESSION_TIMEOUT_MS = 10000;

/**
 * The engine table's named collection: where a new group starts
 * (`kafka.auto_offset_reset`, which table settings cannot say) and
 * librdkafka's statistics turned on (`kafka.statistics_interval_ms`; a
 * server's `<kafka>` config would turn them on for every consumer, SQL does it
 * for Tern's alone, ClickHouse Cloud included).
 */
function createCollectionSql(collection: string, autoOffsetReset: string | undefined): string {
  return `CREATE NAMED COLLECTION ${collection} AS \`kafka.auto_offset_reset\` = ${quoteString(autoOffsetReset ?? "latest")}, ` +
    `\`kafka.statistics_interval_ms\` = '${KAFKA_STATISTICS_INTERVAL_MS}', \`kafka.session_timeout_ms\` = '${KAFKA_SESSION_TIMEOUT_MS}'`;
}

/** The meta columns of a landed message: `value` is what `__value` holds, `key` the expression of `__key`. */
function rowMetaColumns(value: string, key: string, storeHeaders: boolean | undefined): string[] {
  return [
    `${value} AS __value`,
    "_topic AS __topic",
    "_partition AS __partition",
    "_offset AS __offset",
    "_timestamp AS __timestamp",
    `${key} AS __key`,
    ...(storeHeaders ? ["CAST(mapFromArrays(_headers.name, _headers.value), 'Map(String, String)') AS __headers"] : []),
  ];
}

/** The same for a quarantined message, as text, for the meta columns its quarantine table has (`names`). */
function quarantineMetaColumns(names: ReadonlySet<string>, value: string, key: string): string[] {
  return [
    ...(names.has("__value") ? [`${value} AS __value`] : []),
    ...(names.has("__topic") ? ["_topic AS __topic"] : []),
    ...(names.has("__partition") ? ["toString(_partition) AS __partition"] : []),
    ...(names.has("__offset") ? ["toString(_offset) AS __offset"] : []),
    ...(names.has("__timestamp") ? ["toString(_timestamp) AS __timestamp"] : []),
    ...(names.has("__key") ? [`${key} AS __key`] : []),
  ];
}

type ConnectionSettings = Pick<KafkaConnection, "bootstrapServers" | "securityProtocol" | "saslMechanism" | "key" | "secret">;

/** The engine settings of a connection's security protocol and SASL credentials. */
function saslSettings(conn: ConnectionSettings): string[] {
  return [
    ...(conn.securityProtocol ? [`kafka_security_protocol = ${quoteString(conn.securityProtocol.toLowerCase())}`] : []),
    ...(conn.saslMechanism ? [`kafka_sasl_mechanism = ${quoteString(conn.saslMechanism)}`] : []),
    ...(conn.key !== undefined ? [`kafka_sasl_username = ${quoteString(conn.key)}`] : []),
    ...(conn.secret !== undefined ? [`kafka_sasl_password = ${quoteString(conn.secret)}`] : []),
  ];
}

/**
 * An Avro record's field for a column: the JSONPath's keys joined with dots
 * (`$.user.name` → `user.name`), the name ClickHouse's Avro input reads a
 * nested record's field by; undefined for paths with indexes or projections.
 */
export function avroFieldName(column: Pick<ColumnDefinition, "name" | "jsonPath">): string | undefined {
  const keys = jsonExtractKeys(column);
  if (!keys || keys.length === 0 || keys.some((k) => !k.startsWith("'"))) return undefined;
  const text = column.jsonPath ?? `$.${column.name}`;
  const compiled = compileJsonPath(text);
  if (!compiled.ok) return undefined;
  return compiled.path.segments.map((seg) => (seg.kind === "key" ? seg.key : "")).join(".");
}

/** Why a datasource cannot be consumed this way, or undefined. */
export function kafkaConsumerProblem(input: Pick<KafkaConsumerInput, "columns" | "settings"> & { connection?: Pick<KafkaConnection, "schemaRegistryUrl"> }): string | undefined {
  const avro = input.settings.valueFormat === "avro";
  for (const c of input.columns) {
    if (META.has(c.name)) continue;
    const problem = jsonColumnProblem(c);
    if (problem) return problem;
    if (avro && avroFieldName(c) === undefined) return `column ${c.name}: with KAFKA_VALUE_FORMAT avro a JSONPath names a field of the record by keys only ($.field or $.record.field), not ${c.jsonPath ?? ""}`;
  }
  if (input.settings.keyFormat === "avro") return "KAFKA_KEY_FORMAT avro is not supported yet (KAFKA_VALUE_FORMAT avro is)";
  if (avro && input.connection && !input.connection.schemaRegistryUrl?.trim()) return "KAFKA_VALUE_FORMAT avro needs KAFKA_SCHEMA_REGISTRY_URL in its connection";
  return undefined;
}

/**
 * Tinybird's limit per message ("Message size handling" in its Kafka docs: 10 MB, a
 * bigger message goes to the quarantine). Tern counts the message value's bytes
 * against 10 MiB. The broker must accept such a message in the first place
 * (its `message.max.bytes`, 1 MB by default in Apache Kafka).
 */
export const KAFKA_MESSAGE_MAX_BYTES = 10 * 1024 * 1024;

/** The schema registry's wire format: magic byte 0, a 4-byte big-endian schema id, then the document. */
function framed(bytes: string): string {
  return `(length(${bytes}) >= 5 AND startsWith(${bytes}, '\\0'))`;
}

/** Checks on the whole message, before its columns are read: each a condition that sends it to the quarantine and the reason given. */
function messageChecks(settings: KafkaDatasourceSettings): Array<{ bad: string; reason: string }> {
  return [
    {
      bad: `length(value) > ${KAFKA_MESSAGE_MAX_BYTES}`,
      reason: `concat('the message value is ', toString(length(value)), ' bytes, over the limit of ${KAFKA_MESSAGE_MAX_BYTES} bytes (10 MiB) per message')`,
    },
    ...(settings.valueFormat === "json_with_schema"
      ? [{
        bad: `NOT ${framed("value")}`,
        reason: quoteString("the message value does not start with the schema registry's header (magic byte 0 and a 4-byte schema id) that KAFKA_VALUE_FORMAT json_with_schema expects"),
      }]
      : []),
  ];
}

export function kafkaConsumerSql(input: KafkaConsumerInput): KafkaConsumerSql {
  const problem = kafkaConsumerProblem(input);
  if (problem) throw new Error(problem);
  if (input.settings.valueFormat === "avro") return avroConsumerSql(input);
  const { database, table, quarantineTable } = input.target;
  const names = input.names ?? { queue: `${table}_kafka`, rowsView: `${table}_kafka_rows`, quarantineView: `${table}_kafka_quarantine` };
  const q = (t: string) => quoteQualifiedName(database, t);
  const conn = input.connection;
  const collection = quoteIdentifier(kafkaCollectionName(database, names.queue));
  const settings = [
    `kafka_broker_list = ${quoteString(conn.bootstrapServers)}`,
    `kafka_topic_list = ${quoteString(input.settings.topic)}`,
    `kafka_group_name = ${quoteString(input.groupId)}`,
    "kafka_format = 'RawBLOB'",
    "kafka_num_consumers = 1",
    "kafka_thread_per_consumer = 0",
    ...saslSettings(conn),
  ];
  // The collection holds only what table settings cannot say; the table's settings come on top of it.
  const createCollection = createCollectionSql(collection, input.settings.autoOffsetReset);
  const dropCollection = `DROP NAMED COLLECTION IF EXISTS ${collection}`;
  const createQueue = `CREATE TABLE ${q(names.queue)} (\`value\` String) ENGINE = Kafka(${collection}) SETTINGS ${settings.join(", ")}`;

  // json_with_schema: the JSON document follows the registry's 5-byte header (a message without one is quarantined by messageChecks).
  const withSchema = input.settings.valueFormat === "json_with_schema";
  const document = withSchema ? "__document" : "value";
  const prelude = withSchema ? "WITH substring(value, 6) AS __document " : "";
  const key = input.settings.keyFormat === "json_with_schema" ? `if(${framed("_key")}, substring(_key, 6), _key)` : "_key";

  const dataColumns = input.columns.filter((c) => !META.has(c.name));
  const json = jsonColumnsSql(dataColumns, document);
  const { isObject, anyBad } = json;
  const checks = messageChecks(input.settings);
  const messageBad = checks.map((c) => c.bad).join(" OR ");
  const messageReason = `multiIf(${checks.map((c) => `${c.bad}, ${c.reason}`).join(", ")}, '')`;
  const meta = rowMetaColumns(input.settings.storeRawValue ? document : "''", key, input.settings.storeHeaders);
  // A missing value takes the column's DEFAULT, which may name other columns (as the Events API and
  // S3 imports do): the values are read first under neutral names, then each column is its value or
  // its DEFAULT over the others' names. Without a DEFAULT a missing value is the type's default.
  const inner = dataColumns.map((c, i) => `${json.exprs[i]} AS __v${i}${c.default !== undefined ? `, ${json.present[i]} AS __p${i}` : ""}`);
  const outer = dataColumns.map((c, i) => `${c.default !== undefined ? `if(__p${i}, __v${i}, ${c.default})` : `__v${i}`} AS ${quoteIdentifier(c.name)}`);
  const metaAliases = meta.map((m) => m.slice(m.lastIndexOf(" AS ") + 4));
  const rowsView =
    `CREATE MATERIALIZED VIEW ${q(names.rowsView)} TO ${q(table)} AS SELECT ${[...outer, ...metaAliases].join(", ")} FROM ` +
    `(${prelude}SELECT ${[...inner, ...meta].join(", ")} FROM ${q(names.queue)} WHERE NOT (${messageBad}) AND ${isObject} AND NOT (${anyBad}))`;

  const metaNames = new Set(input.columns.filter((c) => META.has(c.name)).map((c) => c.name));
  const quarantineSelect = [
    // A message refused whole (too big, no header) gets that one reason and no column values: its columns were not read.
    `if(${messageBad}, [], ${json.errorColumnsExpr}) AS c__error_column`,
    `if(${messageBad}, [${messageReason}], ${json.reasonsExpr}) AS c__error`,
    "CAST(NULL, 'Nullable(String)') AS c__import_id",
    ...json.rawColumns.map((r) => `if(${messageBad}, NULL, ${r.expr}) AS ${quoteIdentifier(r.name)}`),
    // The message itself (as received) and where it came from, whenever the datasource has those columns.
    ...quarantineMetaColumns(metaNames, "value", key),
  ];
  const quarantineView = `CREATE MATERIALIZED VIEW ${q(names.quarantineView)} TO ${q(quarantineTable)} AS ${prelude}SELECT ${quarantineSelect.join(", ")} FROM ${q(names.queue)} WHERE (${messageBad}) OR NOT (${isObject}) OR (${anyBad})`;

  return {
    ...names,
    collection: kafkaCollectionName(database, names.queue),
    create: [dropCollection, createCollection, createQueue, rowsView, quarantineView],
    drop: [`DROP VIEW IF EXISTS ${q(names.rowsView)}`, `DROP VIEW IF EXISTS ${q(names.quarantineView)}`, `DROP TABLE IF EXISTS ${q(names.queue)}`, dropCollection],
  };
}

/** The names of a consumer's objects and its named collection's two statements, for both kinds of consumer. */
function consumerFrame(input: KafkaConsumerInput) {
  const { database, table } = input.target;
  const names = input.names ?? { queue: `${table}_kafka`, rowsView: `${table}_kafka_rows`, quarantineView: `${table}_kafka_quarantine` };
  const q = (t: string) => quoteQualifiedName(database, t);
  const collection = quoteIdentifier(kafkaCollectionName(database, names.queue));
  const settings = [
    `kafka_broker_list = ${quoteString(input.connection.bootstrapServers)}`,
    `kafka_topic_list = ${quoteString(input.settings.topic)}`,
    `kafka_group_name = ${quoteString(input.groupId)}`,
  ];
  return {
    names, q, collection, settings,
    createCollection: createCollectionSql(collection, input.settings.autoOffsetReset),
    dropCollection: `DROP NAMED COLLECTION IF EXISTS ${collection}`,
  };
}

/**
 * KAFKA_VALUE_FORMAT avro: ClickHouse reads the messages itself
 * (`AvroConfluent`: the registry's 5-byte header, the writer's schema fetched
 * by id from `format_avro_schema_registry_url`), one engine column per
 * datasource column named by its Avro field (`avroFieldName`), a field missing
 * from the writer's schema giving the column's default. A message that cannot be
 * read (no header, unknown schema id, bytes that are not that schema) comes out
 * of `kafka_handle_error_mode = 'stream'` as a row with `_error` and the message
 * in `_raw_message`: the quarantine view takes those, the rows view the rest.
 */
function avroConsumerSql(input: KafkaConsumerInput): KafkaConsumerSql {
  const { names, q, collection, settings, createCollection, dropCollection } = consumerFrame(input);
  const dataColumns = input.columns.filter((c) => !META.has(c.name));
  const fields = new Map<string, string>();
  for (const c of dataColumns) {
    const field = avroFieldName(c)!;
    if (!fields.has(field)) fields.set(field, c.nullable && !c.type.startsWith("Nullable(") ? `Nullable(${c.type})` : c.type);
  }
  const engineColumns = [...fields].map(([field, type]) => `${quoteIdentifier(field)} ${type}`).join(", ");
  const createQueue = `CREATE TABLE ${q(names.queue)} (${engineColumns}) ENGINE = Kafka(${collection}) SETTINGS ${[
    ...settings,
    "kafka_format = 'AvroConfluent'",
    `format_avro_schema_registry_url = ${quoteString(input.connection.schemaRegistryUrl ?? "")}`,
    "input_format_avro_allow_missing_fields = 1",
    "kafka_handle_error_mode = 'stream'",
    "kafka_num_consumers = 1",
    "kafka_thread_per_consumer = 0",
    ...saslSettings(input.connection),
  ].join(", ")}`;
  const key = input.settings.keyFormat === "json_with_schema" ? `if(${framed("_key")}, substring(_key, 6), _key)` : "_key";
  const rowsSelect = [
    ...dataColumns.map((c) => `${quoteIdentifier(avroFieldName(c)!)} AS ${quoteIdentifier(c.name)}`),
    // The Avro bytes are not handed over for messages that were read; the raw value is kept for those that were not.
    ...rowMetaColumns("''", key, input.settings.storeHeaders),
  ];
  const rowsView = `CREATE MATERIALIZED VIEW ${q(names.rowsView)} TO ${q(input.target.table)} AS SELECT ${rowsSelect.join(", ")} FROM ${q(names.queue)} WHERE length(_error) = 0`;

  const metaNames = new Set(input.columns.filter((c) => META.has(c.name)).map((c) => c.name));
  // ClickHouse's text ends with the row it failed at ("…: (at row 1)\n"): a message is one row, so that part says nothing.
  const reason = "concat('the message value could not be read as Avro: ', replaceRegexpOne(_error, '[: ]*[(]at row [0-9]+[)][[:space:]]*$', ''))";
  const quarantineSelect = [
    "CAST([], 'Array(String)') AS c__error_column",
    `[${reason}] AS c__error`,
    "CAST(NULL, 'Nullable(String)') AS c__import_id",
    ...quarantineMetaColumns(metaNames, "_raw_message", key),
  ];
  const quarantineView = `CREATE MATERIALIZED VIEW ${q(names.quarantineView)} TO ${q(input.target.quarantineTable)} AS SELECT ${quarantineSelect.join(", ")} FROM ${q(names.queue)} WHERE length(_error) > 0`;
  return {
    ...names,
    collection: kafkaCollectionName(input.target.database, names.queue),
    create: [dropCollection, createCollection, createQueue, rowsView, quarantineView],
    drop: [`DROP VIEW IF EXISTS ${q(names.rowsView)}`, `DROP VIEW IF EXISTS ${q(names.quarantineView)}`, `DROP TABLE IF EXISTS ${q(names.queue)}`, dropCollection],
  };
}

export interface KafkaSinkInput {
  database: string;
  /** A name for the producer table of this run (dropped after it). */
  table: string;
  /** The sink query's result columns. */
  columns: Array<{ name: string; type: string }>;
  topic: string;
  connection: Pick<KafkaConnection, "bootstrapServers" | "securityProtocol" | "saslMechanism" | "key" | "secret">;
  /** The pipe's rendered SELECT. */
  select: string;
}

/**
 * A Kafka sink run (`EXPORT_KAFKA_TOPIC`): ClickHouse produces the query's rows,
 * one JSON message per row, through a `Kafka` engine table written to with
 * `INSERT … SELECT` (the table is a producer only: no view reads it, so it
 * never joins a consumer group). Statements in order: create, insert, drop.
 */
export function kafkaSinkSql(input: KafkaSinkInput): { create: string; insert: string; drop: string } {
  const name = quoteQualifiedName(input.database, input.table);
  const conn = input.connection;
  const settings = [
    `kafka_broker_list = ${quoteString(conn.bootstrapServers)}`,
    `kafka_topic_list = ${quoteString(input.topic)}`,
    `kafka_group_name = ${quoteString(`${input.table}_producer`)}`,
    "kafka_format = 'JSONEachRow'",
    ...saslSettings(conn),
  ];
  const columns = input.columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(", ");
  return {
    create: `CREATE TABLE ${name} (${columns}) ENGINE = Kafka SETTINGS ${settings.join(", ")}`,
    insert: `INSERT INTO ${name} (${input.columns.map((c) => quoteIdentifier(c.name)).join(", ")}) ${input.select}`,
    drop: `DROP TABLE IF EXISTS ${name}`,
  };
}

export interface KafkaProbeInput {
  database: string;
  /** A name for the probe's table (dropped after it). */
  table: string;
  topic: string;
  /** A group of its own: the probe never commits, and never joins the datasource's group. */
  groupId: string;
  connection: ConnectionSettings;
}

/**
 * `deploy --check` reaching a broker through ClickHouse (the Worker cannot open
 * TCP to Kafka everywhere; the consumers run in ClickHouse anyway): a throwaway
 * `Kafka` table read once with a direct SELECT (nothing committed, its own
 * group), then what its consumer saw in `system.kafka_consumers`: partitions
 * assigned (the broker answered and the topic exists) or librdkafka's errors.
 * Statements: create; then read, with report polled beside it until
 * `kafkaProbeSettled` (the read alone waits up to 15 s for an assignment); then
 * drop, which also ends the read.
 */
export function kafkaProbeSql(input: KafkaProbeInput): { create: string; read: string; report: string; drop: string } {
  const name = quoteQualifiedName(input.database, input.table);
  const settings = [
    `kafka_broker_list = ${quoteString(input.connection.bootstrapServers)}`,
    `kafka_topic_list = ${quoteString(input.topic)}`,
    `kafka_group_name = ${quoteString(input.groupId)}`,
    "kafka_format = 'RawBLOB'",
    "kafka_num_consumers = 1",
    ...saslSettings(input.connection),
  ];
  return {
    create: `CREATE TABLE ${name} (\`value\` String) ENGINE = Kafka SETTINGS ${settings.join(", ")}`,
    read: `SELECT count() FROM ${name} SETTINGS stream_like_engine_allow_direct_select = 1`,
    report: `SELECT length(assignments.partition_id) AS partitions, arrayMap(t -> splitByChar('\\n', t)[1], exceptions.text) AS errors
FROM system.kafka_consumers WHERE database = ${quoteString(input.database)} AND table = ${quoteString(input.table)}`,
    drop: `DROP TABLE IF EXISTS ${name}`,
  };
}

export type KafkaProbeReport = Array<{ partitions: number | string; errors: string[] }>;

/**
 * Whether a probe's report already answers, while its read still waits: the
 * topic's partitions were assigned, or librdkafka reported errors. The read
 * itself would wait for an assignment for a fixed 15 s inside ClickHouse (a
 * constant of its Kafka consumer, no setting shortens it) whenever the broker
 * or the topic is not there; the errors that say why are in
 * `system.kafka_consumers` within a second.
 */
export function kafkaProbeSettled(report: KafkaProbeReport): boolean {
  return report.some((r) => Number(r.partitions) > 0 || r.errors.length > 0);
}

/** What a probe's report says, in words a user can act on; undefined when the topic was reached. */
export function kafkaProbeProblem(report: KafkaProbeReport, where: { servers: string; topic: string }): string | undefined {
  const errors = report.flatMap((r) => r.errors);
  if (errors.length === 0 && report.some((r) => Number(r.partitions) > 0)) return undefined;
  const text = errors.join("; ");
  // The error shown: the first of the kind that decided the answer (librdkafka reports a refused connection, then "1/1 brokers are down").
  const first = (pattern: RegExp) => errors.find((e) => pattern.test(e)) ?? errors[0];
  if (/Unknown topic or partition|UNKNOWN_TOPIC/i.test(text)) return `topic '${where.topic}' does not exist on ${where.servers}`;
  if (/SASL|authentication|Authentication/.test(text)) return `the broker at ${where.servers} refused the connection's credentials (${first(/SASL|authentication/i)})`;
  if (/brokers are down|Connection refused|resolve|timed out|Connect to/i.test(text)) return `cannot reach the Kafka broker at ${where.servers} (${first(/brokers are down/i)})`;
  if (errors.length > 0) return `Kafka at ${where.servers}: ${errors[0]}`;
  return `no partition of topic '${where.topic}' was assigned by ${where.servers} within the check's wait; the broker may be unreachable or the topic missing`;
}

/** A registry URL as it can be shown: credentials embedded in it (`https://user:password@host`) left out. */
export function redactedRegistryUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "<an invalid URL>";
  }
}

/**
 * `deploy --check` reaching an Avro datasource's schema registry through
 * ClickHouse, as the consumer will (its `AvroConfluent` reads fetch schemas
 * from there): the Confluent API's subject list (a JSON array), read with
 * `url()`. The value itself is selected (a `count()` is answered without
 * reading), and one try with short timeouts: by default ClickHouse retries an
 * unreachable URL for more than a minute (98 s measured on the local engine).
 */
export function schemaRegistryCheckSql(url: string): string {
  return `SELECT value FROM url(${quoteString(`${url.replace(/\/+$/, "")}/subjects`)}, 'RawBLOB', 'value String') ` +
    "SETTINGS http_max_tries = 1, http_connection_timeout = 3, http_receive_timeout = 5";
}
