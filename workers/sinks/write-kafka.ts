/**
 * @module sinks/write-kafka
 * Kafka sinks (`EXPORT_KAFKA_TOPIC`): ClickHouse produces the rows itself, one
 * JSON message per row (`kafkaSinkSql`: a producer-only `Kafka` table made for
 * this run, `INSERT … SELECT` of the sink's guarded SELECT, then dropped), so
 * the data never passes through the Worker. The run's table lives in its own
 * database (`tern_kafka_sinks`), never a workspace's, named after the job.
 * The connection's `tb_secret`s are resolved for this run only.
 */
import type { ConnectionFile, KafkaSinkPublication } from "../../shared/datafiles/index.js";
import { kafkaSinkSql, type KafkaProbeInput } from "../../shared/connectors/kafka-sql.js";
import { secretResolver } from "../../shared/datafiles/values.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";
import { probeKafka } from "../clickhouse/kafka-probe.js";
import { writtenSummary } from "../clickhouse/summary.js";
import type { JobRun, JobStatistics } from "../jobs/runners.js";
import type { Platform } from "../platform/platform.js";
import { SinkFailed } from "./failures.js";

export const KAFKA_SINK_DATABASE = "tern_kafka_sinks";

export interface KafkaTarget {
  topic: string;
  bootstrapServers: string;
  connection: { bootstrapServers: string; securityProtocol?: string; saslMechanism?: string; key?: string; secret?: string };
  /** Values an error must never show. */
  secrets: string[];
}

/** The topic and the connection with `tb_secret` resolved (SinkFailed naming a secret with no value). */
export function kafkaTarget(publication: KafkaSinkPublication, connection: ConnectionFile, known: Record<string, string | undefined>): KafkaTarget {
  const c = connection.connection;
  if (c.type !== "kafka") throw new SinkFailed(`connection '${connection.name}' is TYPE ${c.type}; EXPORT_KAFKA_TOPIC needs a TYPE kafka connection`);
  const { resolve, missing } = secretResolver(known);
  const resolved = {
    bootstrapServers: resolve(c.bootstrapServers) ?? "",
    ...(c.securityProtocol ? { securityProtocol: resolve(c.securityProtocol)! } : {}),
    ...(c.saslMechanism ? { saslMechanism: resolve(c.saslMechanism)! } : {}),
    ...(c.key !== undefined ? { key: resolve(c.key)! } : {}),
    ...(c.secret !== undefined ? { secret: resolve(c.secret)! } : {}),
  };
  const topic = resolve(publication.topic) ?? "";
  if (missing.length > 0) {
    throw new SinkFailed(`connection '${connection.name}' uses secret${missing.length > 1 ? "s" : ""} ${[...new Set(missing)].map((m) => `"${m}"`).join(", ")} with no value and no default`);
  }
  return {
    topic, bootstrapServers: resolved.bootstrapServers, connection: resolved as KafkaTarget["connection"],
    secrets: [resolved.key ?? "", resolved.secret ?? ""].filter((s) => s !== ""),
  };
}

/**
 * Reaches the broker before producing: ClickHouse's producer does not fail an
 * insert whose messages the broker never took (measured on the local engine: an
 * insert to a dead broker returned "ok" after librdkafka's 300 s delivery
 * timeout, nothing delivered). So a run first reads the topic once as
 * `deploy --check` does (`kafkaProbeSql`) and fails, saying why, when the
 * broker cannot be reached or refuses the credentials. A missing topic is
 * fine: the producer creates it where the broker allows it.
 */
async function ensureBrokerReachable(platform: Platform, job: JobRun, target: KafkaTarget): Promise<void> {
  const ch = platform.clickhouse.jobs;
  const problem = await probeKafka(
    ch,
    {
      database: KAFKA_SINK_DATABASE,
      table: `probe_${job.record.id.replace(/[^A-Za-z0-9]/g, "_")}`,
      topic: target.topic,
      groupId: `tern_sink_probe_${job.record.id}`,
      connection: target.connection as KafkaProbeInput["connection"],
    },
    { servers: target.bootstrapServers, topic: target.topic },
  );
  if (problem !== undefined && /^(cannot reach|the broker at)/.test(problem)) throw new SinkFailed(`The sink could not produce to Kafka: ${problem}`);
}

export async function writeToKafka(
  platform: Platform,
  job: JobRun,
  signal: AbortSignal,
  q: { sql: string; settings: Record<string, number | string>; queryParams?: Record<string, string> },
  target: KafkaTarget,
): Promise<JobStatistics> {
  const ch = platform.clickhouse.jobs;
  // The jobs client runs in the empty sandbox database: every name in the sink's SQL is qualified.
  await platform.clickhouse.guard.sandbox();
  const described = await ch.query({ query: `DESCRIBE TABLE (\n${q.sql}\n)`, format: "JSONEachRow", query_id: `${job.queryId}-describe`, ...(q.queryParams ? { query_params: q.queryParams } : {}) });
  const columns = ((await described.json()) as Array<{ name: string; type: string }>).map(({ name, type }) => ({ name, type }));
  const sql = kafkaSinkSql({
    database: KAFKA_SINK_DATABASE,
    table: `run_${job.record.id.replace(/[^A-Za-z0-9]/g, "_")}`,
    columns,
    topic: target.topic,
    connection: target.connection as Parameters<typeof kafkaSinkSql>[0]["connection"],
    select: `SELECT * FROM (\n${q.sql}\n)`,
  });
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(KAFKA_SINK_DATABASE)}` });
  await ensureBrokerReachable(platform, job, target);
  // A redelivered run may find its own table from the attempt before.
  await ch.command({ query: sql.drop });
  await ch.command({ query: sql.create });
  try {
    const result = await ch.command({
      query: sql.insert,
      query_id: job.queryId,
      ...(q.queryParams ? { query_params: q.queryParams } : {}),
      clickhouse_settings: { ...q.settings, max_execution_time: platform.config.jobs.timeoutSeconds },
      abort_signal: signal,
    });
    const summary = writtenSummary(result.response_headers["x-clickhouse-summary"]);
    return { rows: summary.rows, bytes: summary.bytes };
  } finally {
    await ch.command({ query: sql.drop }).catch(() => undefined);
  }
}
