/**
 * KAFKA_AUTO_OFFSET_RESET on the local engine against a real broker
 * (kafka-local/): a new group starts at the end of the topic by default
 * (`latest`, as Tinybird) and at its start with `earliest`; a group that has
 * committed keeps its place whatever the setting. Ids 1000 and up are markers
 * (see `waitUntilConsuming`), left out of what is compared.
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

const DB = "ws_reset";
const TOPIC = "clicks";
const USER = "tern";
const PASSWORD = "kafka-reset-password";

let dir: string;
let broker: KafkaBroker;
let producer: Producer;
let server: SpawnedClickHouse;
let ch: ClickHouseClient;

function datasource(group: string, reset: string): DatasourceFile {
  const text = `SCHEMA >
    \`id\` UInt64 \`json:$.id\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
KAFKA_CONNECTION_NAME kafka_local
KAFKA_TOPIC ${TOPIC}
KAFKA_GROUP_ID ${group}
${reset}`;
  const r = parseDatafile({ path: `${group}.datasource`, text });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("; "));
  return r.file as DatasourceFile;
}

function consumer(ds: DatasourceFile, table: string) {
  const columns = [...ds.columns, ...kafkaMetaColumns(ds.kafka!).map((m) => ({ ...m, nullable: false }))];
  const sql = kafkaConsumerSql({
    columns, settings: ds.kafka!, connection: { bootstrapServers: broker.address }, groupId: ds.kafka!.groupId!,
    target: { database: DB, table, quarantineTable: `${table}_quarantine` },
  });
  return { columns, sql };
}

/** Creates the datasource's tables (first time only) and its consumer. */
async function deploy(ds: DatasourceFile, table: string, tablesToo: boolean): Promise<ReturnType<typeof consumer>> {
  const c = consumer(ds, table);
  if (tablesToo) {
    await ch.command({ query: createTableSql({ ...ds, columns: c.columns as DatasourceFile["columns"] }, { database: DB, table }) });
    await ch.command({ query: createQuarantineTableSql({ columns: c.columns }, { database: DB, table }) });
  }
  for (const s of c.sql.create) await ch.command({ query: s });
  return c;
}

const { scalar, waitFor } = polling(() => ch, 120_000);
async function produce(ids: number[]): Promise<void> {
  await producer.send({ topic: TOPIC, messages: ids.map((id) => ({ key: `k${id}`, value: JSON.stringify({ id }) })) });
}
const ids = (table: string) => scalar(`SELECT groupArray(id) FROM (SELECT id FROM ${DB}.${table} WHERE id < 1000 ORDER BY id)`);

/**
 * A `latest` consumer takes its start position when it first fetches, some time
 * after its views exist: until then a message sent may fall before it. Markers
 * are sent one at a time until one lands; every message sent after that is read.
 */
async function waitUntilConsuming(table: string, firstMarker: number): Promise<void> {
  for (let m = firstMarker; m < firstMarker + 120; m++) {
    await produce([m]);
    if (await waitFor(`SELECT count() > 0 FROM ${DB}.${table} WHERE id >= 1000`, "1", 1_000) === "1") return;
  }
  throw new Error(`no marker reached ${table}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tern-kafka-reset-"));
  broker = await startKafkaBroker({ dataDir: join(dir, "kafka") });
  const kafka = new Kafka({ clientId: "tern-test", brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 30 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
  server = await spawnLocalClickHouse({ port: 0, dataDir: join(dir, "clickhouse"), user: USER, password: PASSWORD });
  ch = createClient({ url: server.url, username: USER, password: PASSWORD, request_timeout: 120_000 });
  await ch.command({ query: `CREATE DATABASE ${DB}` });
  // In the topic before any datasource reads it.
  await produce([1, 2, 3, 4]);
}, 300_000);

afterAll(async () => {
  await ch?.close();
  await server?.stop();
  await producer?.disconnect().catch(() => {});
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe("KAFKA_AUTO_OFFSET_RESET", () => {
  it("by default (latest) a new datasource skips the messages sent before its deploy and loads those sent after", { timeout: 240_000 }, async () => {
    await deploy(datasource("g_latest", ""), "latest_t", true);
    await waitUntilConsuming("latest_t", 1000);
    await produce([5, 6]);
    expect(await waitFor(`SELECT count() FROM ${DB}.latest_t WHERE id < 1000`, "2")).toBe("2");
    expect(await ids("latest_t")).toBe("[5,6]");
  });

  it("with earliest a new datasource loads the messages sent before its deploy and those sent after", { timeout: 240_000 }, async () => {
    await deploy(datasource("g_earliest", "KAFKA_AUTO_OFFSET_RESET earliest\n"), "earliest_t", true);
    await produce([7]);
    expect(await waitFor(`SELECT count() FROM ${DB}.earliest_t WHERE id < 1000`, "7")).toBe("7");
    expect(await ids("earliest_t")).toBe("[1,2,3,4,5,6,7]");
  });

  it("a group that has committed keeps its place when its consumer is recreated (latest): messages sent meanwhile are loaded", { timeout: 240_000 }, async () => {
    const old = consumer(datasource("g_latest", ""), "latest_t");
    expect(await waitFor(`SELECT count() FROM ${DB}.latest_t WHERE id < 1000`, "3")).toBe("3");
    for (const s of old.sql.drop) await ch.command({ query: s });
    await produce([8, 9]);
    await deploy(datasource("g_latest", ""), "latest_t", false);
    expect(await waitFor(`SELECT count() FROM ${DB}.latest_t WHERE id < 1000`, "5")).toBe("5");
    expect(await ids("latest_t")).toBe("[5,6,7,8,9]");
  });
});
