/**
 * Kafka topic → datasource throughput on the local engine, next to a direct
 * ClickHouse insert of the same rows, in one run; and the consumer lag over time.
 *
 *   npx tsx bench/kafka/run.ts [--rows 200000] [--partitions 3]
 *
 * Starts a real broker (kafka-local/) and a local ClickHouse of its own,
 * produces the rows as JSON messages, inserts the same NDJSON directly into a
 * twin table (the baseline), then creates the consumer of
 * shared/connectors/kafka-sql.ts and samples, every 500 ms, the rows landed and
 * the group's lag (end offsets minus committed offsets, from the broker).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@clickhouse/client-web";
import { Kafka, logLevel } from "kafkajs";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { startKafkaBroker } from "../../kafka-local/broker.js";
import { kafkaConsumerSql, kafkaMetaColumns } from "../../shared/connectors/kafka-sql.js";
import { parseDatafile, type DatasourceFile } from "../../shared/datafiles/index.js";
import { createQuarantineTableSql } from "../../shared/sql/ddl/quarantine.js";
import { createTableSql } from "../../shared/sql/ddl/create-table.js";
import { loadLine, machineLine } from "../lib/measure.js";

const { values } = parseArgs({ options: { rows: { type: "string", default: "200000" }, partitions: { type: "string", default: "3" } } });
const ROWS = Number(values.rows);
const PARTITIONS = Number(values.partitions);
const TOPIC = "bench_events";
const DB = "bench_kafka";

const parsed = parseDatafile({
  path: "events.datasource",
  text: `SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`user_id\` UInt64 \`json:$.user.id\`,
    \`event\` LowCardinality(String) \`json:$.event\`,
    \`amount\` Float64 \`json:$.amount\`,
    \`path\` String \`json:$.path\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "ts, user_id"
KAFKA_CONNECTION_NAME local
KAFKA_TOPIC ${TOPIC}
KAFKA_GROUP_ID bench
`,
});
if (!parsed.ok) throw new Error(parsed.errors.map((e) => e.message).join("; "));
const ds = parsed.file as DatasourceFile;

const dir = await mkdtemp(join(tmpdir(), "tern-bench-kafka-"));
const broker = await startKafkaBroker({ dataDir: join(dir, "kafka"), messageMaxBytes: 4 << 20 });
const server = await spawnLocalClickHouse({ port: 0, dataDir: join(dir, "clickhouse"), user: "bench", password: "bench-password" });
const ch = createClient({ url: server.url, username: "bench", password: "bench-password", request_timeout: 600_000 });
const kafka = new Kafka({ clientId: "bench", brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 30 } });
const admin = kafka.admin();
try {
  console.log(machineLine());
  console.log(`broker ${broker.address}, ClickHouse ${server.url}, ${ROWS} rows, ${PARTITIONS} partitions`);
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });

  const now = Math.floor(Date.now() / 1000);
  const lines = Array.from({ length: ROWS }, (_, i) =>
    JSON.stringify({ ts: new Date((now - (i % 86400)) * 1000).toISOString().slice(0, 19).replace("T", " "), user: { id: i % 5000 }, event: ["view", "click", "buy"][i % 3], amount: (i % 1000) / 10, path: `/p/${i % 97}` }));

  const producer = kafka.producer();
  await producer.connect();
  let t = performance.now();
  for (let i = 0; i < ROWS; i += 10_000) await producer.send({ topic: TOPIC, messages: lines.slice(i, i + 10_000).map((value) => ({ value })) });
  const produceS = (performance.now() - t) / 1000;
  await producer.disconnect();
  console.log(`produced ${ROWS} messages in ${produceS.toFixed(2)} s (${Math.round(ROWS / produceS)} msg/s, kafkajs)   ${loadLine()}`);

  const columns = [...ds.columns, ...kafkaMetaColumns(ds.kafka!).map((m) => ({ ...m, nullable: false }))];
  await ch.command({ query: `CREATE DATABASE ${DB}` });
  for (const table of ["direct_t", "events_t"]) {
    await ch.command({ query: createTableSql({ ...ds, columns: columns as DatasourceFile["columns"] }, { database: DB, table }) });
  }
  await ch.command({ query: createQuarantineTableSql({ columns }, { database: DB, table: "events_t" }) });

  // Baseline: the same rows inserted directly (JSONEachRow with the datasource's columns at the top level).
  const flat = lines.map((l) => {
    const o = JSON.parse(l) as { ts: string; user: { id: number }; event: string; amount: number; path: string };
    return JSON.stringify({ ts: o.ts, user_id: o.user.id, event: o.event, amount: o.amount, path: o.path });
  });
  t = performance.now();
  for (let i = 0; i < ROWS; i += 100_000) {
    await ch.command({ query: `INSERT INTO ${DB}.direct_t (ts, user_id, event, amount, path) FORMAT JSONEachRow\n${flat.slice(i, i + 100_000).join("\n")}` });
  }
  const directS = (performance.now() - t) / 1000;
  console.log(`direct insert: ${ROWS} rows in ${directS.toFixed(2)} s = ${Math.round(ROWS / directS)} rows/s   ${loadLine()}`);

  const sql = kafkaConsumerSql({
    columns, settings: ds.kafka!, connection: { bootstrapServers: broker.address }, groupId: "bench",
    target: { database: DB, table: "events_t", quarantineTable: "events_t_quarantine" },
  });
  const count = async () => Number((await (await ch.query({ query: `SELECT count() FROM ${DB}.events_t`, format: "TabSeparated" })).text()).trim());
  const ends = new Map((await admin.fetchTopicOffsets(TOPIC)).map((p) => [p.partition, Number(p.high)]));
  // The group's coordinator may move while the consumer joins: a failed read prints "?".
  const lag = async () => {
    try {
      const committed = (await admin.fetchOffsets({ groupId: "bench", topics: [TOPIC] }))[0]!.partitions;
      return String(committed.reduce((sum, p) => sum + (ends.get(p.partition) ?? 0) - Math.max(0, Number(p.offset)), 0));
    } catch {
      return "?";
    }
  };
  console.log("\nconsumer lag over time (s since the consumer was created, rows landed, group lag from the broker):");
  t = performance.now();
  for (const s of sql.create) await ch.command({ query: s });
  let landed = 0;
  while (landed < ROWS) {
    await new Promise((r) => setTimeout(r, 500));
    landed = await count();
    console.log(`  ${((performance.now() - t) / 1000).toFixed(1).padStart(6)} s  ${String(landed).padStart(9)} rows  lag ${await lag()}`);
    if (performance.now() - t > 600_000) throw new Error("not all rows landed within 10 minutes");
  }
  const kafkaS = (performance.now() - t) / 1000;
  const quarantined = Number((await (await ch.query({ query: `SELECT count() FROM ${DB}.events_t_quarantine`, format: "TabSeparated" })).text()).trim());
  console.log(`\ntopic -> table: ${ROWS} rows in ${kafkaS.toFixed(2)} s = ${Math.round(ROWS / kafkaS)} rows/s (incl. group join and the 500 ms sampling), quarantined ${quarantined}`);
  console.log(`direct insert:  ${ROWS} rows in ${directS.toFixed(2)} s = ${Math.round(ROWS / directS)} rows/s`);
  console.log(`ratio (topic -> table / direct): ${(ROWS / kafkaS / (ROWS / directS)).toFixed(2)}   ${loadLine()}`);
} finally {
  await admin.disconnect().catch(() => {});
  await ch.close();
  await server.stop();
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
}
