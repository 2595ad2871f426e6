/**
 * What a Kafka datasource makes of a message's bytes, on the local engine
 * against a real broker (kafka-local/): `KAFKA_VALUE_FORMAT json_with_schema`
 * (and `KAFKA_KEY_FORMAT`), the schema registry's wire framing (magic byte 0, a
 * 4-byte big-endian schema id, then the JSON) stripped before the columns are
 * read, a message without that header quarantined with a reason; a message
 * over the 10 MiB limit per message quarantined while the consumer goes on; and
 * a missing value given its column's DEFAULT expression; a JSONPath projection.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startKafkaBroker, type KafkaBroker } from "../../../kafka-local/broker.js";
import { KAFKA_MESSAGE_MAX_BYTES, kafkaConsumerSql, kafkaMetaColumns } from "../../../shared/connectors/kafka-sql.js";
import { parseDatafile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import { createQuarantineTableSql } from "../../../shared/sql/ddl/quarantine.js";
import { createTableSql } from "../../../shared/sql/ddl/create-table.js";
import { polling } from "./polling.js";

const DB = `ws_kafka_formats_${process.pid}`;

let dir: string;
let broker: KafkaBroker;
let producer: Producer;
let ch: ClickHouseClient;
const { scalar, waitFor } = polling(() => ch, 120_000);

/** The schema registry's wire format around a document. */
function framed(schemaId: number, document: string | Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(0, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, Buffer.from(document)]);
}

const SCHEMA = `    \`id\` UInt64 \`json:$.id\`,
    \`name\` String \`json:$.user.name\``;

function datasource(topic: string, formats: string, schema = SCHEMA): DatasourceFile {
  const text = `SCHEMA >
${schema}

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
KAFKA_CONNECTION_NAME kafka_local
KAFKA_TOPIC ${topic}
KAFKA_GROUP_ID g_${topic}
KAFKA_AUTO_OFFSET_RESET earliest
KAFKA_STORE_RAW_VALUE True
${formats}`;
  const r = parseDatafile({ path: `${topic}.datasource`, text });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("; "));
  return r.file as DatasourceFile;
}

/** The datasource's table, its quarantine and its consumer, all named after the topic. */
async function deploy(topic: string, formats = "", schema = SCHEMA): Promise<void> {
  const ds = datasource(topic, formats, schema);
  const columns = [...ds.columns, ...kafkaMetaColumns(ds.kafka!).map((m) => ({ ...m, nullable: false }))];
  await ch.command({ query: createTableSql({ ...ds, columns: columns as DatasourceFile["columns"] }, { database: DB, table: topic }) });
  await ch.command({ query: createQuarantineTableSql({ columns }, { database: DB, table: topic }) });
  const sql = kafkaConsumerSql({
    columns, settings: ds.kafka!, connection: { bootstrapServers: broker.address }, groupId: ds.kafka!.groupId!,
    target: { database: DB, table: topic, quarantineTable: `${topic}_quarantine` },
  });
  for (const s of sql.create) await ch.command({ query: s });
}

const landed = (topic: string) => `SELECT (SELECT count() FROM ${DB}.${topic}) + (SELECT count() FROM ${DB}.${topic}_quarantine)`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tern-kafka-formats-"));
  // The local broker's default message.max.bytes (16 MiB) takes a message over Tern's limit.
  broker = await startKafkaBroker({ dataDir: join(dir, "kafka") });
  const kafka = new Kafka({ clientId: "tern-test", brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 30 } });
  producer = kafka.producer();
  await producer.connect();
  ch = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword"), request_timeout: 120_000 });
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${DB}` });
}, 300_000);

afterAll(async () => {
  // Views first: the consumers stop before the broker goes.
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${DB}` }).catch(() => {});
  for (const topic of ["framed", "sized", "defaults"]) await ch?.command({ query: `DROP NAMED COLLECTION IF EXISTS \`${DB}__${topic}_kafka\`` }).catch(() => {});
  await ch?.close();
  await producer?.disconnect().catch(() => {});
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe("KAFKA_VALUE_FORMAT json_with_schema", () => {
  beforeAll(async () => {
    await deploy("framed", "KAFKA_VALUE_FORMAT json_with_schema\nKAFKA_KEY_FORMAT json_with_schema");
    await producer.send({
      topic: "framed",
      messages: [
        { key: framed(7, '{"k":1}'), value: framed(42, JSON.stringify({ id: 1, user: { name: "ann" } })) },
        { key: framed(7, '{"k":2}'), value: framed(42, JSON.stringify({ id: 2, user: { name: "bob" } })) },
        { key: "plain", value: JSON.stringify({ id: 3, user: { name: "no header" } }) },
        { key: "short", value: Buffer.from([0, 0, 0]) },
        { key: "not-json", value: framed(42, "hello") },
        { key: "bad-id", value: framed(42, JSON.stringify({ id: "x", user: { name: "cy" } })) },
      ],
    });
    await waitFor(landed("framed"), "6");
  });

  it("strips the 5-byte header and reads the columns from the JSON after it; __value holds the document, __key the key's", async () => {
    expect(await scalar(`SELECT id, name, __value, __key FROM ${DB}.framed ORDER BY id`)).toBe(
      '1\tann\t{"id":1,"user":{"name":"ann"}}\t{"k":1}\n2\tbob\t{"id":2,"user":{"name":"bob"}}\t{"k":2}',
    );
  });

  it("sends a message without the header to the quarantine with the reason, and the message as received", async () => {
    const reason = "['the message value does not start with the schema registry\\'s header (magic byte 0 and a 4-byte schema id) that KAFKA_VALUE_FORMAT json_with_schema expects']";
    expect(await scalar(`SELECT __key, c__error_column, c__error, id, name, hex(__value) FROM ${DB}.framed_quarantine WHERE __key IN ('plain', 'short') ORDER BY __key`)).toBe(
      `plain\t[]\t${reason}\t\\N\t\\N\t${Buffer.from('{"id":3,"user":{"name":"no header"}}').toString("hex").toUpperCase()}\nshort\t[]\t${reason}\t\\N\t\\N\t000000`,
    );
  });

  it("quarantines a framed message whose document is not a JSON object, or whose value does not fit its column, as json_without_schema does", async () => {
    expect(await scalar(`SELECT __key, c__error_column, c__error, id, name FROM ${DB}.framed_quarantine WHERE __key IN ('not-json', 'bad-id') ORDER BY __key`)).toBe(
      "bad-id\t['id']\t['value \\'x\\' on column \\'id\\' is not UInt64']\tx\tcy\nnot-json\t[]\t['the message value is not a JSON object']\t\\N\t\\N",
    );
  });
});

describe("a message over the limit", () => {
  const big = JSON.stringify({ id: 2, user: { name: "big" }, pad: "x".repeat(KAFKA_MESSAGE_MAX_BYTES) });

  beforeAll(async () => {
    await deploy("sized");
    await producer.send({ topic: "sized", messages: [{ key: "before", value: JSON.stringify({ id: 1, user: { name: "a" } }) }] });
    await producer.send({ topic: "sized", messages: [{ key: "big", value: big }] });
    await producer.send({ topic: "sized", messages: [{ key: "after", value: JSON.stringify({ id: 3, user: { name: "c" } }) }] });
    await waitFor(landed("sized"), "3");
  }, 180_000);

  it("goes to the quarantine with its size in the reason and its bytes in __value", async () => {
    expect(await scalar(`SELECT __key, c__error_column, c__error, id, name, length(__value) FROM ${DB}.sized_quarantine`)).toBe(
      `big\t[]\t['the message value is ${big.length} bytes, over the limit of 10485760 bytes (10 MiB) per message']\t\\N\t\\N\t${big.length}`,
    );
  });

  it("does not stop the consumer: the messages before and after it land", async () => {
    expect(await scalar(`SELECT groupArray(__key) FROM (SELECT __key FROM ${DB}.sized ORDER BY id)`)).toBe("['before','after']");
  });

  it("a message of exactly the limit lands", async () => {
    const prefix = JSON.stringify({ id: 4, user: { name: "edge" }, pad: "" }).slice(0, -2);
    const edge = `${prefix}${"y".repeat(KAFKA_MESSAGE_MAX_BYTES - prefix.length - 2)}"}`;
    expect(edge.length).toBe(KAFKA_MESSAGE_MAX_BYTES);
    await producer.send({ topic: "sized", messages: [{ key: "edge", value: edge }] });
    expect(await waitFor(`SELECT __key, length(__value) FROM ${DB}.sized WHERE id = 4`, `edge\t${KAFKA_MESSAGE_MAX_BYTES}`)).toBe(`edge\t${KAFKA_MESSAGE_MAX_BYTES}`);
  }, 180_000);
});

describe("DEFAULT expressions and JSONPath projections", () => {
  beforeAll(async () => {
    await deploy("defaults", "", `${SCHEMA},
    \`label\` String \`json:$.label\` DEFAULT concat(name, '!'),
    \`score\` Int32 \`json:$.score\` DEFAULT 7,
    \`item_ids\` Array(Int32) \`json:$.items[:].id\``);
    await producer.send({
      topic: "defaults",
      messages: [
        { key: "missing", value: JSON.stringify({ id: 1, user: { name: "ann" } }) },
        { key: "null", value: JSON.stringify({ id: 2, user: { name: "bob" }, label: null, score: null }) },
        { key: "given", value: JSON.stringify({ id: 3, user: { name: "cy" }, label: "own", score: 1, items: [{ id: 5 }, { x: 0 }, { id: 6 }] }) },
        { key: "bad-item", value: JSON.stringify({ id: 4, user: { name: "dee" }, items: [{ id: "five" }] }) },
      ],
    });
    await waitFor(landed("defaults"), "4");
  });

  it("a missing or null value takes the column's DEFAULT, computed from the row's other columns; a given one is kept", async () => {
    expect(await scalar(`SELECT id, name, label, score FROM ${DB}.defaults ORDER BY id`)).toBe("1\tann\tann!\t7\n2\tbob\tbob!\t7\n3\tcy\town\t1");
  });

  it("$.items[:].id reads each element's id, leaving out elements without one; a value that does not convert sends the message to quarantine", async () => {
    expect(await scalar(`SELECT id, item_ids FROM ${DB}.defaults ORDER BY id`)).toBe("1\t[]\n2\t[]\n3\t[5,6]");
    expect(await scalar(`SELECT __key, c__error FROM ${DB}.defaults_quarantine`)).toBe(
      `bad-item\t['value \\'[{"id":"five"}]\\' on column \\'item_ids\\' is not Array(Int32)']`,
    );
  });
});
