/**
 * @module
 * `tinybird.kafka_ops_log`'s rows: a snapshot of every Kafka datasource
 * consumer ClickHouse runs (`system.kafka_consumers`, one row per assigned
 * partition), taken by the scheduler's tick for all workspaces at once and
 * appended to the shared service table, so the log is a history as in
 * Tinybird.
 *
 * The partition's figures come from librdkafka's statistics
 * (`rdkafka_stat`, JSON; see librdkafka's STATISTICS.md), which Tern's
 * consumers turn on through their named collection
 * (`kafka.statistics_interval_ms`, kafka-sql.ts): `consumer_lag` is the
 * broker's high watermark minus the group's committed offset, the only place
 * ClickHouse exposes the high watermark. A consumer without statistics (made
 * before they were turned on) or a partition never committed has `lag` NULL.
 */
import { KAFKA_OPS_LOG, SERVICE_DATABASE } from "../service/datasources.js";
import { quoteIdentifier, quoteQualifiedName, quoteString } from "../sql/ddl/quote.js";

/** The engine tables of Tern's consumers are `<datasource>__kafka` (kafka-consumers.ts). */
const QUEUE_SUFFIX = "__kafka";

/** A workspace whose consumers are snapshotted: its id (stored with the rows) and its database (where they run). */
export interface KafkaOpsLogSource {
  workspaceId: string;
  database: string;
}

/**
 * The snapshot as a SELECT whose columns are `workspace_id` and then
 * KAFKA_OPS_LOG's columns in order, every row stamped `at`.
 * - `processed_messages`: the partition's position (the next offset the
 *   consumer reads: every message before it was read);
 * - `processed_bytes`: bytes this consumer fetched from the partition since it
 *   (re)started (librdkafka's `rxbytes`), NULL without statistics;
 * - `committed_messages`: the group's committed offset (librdkafka's
 *   `committed_offset`), NULL until the first commit; without statistics, the
 *   position when the last commit came after the last poll; NULL on the row
 *   of a consumer holding no partition (topic '', partition 0: the broker
 *   never answered);
 * - `msg_type` `error` when librdkafka or the write of a block reported an
 *   error since the last commit (`msg` = the last three, first lines), else
 *   `info` with `msg` empty.
 */
export function kafkaOpsLogSnapshotSelect(sources: KafkaOpsLogSource[], at: Date): string {
  if (sources.length === 0) throw new Error("kafkaOpsLogSnapshotSelect needs at least one workspace");
  const list = (values: string[]) => `[${values.map(quoteString).join(", ")}]`;
  const databases = list(sources.map((s) => s.database));
  const stat = (key: string) => `if(p = '', NULL, JSONExtractInt(p, ${quoteString(key)}))`;
  return `SELECT
    transform(database, ${databases}, ${list(sources.map((s) => s.workspaceId))}, '') AS workspace_id,
    fromUnixTimestamp64Milli(toInt64(${at.getTime()}), 'UTC') AS timestamp,
    substring(table, 1, length(table) - ${QUEUE_SUFFIX.length}) AS datasource_name,
    topic,
    toInt64(partition) AS partition,
    if(failing, 'error', 'info') AS msg_type,
    if(${stat("consumer_lag")} >= 0, ${stat("consumer_lag")}, NULL) AS lag,
    toInt64(greatest(position, 0)) AS processed_messages,
    ${stat("rxbytes")} AS processed_bytes,
    multiIf(topic = '', NULL,
        p = '', if(last_commit_time >= last_poll_time, toInt64(greatest(position, 0)), NULL),
        ${stat("committed_offset")} >= 0, ${stat("committed_offset")}, NULL) AS committed_messages,
    if(failing, arrayStringConcat(arrayMap(t -> splitByChar('\\n', t)[1], arraySlice(exceptions.text, -3)), '; '), '') AS msg,
    last_commit_time,
    num_commits
FROM (
    SELECT database, table, topic, partition, position, exceptions.text, last_commit_time, last_poll_time, num_commits,
        -- librdkafka's figures for this partition: {} inside topics.<topic>.partitions.<id>, '' without statistics.
        JSONExtractRaw(rdkafka_stat, 'topics', topic, 'partitions', toString(partition)) AS p,
        -- An error is news until a commit comes after it: a consumer that recovered is info again.
        length(exceptions.time) > 0 AND exceptions.time[-1] > last_commit_time AS failing
    FROM system.kafka_consumers
    LEFT ARRAY JOIN assignments.topic AS topic, assignments.partition_id AS partition, assignments.current_offset AS position
    WHERE has(${databases}, database) AND endsWith(table, ${quoteString(QUEUE_SUFFIX)})
)
ORDER BY workspace_id, datasource_name, topic, partition`;
}

/** The tick's one statement: the snapshot of every source appended to the shared `kafka_ops_log` table. */
export function kafkaOpsLogInsertSql(sources: KafkaOpsLogSource[], at: Date): string {
  const columns = ["workspace_id", ...KAFKA_OPS_LOG.columns.map(([name]) => name)].map(quoteIdentifier).join(", ");
  return `INSERT INTO ${quoteQualifiedName(SERVICE_DATABASE, KAFKA_OPS_LOG.name)} (${columns}) ${kafkaOpsLogSnapshotSelect(sources, at)}`;
}
