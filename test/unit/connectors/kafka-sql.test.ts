/** The text of shared/connectors/kafka-sql.ts's statements (run against a real broker in test/node/connectors/). */
import { describe, expect, it } from "vitest";
import { kafkaConsumerProblem, kafkaConsumerSql, kafkaMetaColumns, kafkaSinkSql, redactedRegistryUrl, schemaRegistryCheckSql } from "../../../shared/connectors/kafka-sql.js";

const columns = [
  { name: "id", type: "UInt64", nullable: false, jsonPath: "$.id" },
  { name: "first", type: "LowCardinality(String)", nullable: false, jsonPath: "$.items[0]['na me']" },
  { name: "note", type: "Nullable(String)", nullable: true },
];
const base = {
  columns, settings: { connectionName: "k", topic: "t'opic", storeRawValue: false }, groupId: "grp",
  connection: { bootstrapServers: "b1:9092,b2:9092" }, target: { database: "ws", table: "ev_1", quarantineTable: "ev_1_quarantine" },
};

describe("kafkaConsumerSql", () => {
  it("names the engine table and views after the datasource's table, turns librdkafka's statistics on in its named collection, drops views before the table and the table before its named collection", () => {
    const sql = kafkaConsumerSql(base);
    expect([sql.queue, sql.rowsView, sql.quarantineView, sql.collection]).toEqual(["ev_1_kafka", "ev_1_kafka_rows", "ev_1_kafka_quarantine", "ws__ev_1_kafka"]);
    expect(sql.create.slice(0, 3)).toEqual([
      "DROP NAMED COLLECTION IF EXISTS `ws__ev_1_kafka`",
      "CREATE NAMED COLLECTION `ws__ev_1_kafka` AS `kafka.auto_offset_reset` = 'latest', `kafka.statistics_interval_ms` = '3000', `kafka.session_timeout_ms` = '10000'",
      "CREATE TABLE `ws`.`ev_1_kafka` (`value` String) ENGINE = Kafka(`ws__ev_1_kafka`) SETTINGS kafka_broker_list = 'b1:9092,b2:9092', kafka_topic_list = 't\\'opic', " +
        "kafka_group_name = 'grp', kafka_format = 'RawBLOB', kafka_num_consumers = 1, kafka_thread_per_consumer = 0",
    ]);
    expect(sql.drop).toEqual([
      "DROP VIEW IF EXISTS `ws`.`ev_1_kafka_rows`", "DROP VIEW IF EXISTS `ws`.`ev_1_kafka_quarantine`", "DROP TABLE IF EXISTS `ws`.`ev_1_kafka`",
      "DROP NAMED COLLECTION IF EXISTS `ws__ev_1_kafka`",
    ]);
  });
  it("starts a new group at the earliest offset with KAFKA_AUTO_OFFSET_RESET earliest", () => {
    const sql = kafkaConsumerSql({ ...base, settings: { ...base.settings, autoOffsetReset: "earliest" as const } });
    expect(sql.create[1]).toBe("CREATE NAMED COLLECTION `ws__ev_1_kafka` AS `kafka.auto_offset_reset` = 'earliest', `kafka.statistics_interval_ms` = '3000', `kafka.session_timeout_ms` = '10000'");
  });
  it("follows JSONPaths (1-based indexes, quoted keys, the column name without one) and drops LowCardinality inside Nullable", () => {
    const rows = kafkaConsumerSql(base).create[3]!;
    expect(rows).toContain("JSONExtract(value, 'id', 'Nullable(UInt64)')");
    expect(rows).toContain("JSONExtract(value, 'items', 1, 'na me', 'Nullable(String)')");
    expect(rows).toContain("JSONExtract(value, 'note', 'Nullable(String)') AS __v2");
    expect(rows).toContain("SELECT __v0 AS `id`, __v1 AS `first`, __v2 AS `note`, __value, __topic, __partition, __offset, __timestamp, __key FROM (");
    expect(rows).toContain("'' AS __value");
    expect(rows).toContain("TO `ws`.`ev_1`");
  });
  it("gives a missing value the column's DEFAULT, which may name other columns", () => {
    const sql = kafkaConsumerSql({ ...base, columns: [...columns, { name: "label", type: "String", nullable: false, default: "concat(note, '!')" }] });
    expect(sql.create[3]).toContain("(JSONExtractRaw(value, 'label') NOT IN ('', 'null')) AS __p3");
    expect(sql.create[3]).toContain("if(__p3, __v3, concat(note, '!')) AS `label`");
  });
  it("stores the raw value and headers when asked; passes SASL settings", () => {
    const sql = kafkaConsumerSql({
      ...base, settings: { ...base.settings, storeRawValue: true, storeHeaders: true },
      connection: { bootstrapServers: "b:9092", securityProtocol: "SASL_SSL", saslMechanism: "SCRAM-SHA-512", key: "user", secret: "p'w" },
    });
    expect(sql.create[2]).toContain("kafka_security_protocol = 'sasl_ssl', kafka_sasl_mechanism = 'SCRAM-SHA-512', kafka_sasl_username = 'user', kafka_sasl_password = 'p\\'w'");
    expect(sql.create[3]).toContain("value AS __value");
    expect(sql.create[3]).toContain("AS __headers");
    expect(kafkaMetaColumns({ storeHeaders: true }).map((c) => c.name)).toEqual(["__value", "__topic", "__partition", "__offset", "__timestamp", "__key", "__headers"]);
    expect(kafkaMetaColumns({}).length).toBe(6);
  });
  it("reads json_with_schema documents after the registry's 5-byte header, and the key's with KAFKA_KEY_FORMAT json_with_schema", () => {
    const sql = kafkaConsumerSql({ ...base, settings: { ...base.settings, storeRawValue: true, valueFormat: "json_with_schema", keyFormat: "json_with_schema" } });
    expect(sql.create[3]).toMatch(/^CREATE MATERIALIZED VIEW `ws`.`ev_1_kafka_rows` TO `ws`.`ev_1` AS SELECT .* FROM \(WITH substring\(value, 6\) AS __document SELECT /);
    expect(sql.create[3]).toContain("JSONExtract(__document, 'id', 'Nullable(UInt64)')");
    expect(sql.create[3]).toContain("__document AS __value");
    expect(sql.create[3]).toContain("if((length(_key) >= 5 AND startsWith(_key, '\\0')), substring(_key, 6), _key) AS __key");
    expect(sql.create[3]).toContain("WHERE NOT (length(value) > 10485760 OR NOT (length(value) >= 5 AND startsWith(value, '\\0'))) AND ");
    expect(sql.create[4]).toContain("the message value does not start with the schema registry\\'s header");
  });
  it("sends a message value over 10 MiB to the quarantine, whatever the format", () => {
    const sql = kafkaConsumerSql(base);
    expect(sql.create[3]).toContain("WHERE NOT (length(value) > 10485760) AND ");
    expect(sql.create[4]).toContain("WHERE (length(value) > 10485760) OR ");
    expect(sql.create[4]).toContain("if(length(value) > 10485760, [multiIf(length(value) > 10485760, concat('the message value is ', toString(length(value)), ' bytes, over the limit of 10485760 bytes (10 MiB) per message'), '')], ");
  });
  it("reads a projection into an Array of scalars", () => {
    const projected = [{ name: "a", type: "Array(String)", nullable: false, jsonPath: "$.a[:].b" }];
    expect(kafkaConsumerProblem({ columns: projected, settings: base.settings })).toBeUndefined();
    expect(kafkaConsumerSql({ ...base, columns: projected }).create[3]).toContain(
      "arrayMap(x -> JSONExtract(x, 'Nullable(String)'), arrayMap(x -> JSONExtractRaw(x, 'b'), arrayFilter(x -> JSONExtractRaw(x, 'b') != '', JSONExtractArrayRaw(value, 'a'))))",
    );
  });
  it("refuses what it cannot consume yet: projections twice or into a scalar, Avro fields by index, Avro without a registry, Avro keys", () => {
    expect(kafkaConsumerProblem({ columns: [{ name: "a", type: "String", nullable: false, jsonPath: "$.a[:].b" }], settings: base.settings })).toBe(
      "column a: the JSONPath $.a[:].b projects an array ([:] or [*]) more than once, or into a column that is not an Array of scalars",
    );
    expect(kafkaConsumerProblem({ columns: [{ name: "a", type: "Array(String)", nullable: false, jsonPath: "$.a[:].b[:]" }], settings: base.settings })).toMatch(/more than once/);
    expect(kafkaConsumerProblem({ columns, settings: { ...base.settings, valueFormat: "avro" } }))
      .toBe("column first: with KAFKA_VALUE_FORMAT avro a JSONPath names a field of the record by keys only ($.field or $.record.field), not $.items[0]['na me']");
    const avroColumns = [columns[0]!, columns[2]!];
    expect(kafkaConsumerProblem({ columns: avroColumns, settings: { ...base.settings, valueFormat: "avro" }, connection: {} })).toBe("KAFKA_VALUE_FORMAT avro needs KAFKA_SCHEMA_REGISTRY_URL in its connection");
    expect(kafkaConsumerProblem({ columns: avroColumns, settings: { ...base.settings, keyFormat: "avro" } })).toBe("KAFKA_KEY_FORMAT avro is not supported yet (KAFKA_VALUE_FORMAT avro is)");
    expect(() => kafkaConsumerSql({ ...base, settings: { ...base.settings, valueFormat: "avro" } })).toThrow(/avro/);
  });
  it("reads Avro values with AvroConfluent through the registry: an engine column per record field, unreadable messages to the quarantine", () => {
    const sql = kafkaConsumerSql({
      ...base,
      columns: [
        { name: "id", type: "UInt64", nullable: false, jsonPath: "$.id" },
        { name: "who", type: "String", nullable: false, jsonPath: "$.user.name" },
        { name: "note", type: "String", nullable: true },
        { name: "__key", type: "String", nullable: false },
      ],
      settings: { ...base.settings, valueFormat: "avro" },
      connection: { bootstrapServers: "b:9092", schemaRegistryUrl: "http://r:8081" },
    });
    expect(sql.create[2]).toBe(
      "CREATE TABLE `ws`.`ev_1_kafka` (`id` UInt64, `user.name` String, `note` Nullable(String)) ENGINE = Kafka(`ws__ev_1_kafka`) SETTINGS kafka_broker_list = 'b:9092', " +
        "kafka_topic_list = 't\\'opic', kafka_group_name = 'grp', kafka_format = 'AvroConfluent', format_avro_schema_registry_url = 'http://r:8081', " +
        "input_format_avro_allow_missing_fields = 1, kafka_handle_error_mode = 'stream', kafka_num_consumers = 1, kafka_thread_per_consumer = 0",
    );
    expect(sql.create[3]).toBe(
      "CREATE MATERIALIZED VIEW `ws`.`ev_1_kafka_rows` TO `ws`.`ev_1` AS SELECT `id` AS `id`, `user.name` AS `who`, `note` AS `note`, '' AS __value, _topic AS __topic, " +
        "_partition AS __partition, _offset AS __offset, _timestamp AS __timestamp, _key AS __key FROM `ws`.`ev_1_kafka` WHERE length(_error) = 0",
    );
    expect(sql.create[4]).toBe(
      "CREATE MATERIALIZED VIEW `ws`.`ev_1_kafka_quarantine` TO `ws`.`ev_1_quarantine` AS SELECT CAST([], 'Array(String)') AS c__error_column, " +
        "[concat('the message value could not be read as Avro: ', replaceRegexpOne(_error, '[: ]*[(]at row [0-9]+[)][[:space:]]*$', ''))] AS c__error, " +
        "CAST(NULL, 'Nullable(String)') AS c__import_id, _key AS __key FROM `ws`.`ev_1_kafka` WHERE length(_error) > 0",
    );
  });
});

describe("kafkaSinkSql", () => {
  it("creates a producer table for the run, inserts the pipe's SELECT, drops it", () => {
    const sql = kafkaSinkSql({ database: "ws", table: "sink_1", topic: "out", connection: { bootstrapServers: "b:9092" }, columns: [{ name: "n", type: "UInt64" }], select: "SELECT 1 AS n" });
    expect(sql.create).toBe("CREATE TABLE `ws`.`sink_1` (`n` UInt64) ENGINE = Kafka SETTINGS kafka_broker_list = 'b:9092', kafka_topic_list = 'out', kafka_group_name = 'sink_1_producer', kafka_format = 'JSONEachRow'");
    expect(sql.insert).toBe("INSERT INTO `ws`.`sink_1` (`n`) SELECT 1 AS n");
    expect(sql.drop).toBe("DROP TABLE IF EXISTS `ws`.`sink_1`");
  });
});

describe("the schema registry check", () => {
  it("reads the Confluent API's subject list with url() (one slash before subjects), trying once with short timeouts", () => {
    expect(schemaRegistryCheckSql("http://r:8081/apis/ccompat/v6/")).toBe(
      "SELECT value FROM url('http://r:8081/apis/ccompat/v6/subjects', 'RawBLOB', 'value String') SETTINGS http_max_tries = 1, http_connection_timeout = 3, http_receive_timeout = 5",
    );
  });
  it("shows the registry's URL without the credentials embedded in it", () => {
    expect(redactedRegistryUrl("https://user:p%40ss@registry.example.com:8081/")).toBe("https://registry.example.com:8081");
    expect(redactedRegistryUrl("not a url")).toBe("<an invalid URL>");
  });
});
