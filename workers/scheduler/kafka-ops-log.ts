/**
 * @module scheduler/kafka-ops-log
 * `tinybird.kafka_ops_log`'s history: at each tick, one INSERT … SELECT
 * appends the state of every Kafka consumer of the ticked workspaces (one row
 * per partition, from `system.kafka_consumers`; shared/connectors/kafka-ops-log.ts)
 * to the shared service table, stamped with the tick's time. One statement for
 * all workspaces, not one per workspace: the system table is read once.
 */
import type { KafkaOpsLogSource } from "../../shared/connectors/kafka-ops-log.js";
import { kafkaOpsLogInsertSql } from "../../shared/connectors/kafka-ops-log.js";
import type { Platform } from "../platform/platform.js";
import { ensureServiceTables } from "../service/tables.js";

/** Snapshots the consumers of `sources` at `at`; nothing to do without a source. */
export async function snapshotKafkaConsumers(platform: Platform, sources: KafkaOpsLogSource[], at: Date): Promise<void> {
  if (sources.length === 0) return;
  const ch = platform.clickhouse.admin;
  await ensureServiceTables(ch);
  await ch.command({ query: kafkaOpsLogInsertSql(sources, at) });
}
