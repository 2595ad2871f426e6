/**
 * `KAFKA_VALUE_FORMAT avro` on the local engine against a real broker
 * (kafka-local/) and a real Confluent-compatible schema registry (Apicurio
 * Registry, kafka-local/registry.ts): schemas registered over the registry's
 * API, messages encoded with `avsc` in the registry's wire format (magic byte 0,
 * the schema id, the Avro body); ClickHouse reads them with `AvroConfluent`,
 * fetching each schema by id. Messages it cannot read go to the quarantine
 * with ClickHouse's reason.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import avro from "avsc";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startKafkaBroker, type KafkaBroker } from "../../../kafka-local/broker.js";
import { startSchemaRegistry, type SchemaRegistry } from "../../../kafka-local/registry.js";
import { kafkaConsumerSql, kafkaMetaColumns } from "../../../shared/connectors/kafka-sql.js";
import { parseDatafile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import { createQuarantineTableSql } from "../../../shared/sql/ddl/quarantine.js";
import { createTableSql } from "../../../shared/sql/ddl/create-table.js";
import { polling } from "./polling.js";

const DB = `ws_kafka_avro_${process.pid}`;
const TOPIC = "orders_avro";

let dir: string;
let broker: KafkaBroker;
let registry: SchemaRegistry;
let producer: Producer;
let ch: ClickHouseClient;
const { scalar, waitFor } = polling(() => ch, 120_000);

const V1 = {
  type: "record", name: "Order",
  fields: [
    { name: "id", type: "long" },
    { name: "user", type: { type: "record", name: "User", fields: [{ name: "name", type: "string" }] } },
    { name: "score", type: ["null", "double"], default: null },
  ],
};
// A later version without `score`: the column gets its default (NULL, the column being Nullable).
const V2 = { type: "record", name: "Order", fields: [V1.fields[0]!, V1.fields[1]!] };

async function register(subject: string, schema: object): Promise<number> {
  const res = await fetch(`${registry.url}/subjects/${subject}/versions`, {
    method: "POST", headers: { "content-type": "application/vnd.schemaregistry.v1+json" }, body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: number }).id;
}

/** The registry's wire format: magic byte 0, the schema id (4 bytes, big-endian), the Avro body. */
function framed(schemaId: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}

function datasource(): DatasourceFile {
  const text = `SCHEMA >
    \`id\` UInt64 \`json:$.id\`,
    \`name\` String \`json:$.user.name\`,
    \`score\` Nullable(Float64) \`json:$.score\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
KAFKA_CONNECTION_NAME kafka_local
KAFKA_TOPIC ${TOPIC}
KAFKA_GROUP_ID g_avro
KAFKA_AUTO_OFFSET_RESET earliest
KAFKA_VALUE_FORMAT avro
`;
  const r = parseDatafile({ path: "orders_avro.datasource", text });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("; "));
  return r.file as DatasourceFile;
}

let v1: number;
let v2: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tern-kafka-avro-"));
  [broker, registry] = await Promise.all([startKafkaBroker({ dataDir: join(dir, "kafka") }), startSchemaRegistry()]);
  producer = new Kafka({ clientId: "tern-test", brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 30 } }).producer();
  await producer.connect();
  ch = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword"), request_timeout: 120_000 });
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });

  const ds = datasource();
  const columns = [...ds.columns, ...kafkaMetaColumns(ds.kafka!).map((m) => ({ ...m, nullable: false }))];
  await ch.command({ query: createTableSql({ ...ds, columns: columns as DatasourceFile["columns"] }, { database: DB, table: "orders" }) });
  await ch.command({ query: createQuarantineTableSql({ columns }, { database: DB, table: "orders" }) });
  const sql = kafkaConsumerSql({
    columns, settings: ds.kafka!, connection: { bootstrapServers: broker.address, schemaRegistryUrl: registry.url }, groupId: "g_avro",
    target: { database: DB, table: "orders", quarantineTable: "orders_quarantine" },
  });
  for (const s of sql.create) await ch.command({ query: s });

  v1 = await register(`${TOPIC}-value`, V1);
  v2 = await register(`${TOPIC}-value`, V2);
  const t1 = avro.Type.forSchema(V1 as avro.Schema);
  const t2 = avro.Type.forSchema(V2 as avro.Schema);
  await producer.send({
    topic: TOPIC,
    messages: [
      { key: "a", value: framed(v1, t1.toBuffer({ id: 1, user: { name: "ann" }, score: 2.5 })) },
      { key: "b", value: framed(v1, t1.toBuffer({ id: 2, user: { name: "bob" }, score: null })) },
      { key: "c", value: framed(v2, t2.toBuffer({ id: 3, user: { name: "cy" } })) },
      { key: "plain-json", value: JSON.stringify({ id: 4, user: { name: "dee" } }) },
      { key: "unknown-id", value: framed(999, t1.toBuffer({ id: 5, user: { name: "eve" }, score: 1 })) },
      { key: "d", value: framed(v1, t1.toBuffer({ id: 6, user: { name: "fay" }, score: 0.5 })) },
    ],
  });
  await waitFor(`SELECT (SELECT count() FROM ${DB}.orders) + (SELECT count() FROM ${DB}.orders_quarantine)`, "6");
}, 300_000);

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${DB}` }).catch(() => {});
  await ch?.command({ query: `DROP NAMED COLLECTION IF EXISTS \`${DB}__orders_kafka\`` }).catch(() => {});
  await ch?.close();
  await producer?.disconnect().catch(() => {});
  await Promise.all([broker?.stop(), registry?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe("KAFKA_VALUE_FORMAT avro with a schema registry", () => {
  it("reads each message with the schema its id names: fields by JSONPath (a nested record's too), a null union as NULL", async () => {
    expect(await scalar(`SELECT id, name, score, __key, __topic FROM ${DB}.orders WHERE id IN (1, 2, 6) ORDER BY id`)).toBe(
      `1\tann\t2.5\ta\t${TOPIC}\n2\tbob\t\\N\tb\t${TOPIC}\n6\tfay\t0.5\td\t${TOPIC}`,
    );
  });

  it("a field the writer's schema does not have gives the column's default", async () => {
    expect(await scalar(`SELECT id, name, score FROM ${DB}.orders WHERE id = 3`)).toBe("3\tcy\t\\N");
  });

  it("sends a message without the registry's header to the quarantine with ClickHouse's reason and the message", async () => {
    expect(await scalar(`SELECT c__error_column, c__error, __value, id FROM ${DB}.orders_quarantine WHERE __key = 'plain-json'`)).toBe(
      "[]\t['the message value could not be read as Avro: Invalid magic byte before AvroConfluent schema identifier. Must be zero byte, found 123 instead']\t" +
        '{"id":4,"user":{"name":"dee"}}\t\\N',
    );
  });

  it("sends a message whose schema id the registry does not know to the quarantine, naming the id", async () => {
    expect(await scalar(`SELECT c__error FROM ${DB}.orders_quarantine WHERE __key = 'unknown-id'`)).toBe(
      "['the message value could not be read as Avro: Received error from remote server /apis/ccompat/v6/schemas/ids/999. HTTP status code: 404 \\'Not Found\\', " +
        "body length: 83 bytes, body: \\'{\"message\":\"No content with id/hash \\'contentId-999\\' was found.\",\"error_code\":40403}\\': while fetching schema id = 999']",
    );
  });

  it("lands every message once: four rows, two quarantined, none twice", async () => {
    expect(await scalar(`SELECT count(), uniqExact(id) FROM ${DB}.orders`)).toBe("4\t4");
    expect(await scalar(`SELECT count() FROM ${DB}.orders_quarantine`)).toBe("2");
  });
});
