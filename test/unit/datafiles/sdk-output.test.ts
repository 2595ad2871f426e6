import { describe, expect, it } from "vitest";
import { datasource, lines, parseOk, pipe } from "./helpers.js";

// Datafile text in the exact shape @tinybirdco/sdk's generators write it.
describe("TS SDK generated datafiles", () => {
  it("parses a generated datasource (quoted engine values, bare names, JSONPaths)", () => {
    const ds = datasource(lines(
      "DESCRIPTION >", "    Page view tracking data", "",
      "SCHEMA >",
      "    timestamp DateTime `json:$.timestamp`,",
      "    pathname String `json:$.pathname`,",
      "    country LowCardinality(Nullable(String)) `json:$.country`,",
      "    duration_ms UInt32 `json:$.duration_ms` DEFAULT 0,",
      "    tags Array(String) `json:$.tags`", "",
      'ENGINE "MergeTree"', 'ENGINE_PARTITION_KEY "toYYYYMM(timestamp)"', 'ENGINE_SORTING_KEY "pathname, timestamp"', 'ENGINE_TTL "timestamp + INTERVAL 90 DAY"', "",
      "TOKEN events_append APPEND",
    ));
    expect([ds.columns.map((c) => c.name), ds.engine, ds.tokens.map((t) => t.name)]).toEqual([
      ["timestamp", "pathname", "country", "duration_ms", "tags"],
      { type: "MergeTree", partitionKey: "toYYYYMM(timestamp)", sortingKey: "pathname, timestamp", ttl: "timestamp + INTERVAL 90 DAY" },
      ["events_append"],
    ]);
  });

  it("parses a generated endpoint with re-indented SQL and CACHE", () => {
    const p = pipe(lines(
      "NODE endpoint", "SQL >", "    %", "    SELECT pathname, count() AS views",
      "            FROM page_views",
      "            WHERE timestamp >= {{DateTime(start_date)}}",
      "            {% if defined(country) %} AND country = {{ String(country, required=False) }} {% end %}",
      "            LIMIT {{ Int32(limit, 10, required=False) }}", "",
      "TYPE endpoint", "CACHE 60",
    ));
    expect([p.nodes[0]!.templated, p.nodes[0]!.sql.split("\n").slice(0, 3), p.publication]).toEqual([
      true, ["%", "SELECT pathname, count() AS views", "        FROM page_views"], { type: "endpoint", node: "endpoint", cacheSeconds: 60 },
    ]);
  });

  it("parses generated engine options for every engine builder", () => {
    const schema = lines("SCHEMA >", "    id String `json:$.id`,", "    v UInt64 `json:$.v`,", "    s Int8 `json:$.s`,", "    d UInt8 `json:$.d`");
    const engines = [
      lines('ENGINE "ReplacingMergeTree"', 'ENGINE_SORTING_KEY "id"', 'ENGINE_VER "v"', 'ENGINE_IS_DELETED "d"'),
      lines('ENGINE "SummingMergeTree"', 'ENGINE_SORTING_KEY "id"', 'ENGINE_SUMMING_COLUMNS "v, s"'),
      lines('ENGINE "AggregatingMergeTree"', 'ENGINE_SORTING_KEY "id"'),
      lines('ENGINE "CollapsingMergeTree"', 'ENGINE_SORTING_KEY "id"', 'ENGINE_SIGN "s"'),
      lines('ENGINE "VersionedCollapsingMergeTree"', 'ENGINE_SORTING_KEY "id"', 'ENGINE_SIGN "s"', 'ENGINE_VERSION "v"'),
      lines("ENGINE Null"),
      lines('ENGINE "MergeTree"', 'ENGINE_SORTING_KEY "id"', `ENGINE_SETTINGS "index_granularity=8192, storage_policy='default'"`),
    ];
    expect(engines.map((e) => datasource(lines(schema, "", e)).engine.type)).toEqual([
      "ReplacingMergeTree", "SummingMergeTree", "AggregatingMergeTree", "CollapsingMergeTree", "VersionedCollapsingMergeTree", "Null", "MergeTree",
    ]);
  });

  it("parses generated INDEXES, SHARED_WITH, BACKFILL and FORWARD_QUERY", () => {
    const ds = datasource(lines(
      "SCHEMA >", "    id String `json:$.id`", "",
      'ENGINE "MergeTree"', 'ENGINE_SORTING_KEY "id"', "",
      "INDEXES >", "    idx_id id TYPE bloom_filter(0.01) GRANULARITY 1", "",
      "BACKFILL skip", "",
      "FORWARD_QUERY >", "    SELECT id", "",
      "SHARED_WITH >", "    other_ws,", "    third_ws",
    ));
    expect([ds.indexes.length, ds.backfill, ds.forwardQuery, ds.sharedWith]).toEqual([1, "skip", "SELECT id", ["other_ws", "third_ws"]]);
  });

  it("parses generated materialized, copy and sink pipes", () => {
    const node = lines("NODE agg", "SQL >", "    SELECT 1 AS x", "");
    const kinds = [
      pipe(lines(node, "TYPE MATERIALIZED", "DATASOURCE daily_views", "DEPLOYMENT_METHOD alter")).publication.type,
      pipe(lines(node, "TYPE COPY", "TARGET_DATASOURCE snap", "COPY_SCHEDULE 0 * * * *", "COPY_MODE replace")).publication.type,
      pipe(lines(node, "TYPE sink", "EXPORT_CONNECTION_NAME k", "EXPORT_KAFKA_TOPIC t", "EXPORT_SCHEDULE @on-demand")).publication.type,
      pipe(lines(node, "TYPE sink", "EXPORT_CONNECTION_NAME s3", "EXPORT_BUCKET_URI s3://b/", "EXPORT_FILE_TEMPLATE f", "EXPORT_SCHEDULE @on-demand", "EXPORT_FORMAT csv", "EXPORT_STRATEGY create_new", "EXPORT_COMPRESSION gzip")).publication.type,
    ];
    expect(kinds).toEqual(["materialized", "copy", "sink", "sink"]);
  });

  it("parses a generated Kafka connection", () => {
    const file = parseOk("kafka_main.connection", lines("TYPE kafka", 'KAFKA_BOOTSTRAP_SERVERS {{ tb_secret("KAFKA_SERVERS") }}', "KAFKA_SECURITY_PROTOCOL SASL_SSL", "KAFKA_SASL_MECHANISM PLAIN", 'KAFKA_KEY {{ tb_secret("KAFKA_KEY") }}', 'KAFKA_SECRET {{ tb_secret("KAFKA_SECRET") }}'));
    expect(file.kind).toBe("connection");
  });
});
