/**
 * `tinybird.kafka_ops_log`'s snapshot (shared/connectors/kafka-ops-log.ts) of a
 * consumer made by shared/connectors/kafka-sql.ts, against a real broker
 * (kafka-local/) and the test run's local ClickHouse: librdkafka's statistics
 * are on, so a partition's lag is the broker's high watermark minus the
 * group's committed offset. Exact figures come from one partition and a
 * datasource table that refuses inserts for a while (`parts_to_throw_insert`),
 * which holds the group's commit back while messages keep arriving.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startKafkaBroker, type KafkaBroker } from "../../../kafka-local/broker.js";
import { kafkaOpsLogSnapshotSelect } from "../../../shared/connectors/kafka-ops-log.js";
import { kafkaConsumerNames } from "../../../shared/connectors/kafka-consumers.js";
import { kafkaConsumerSql, kafkaMetaColumns } from "../../../shared/connectors/kafka-sql.js";
import { parseDatafile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import { createQuarantineTableSql } from "../../../shared/sql/ddl/quarantine.js";
import { createTableSql } from "../../../shared/sql/ddl/create-table.js";
import { polling } from "./polling.js";

const DB = "t_kafka_ops_log";
const TOPIC = "ops_orders";

let dir: string;
let broker: KafkaBroker;
let producer: Producer;
let ch: ClickHouseClient;
let drop: string[] = [];

const { scalar, waitFor } = polling(() => ch, 90_000);

/** `{"id":N}` without a key: 8 bytes a message for N < 10, 10 bytes for 100 ≤ N < 1000. */
async function produce(ids: number[]) {
  await producer.send({ topic: TOPIC, messages: ids.map((id) => ({ value: JSON.stringify({ id }) })) });
}

/** The snapshot's row of the only partition, as the scheduler would store it. */
const snapshot = (columns: string) =>
  `SELECT ${columns} FROM (${kafkaOpsLogSnapshotSelect([{ workspaceId: "ws_a", database: DB }], new Date(Date.UTC(2026, 11, 8, 1, 0)))})`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tern-kafka-ops-log-"));
  broker = await startKafkaBroker({ dataDir: join(dir, "kafka") });
  const kafka = new Kafka({ clientId: "tern-test", brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 30 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  ch = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword"), request_timeout: 120_000 });

  const parsed = parseDatafile({
    path: "orders.datasource",
    text: `SCHEMA >\n    \`id\` UInt64 \`json:$.id\`\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "id"\nKAFKA_CONNECTION_NAME kafka_local\nKAFKA_TOPIC ${TOPIC}\nKAFKA_GROUP_ID tern_ops_log\nKAFKA_AUTO_OFFSET_RESET earliest\n`,
  });
  if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join("; "));
  const ds = parsed.file as DatasourceFile;
  const columns = [...ds.columns, ...kafkaMetaColumns(ds.kafka!).map((m) => ({ ...m, nullable: false }))];
  const sql = kafkaConsumerSql({
    columns, settings: ds.kafka!, connection: { bootstrapServers: broker.address }, groupId: ds.kafka!.groupId!,
    target: { database: DB, table: "orders_t", quarantineTable: "orders_t_quarantine" }, names: kafkaConsumerNames("orders"),
  });
  drop = sql.drop;
  await ch.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` });
  await ch.command({ query: `CREATE DATABASE ${DB}` });
  await ch.command({ query: createTableSql({ ...ds, columns: columns as DatasourceFile["columns"] }, { database: DB, table: "orders_t" }) });
  await ch.command({ query: createQuarantineTableSql({ columns }, { database: DB, table: "orders_t" }) });
  // Produced before the consumer exists: a new group at earliest reads them all.
  await produce([0, 1, 2, 3, 4]);
  for (const s of sql.create) await ch.command({ query: s });
}, 300_000);

afterAll(async () => {
  for (const s of drop) await ch?.command({ query: s }).catch(() => {});
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` }).catch(() => {});
  await ch?.close();
  await producer?.disconnect().catch(() => {});
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe("tinybird.kafka_ops_log's snapshot of a consumer", () => {
  it("a consumer that wrote and committed every message: lag 0, processed and committed 5, the 40 bytes it fetched, info", async () => {
    const want = `ws_a\t2026-12-08 01:00:00.000\torders\t${TOPIC}\t0\tinfo\t0\t5\t40\t5\t1`;
    expect(await waitFor(snapshot("workspace_id, timestamp, datasource_name, topic, partition, msg_type, lag, processed_messages, processed_bytes, committed_messages, msg = ''"), want)).toBe(want);
  });

  it("while the datasource's table refuses the blocks, lag counts the 7 messages since the last commit and msg_type error says why", async () => {
    await ch.command({ query: `ALTER TABLE ${DB}.orders_t MODIFY SETTING parts_to_throw_insert = 1` });
    await produce([100, 101, 102, 103, 104, 105, 106]);
    const want = "error\t7\t5\t1";
    expect(await waitFor(snapshot("msg_type, lag, committed_messages, msg LIKE 'Code: 252. DB::Exception: Too many parts%'"), want)).toBe(want);
  });

  it("once the table takes them again: lag 0, committed 12, info with no message", async () => {
    await ch.command({ query: `ALTER TABLE ${DB}.orders_t MODIFY SETTING parts_to_throw_insert = 3000` });
    const want = "info\t0\t12\t12\t1";
    expect(await waitFor(snapshot("msg_type, lag, processed_messages, committed_messages, msg = ''"), want)).toBe(want);
  });

  it("a consumer made without statistics has lag and processed_bytes NULL, its position and commits still read", async () => {
    // The same consumer as Tern made it before statistics were turned on.
    await ch.command({ query: `DROP NAMED COLLECTION IF EXISTS ${DB}_plain` });
    await ch.command({ query: `CREATE NAMED COLLECTION ${DB}_plain AS \`kafka.auto_offset_reset\` = 'earliest'` });
    await ch.command({ query: `CREATE TABLE ${DB}.plain__kafka (value String) ENGINE = Kafka(${DB}_plain) SETTINGS kafka_broker_list = '${broker.address}', kafka_topic_list = '${TOPIC}', kafka_group_name = 'tern_ops_log_plain', kafka_format = 'RawBLOB', kafka_num_consumers = 1` });
    await ch.command({ query: `CREATE TABLE ${DB}.plain_rows (value String) ENGINE = MergeTree ORDER BY tuple()` });
    await ch.command({ query: `CREATE MATERIALIZED VIEW ${DB}.plain__kafka_rows TO ${DB}.plain_rows AS SELECT value FROM ${DB}.plain__kafka` });
    try {
      const want = "plain\t0\t1\t1\t12\tinfo";
      expect(await waitFor(`SELECT datasource_name, partition, lag IS NULL, processed_bytes IS NULL, processed_messages, msg_type FROM (${snapshot("*")}) WHERE datasource_name = 'plain'`, want)).toBe(want);
    } finally {
      await ch.command({ query: `DROP VIEW IF EXISTS ${DB}.plain__kafka_rows` });
      await ch.command({ query: `DROP TABLE IF EXISTS ${DB}.plain__kafka` });
      await ch.command({ query: `DROP NAMED COLLECTION IF EXISTS ${DB}_plain` });
    }
  });

  it("reads only the databases it is given", async () => {
    const other = `SELECT count() FROM (${kafkaOpsLogSnapshotSelect([{ workspaceId: "ws_b", database: `${DB}_other` }], new Date())})`;
    expect(await scalar(other)).toBe("0");
  });
});
