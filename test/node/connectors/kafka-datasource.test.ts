/**
 * A Kafka datasource consumed by the local engine with the SQL of
 * shared/connectors/kafka-sql.ts, against a real broker (kafka-local/) and a
 * local ClickHouse of this file's own (so it can be restarted): every message
 * lands once, in the datasource or its quarantine with a reason; meta columns;
 * a schema change that recreates the consumer with the same group keeps the
 * committed offsets; the broker and the local ClickHouse restarted mid-stream.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLocalClickHouse, type SpawnedClickHouse } from "../../../clickhouse-local/spawn.js";
import { startKafkaBroker, type KafkaBroker } from "../../../kafka-local/broker.js";
import { kafkaConsumerSql, kafkaMetaColumns } from "../../../shared/connectors/kafka-sql.js";
import { parseDatafile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import { createQuarantineTableSql } from "../../../shared/sql/ddl/quarantine.js";
import { createTableSql } from "../../../shared/sql/ddl/create-table.js";
import { polling } from "./polling.js";

const DB = "ws_kafka";
const TOPIC = "orders";
const USER = "tern";
const PASSWORD = "kafka-test-password";

let dir: string;
let broker: KafkaBroker;
let producer: Producer;
let kafka: Kafka;
let server: SpawnedClickHouse;
let ch: ClickHouseClient;

function datasource(extraColumn = ""): DatasourceFile {
  const text = `SCHEMA >
    \`id\` UInt64 \`json:$.id\`,
    \`name\` String \`json:$.user.name\`,
    \`ts\` DateTime \`json:$.ts\`,
    \`score\` Nullable(Float64) \`json:$.score\`${extraColumn}

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
KAFKA_CONNECTION_NAME kafka_local
KAFKA_TOPIC ${TOPIC}
KAFKA_GROUP_ID tern_orders
KAFKA_AUTO_OFFSET_RESET earliest
KAFKA_STORE_RAW_VALUE True
`;
  const r = parseDatafile({ path: "orders.datasource", text });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("; "));
  return r.file as DatasourceFile;
}

function consumer(ds: DatasourceFile) {
  const columns = [...ds.columns, ...kafkaMetaColumns(ds.kafka!).map((m) => ({ ...m, nullable: false }))];
  return {
    columns,
    sql: kafkaConsumerSql({
      columns, settings: ds.kafka!, connection: { bootstrapServers: broker.address }, groupId: ds.kafka!.groupId!,
      target: { database: DB, table: "orders_t", quarantineTable: "orders_t_quarantine" },
    }),
  };
}

const { scalar, waitFor } = polling(() => ch, 180_000);
const total = `SELECT (SELECT count() FROM ${DB}.orders_t) + (SELECT count() FROM ${DB}.orders_t_quarantine)`;
const ts = () => new Date(Date.now() - 3600_000).toISOString().slice(0, 19).replace("T", " ");
function good(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: JSON.stringify({ id: from + i, user: { name: `u${from + i}` }, ts: ts(), score: (from + i) / 2 }) }));
}
async function produce(messages: Array<{ key: string; value: string }>) {
  for (let i = 0; i < messages.length; i += 5000) await producer.send({ topic: TOPIC, messages: messages.slice(i, i + 5000) });
}
async function startClickHouse() {
  server = await spawnLocalClickHouse({ port: server?.port ?? 0, dataDir: join(dir, "clickhouse"), user: USER, password: PASSWORD });
  ch = createClient({ url: server.url, username: USER, password: PASSWORD, request_timeout: 120_000 });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tern-kafka-ds-"));
  broker = await startKafkaBroker({ dataDir: join(dir, "kafka") });
  kafka = new Kafka({ clientId: "tern-test", brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 30 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  await startClickHouse();
}, 300_000);

afterAll(async () => {
  await ch?.close();
  await server?.stop();
  await producer?.disconnect().catch(() => {});
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe("a Kafka datasource on the local engine", () => {
  it("lands every message once: fitting ones in the datasource with the meta columns, the rest in quarantine with a reason", async () => {
    const ds = datasource();
    const { columns, sql } = consumer(ds);
    await ch.command({ query: `CREATE DATABASE ${DB}` });
    await ch.command({ query: createTableSql({ ...ds, columns: columns as DatasourceFile["columns"] }, { database: DB, table: "orders_t" }) });
    await ch.command({ query: createQuarantineTableSql({ columns }, { database: DB, table: "orders_t" }) });
    for (const s of sql.create) await ch.command({ query: s });

    await produce(good(0, 20_000));
    await produce([
      { key: "bad1", value: "not json at all" },
      { key: "bad2", value: JSON.stringify({ id: "abc", user: { name: "x" }, ts: ts() }) },
      { key: "bad3", value: JSON.stringify({ id: 7, user: { name: "y" }, ts: "yesterday", score: "high" }) },
      { key: "bad4", value: "[1, 2, 3]" },
    ]);
    expect(await waitFor(total, "20004")).toBe("20004");
    expect(await scalar(`SELECT count(), uniqExact(id), min(id), max(id) FROM ${DB}.orders_t`)).toBe("20000\t20000\t0\t19999");
    expect(await scalar(`SELECT name, score, __topic, __key, __value != '', __partition IN (0, 1, 2), __offset >= 0, __timestamp > now() - 3600 FROM ${DB}.orders_t WHERE id = 42`))
      .toBe(`u42\t21\t${TOPIC}\tk42\t1\t1\t1\t1`);
    // The quarantine keeps the raw values per column and the message with where it came from.
    expect(await scalar(`SELECT __key, id IS NULL, __value, __topic FROM ${DB}.orders_t_quarantine WHERE __key = 'bad1'`)).toBe(`bad1\t1\tnot json at all\t${TOPIC}`);
    expect(await scalar(`SELECT id, name, __partition IN ('0', '1', '2') FROM ${DB}.orders_t_quarantine WHERE __key = 'bad2'`)).toBe("abc\tx\t1");
    const reasons = (await scalar(`SELECT __key, c__error_column, c__error FROM ${DB}.orders_t_quarantine ORDER BY __key`)).split("\n");
    expect(reasons).toEqual([
      "bad1\t[]\t['the message value is not a JSON object']",
      "bad2\t['id']\t['value \\'abc\\' on column \\'id\\' is not UInt64']",
      "bad3\t['ts','score']\t['value \\'yesterday\\' on column \\'ts\\' is not DateTime','value \\'high\\' on column \\'score\\' is not Nullable(Float64)']",
      "bad4\t[]\t['the message value is not a JSON object']",
    ]);
    // No (partition, offset) in both tables or twice.
    expect(await scalar(`SELECT count(), uniqExact(p, o) FROM (SELECT __partition AS p, __offset AS o FROM ${DB}.orders_t UNION ALL SELECT toInt16(__partition), toInt64(__offset) FROM ${DB}.orders_t_quarantine)`)).toBe("20004\t20004");
  });

  it("a schema change that recreates the consumer with the same group neither rereads nor skips a message", async () => {
    const old = consumer(datasource());
    for (const s of old.sql.drop) await ch.command({ query: s });
    // Messages produced while no consumer exists wait in the topic.
    await produce(good(20_000, 5_000));
    const ds = datasource(",\n    `country` LowCardinality(String) `json:$.country` DEFAULT 'none'");
    await ch.command({ query: `ALTER TABLE ${DB}.orders_t ADD COLUMN country LowCardinality(String) DEFAULT 'none'` });
    await ch.command({ query: `ALTER TABLE ${DB}.orders_t_quarantine ADD COLUMN country Nullable(String) AFTER score` });
    for (const s of consumer(ds).sql.create) await ch.command({ query: s });
    await produce(good(25_000, 5_000).map((m) => ({ ...m, value: m.value.replace(/}$/, ',"country":"fr"}') })));
    expect(await waitFor(total, "30004")).toBe("30004");
    expect(await scalar(`SELECT count(), uniqExact(id), countIf(country = 'fr') FROM ${DB}.orders_t`)).toBe("30000\t30000\t5000");
  });

  it("the broker and the local ClickHouse stopped and started again mid-stream: nothing lost or doubled", { timeout: 420_000 }, async () => {
    const send = produce(good(30_000, 20_000));
    await new Promise((r) => setTimeout(r, 1500));
    await ch.close();
    await server.stop();
    await send;
    await producer.disconnect();
    await broker.stop();
    await broker.start();
    producer = kafka.producer();
    await producer.connect();
    await produce(good(50_000, 10_000));
    await startClickHouse();
    expect(await waitFor(`SELECT uniqExact(id) FROM ${DB}.orders_t`, "60000", 240_000)).toBe("60000");
    // A graceful stop commits what was written: no message twice.
    expect(await scalar(`SELECT count(), uniqExact(id) FROM ${DB}.orders_t`)).toBe("60000\t60000");
  });

  it("the local ClickHouse killed (SIGKILL) while it consumes: every message lands, none twice (100k messages in all)", { timeout: 420_000 }, async () => {
    await produce(good(60_000, 40_000));
    // Kill as soon as the first rows of this burst are in: mid-consumption.
    expect(await waitFor(`SELECT count() > 60000 FROM ${DB}.orders_t`, "1", 120_000)).toBe("1");
    await ch.close();
    await server.kill();
    await startClickHouse();
    expect(await waitFor(`SELECT uniqExact(id) FROM ${DB}.orders_t`, "100000", 300_000)).toBe("100000");
    await new Promise((r) => setTimeout(r, 10_000)); // anything doubled would have landed by now
    const [rows, distinct] = (await scalar(`SELECT count(), uniqExact(id) FROM ${DB}.orders_t`)).split("\t");
    expect({ rows, distinct }).toEqual({ rows: "100000", distinct: "100000" });
  });
});
