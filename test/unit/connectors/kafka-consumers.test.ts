/** shared/connectors/kafka-consumers.ts, kafkaProbeProblem and the plan's meta columns (run for real in test/e2e/kafka.test.ts). */
import { describe, expect, it } from "vitest";
import { defaultKafkaGroup, dropKafkaConsumerSql, planKafkaConsumers, type KafkaManifestView } from "../../../shared/connectors/kafka-consumers.js";
import { kafkaProbeProblem, kafkaProbeSettled } from "../../../shared/connectors/kafka-sql.js";
import { parseDatafile, type ConnectionFile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import { withKafkaMetaColumns } from "../../../shared/deploy/plan/kafka-columns.js";

function parse<T>(path: string, text: string): T {
  const r = parseDatafile({ path, text });
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("; "));
  return r.file as T;
}
const ds = (extra: string) =>
  parse<DatasourceFile>("orders.datasource", `SCHEMA >\n    \`id\` UInt64 \`json:$.id\`\n\nKAFKA_CONNECTION_NAME k\nKAFKA_TOPIC orders\n${extra}`);
const conn = (text: string) => parse<ConnectionFile>("k.connection", text);
function manifest(datasource: DatasourceFile, connection: ConnectionFile): KafkaManifestView {
  return {
    database: "ws",
    datasources: { orders: { name: "orders", table: "orders__abc_t1", quarantineTable: "orders__def_t1_quarantine", file: withKafkaMetaColumns(datasource) } },
    connections: { k: connection },
  };
}

describe("planKafkaConsumers", () => {
  it("resolves tb_secret in the connection and the group, names the objects after the datasource and targets its tables", () => {
    const m = manifest(ds('KAFKA_GROUP_ID {{ tb_secret("GROUP", "g_default") }}\n'), conn('TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS {{ tb_secret("SERVERS") }}\nKAFKA_KEY {{ tb_secret("USER", "u") }}\n'));
    const { consumers, refusals } = planKafkaConsumers(m, { SERVERS: "b:9092", GROUP: "g_set" }, "ws1");
    expect(refusals).toEqual([]);
    expect(consumers.map((c) => [c.datasource, c.topic, c.groupId, c.bootstrapServers, c.connection.key])).toEqual([["orders", "orders", "g_set", "b:9092", "u"]]);
    const sql = consumers[0]!.sql;
    expect([sql.queue, sql.rowsView, sql.quarantineView]).toEqual(["orders__kafka", "orders__kafka_rows", "orders__kafka_quarantine"]);
    expect(sql.create[3]).toContain("TO `ws`.`orders__abc_t1`");
    expect(sql.create[4]).toContain("TO `ws`.`orders__def_t1_quarantine`");
  });

  it("without KAFKA_GROUP_ID the group is fixed per workspace and datasource", () => {
    const { consumers } = planKafkaConsumers(manifest(ds(""), conn("TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS b:9092\n")), {}, "ws1");
    expect(consumers[0]!.groupId).toBe(defaultKafkaGroup("ws1", "orders"));
    expect(defaultKafkaGroup("ws1", "orders")).toBe("tern_ws1_orders");
  });

  it("names why a datasource cannot consume: a secret without value, a connection of another type, avro", () => {
    const unset = planKafkaConsumers(manifest(ds(""), conn('TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS {{ tb_secret("SERVERS") }}\n')), {}, "ws1");
    expect(unset.refusals).toEqual([{ datasource: "orders", message: 'Datasource \'orders\': secret "SERVERS" with no value and no default (tb secret set, POST /v0/variables)' }]);
    const s3 = planKafkaConsumers(manifest(ds(""), conn("TYPE s3\nS3_REGION r\nS3_ACCESS_KEY a\nS3_SECRET b\n")), {}, "ws1");
    expect(s3.refusals[0]!.message).toBe("Datasource 'orders': connection 'k' is TYPE s3; KAFKA_CONNECTION_NAME needs a TYPE kafka connection");
    const avro = planKafkaConsumers(manifest(ds("KAFKA_VALUE_FORMAT avro\n"), conn("TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS b:9092\n")), {}, "ws1");
    expect(avro.refusals[0]!.message).toBe("Datasource 'orders': KAFKA_VALUE_FORMAT avro needs KAFKA_SCHEMA_REGISTRY_URL in connection 'k'");
    expect(avro.consumers).toEqual([]);
    const avroKey = planKafkaConsumers(manifest(ds("KAFKA_KEY_FORMAT avro\n"), conn("TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS b:9092\n")), {}, "ws1");
    expect(avroKey.refusals[0]!.message).toBe("Datasource 'orders': KAFKA_KEY_FORMAT avro is not supported yet (KAFKA_VALUE_FORMAT avro is)");
  });

  it("reads Avro values through the connection's schema registry, its URL from tb_secret", () => {
    const m = manifest(ds("KAFKA_VALUE_FORMAT avro\n"), conn('TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS b:9092\nKAFKA_SCHEMA_REGISTRY_URL {{ tb_secret("REGISTRY") }}\n'));
    const { consumers, refusals } = planKafkaConsumers(m, { REGISTRY: "https://u:p@registry:8081" }, "ws1");
    expect(refusals).toEqual([]);
    expect(consumers[0]!.sql.create[2]).toContain("kafka_format = 'AvroConfluent', format_avro_schema_registry_url = 'https://u:p@registry:8081'");
  });

  it("drops by name, views before the engine table, the table before its named collection", () => {
    expect(dropKafkaConsumerSql("ws", "orders")).toEqual([
      "DROP VIEW IF EXISTS `ws`.`orders__kafka_rows`", "DROP VIEW IF EXISTS `ws`.`orders__kafka_quarantine`", "DROP TABLE IF EXISTS `ws`.`orders__kafka`",
      "DROP NAMED COLLECTION IF EXISTS `ws__orders__kafka`",
    ]);
  });
});

describe("withKafkaMetaColumns", () => {
  it("adds the meta columns after the declared ones (__headers with KAFKA_STORE_HEADERS), keeping a declared one as written", () => {
    expect(withKafkaMetaColumns(ds("KAFKA_STORE_HEADERS True\n")).columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      "id UInt64", "__value String", "__topic LowCardinality(String)", "__partition Int16", "__offset Int64", "__timestamp DateTime", "__key String",
      "__headers Map(String, String)",
    ]);
    const declared = parse<DatasourceFile>("o.datasource", "SCHEMA >\n    `__key` Nullable(String)\n\nKAFKA_CONNECTION_NAME k\nKAFKA_TOPIC t\n");
    expect(withKafkaMetaColumns(declared).columns.filter((c) => c.name === "__key").map((c) => c.type)).toEqual(["Nullable(String)"]);
  });
  it("leaves other datasources alone", () => {
    const plain = parse<DatasourceFile>("p.datasource", "SCHEMA >\n    `a` String\n");
    expect(withKafkaMetaColumns(plain)).toBe(plain);
  });
});

describe("kafkaProbeSettled", () => {
  it("is settled once partitions are assigned or librdkafka reported an error, not before", () => {
    expect(kafkaProbeSettled([])).toBe(false);
    expect(kafkaProbeSettled([{ partitions: 0, errors: [] }])).toBe(false);
    expect(kafkaProbeSettled([{ partitions: "3", errors: [] }])).toBe(true);
    expect(kafkaProbeSettled([{ partitions: 0, errors: ["Broker: Unknown topic or partition"] }])).toBe(true);
  });
});

describe("kafkaProbeProblem", () => {
  const where = { servers: "b:9092", topic: "t" };
  it("is undefined when partitions were assigned and nothing failed", () => {
    expect(kafkaProbeProblem([{ partitions: 3, errors: [] }], where)).toBeUndefined();
  });
  it("says the topic is missing, the host unreachable, the credentials refused, or that nothing answered", () => {
    expect(kafkaProbeProblem([{ partitions: 0, errors: ["Broker: Unknown topic or partition"] }], where)).toBe("topic 't' does not exist on b:9092");
    expect(kafkaProbeProblem([{ partitions: 0, errors: ["[thrd:b:9092/bootstrap]: 1/1 brokers are down"] }], where))
      .toBe("cannot reach the Kafka broker at b:9092 ([thrd:b:9092/bootstrap]: 1/1 brokers are down)");
    expect(kafkaProbeProblem([{ partitions: 0, errors: ["SASL authentication error: Authentication failed"] }], where))
      .toBe("the broker at b:9092 refused the connection's credentials (SASL authentication error: Authentication failed)");
    // A refused connection comes first, then librdkafka's summary: the summary is named, as when only it was left.
    expect(kafkaProbeProblem([{ partitions: 0, errors: ["[thrd:b:9092/bootstrap]: b:9092/bootstrap: Connect to ipv4#10.0.0.1:9092 failed: Connection refused", "[thrd:b:9092/bootstrap]: 1/1 brokers are down"] }], where))
      .toBe("cannot reach the Kafka broker at b:9092 ([thrd:b:9092/bootstrap]: 1/1 brokers are down)");
    expect(kafkaProbeProblem([], where)).toBe("no partition of topic 't' was assigned by b:9092 within the check's wait; the broker may be unreachable or the topic missing");
  });
});
