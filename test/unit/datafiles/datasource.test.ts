import { describe, expect, it } from "vitest";
import { SCHEMA, datasource, errorsOf, lines } from "./helpers.js";

describe("datasource directives", () => {
  it("reads a DESCRIPTION block, dedented", () => {
    expect(datasource(lines("DESCRIPTION >", "    First line", "      indented more", SCHEMA)).description).toBe("First line\n  indented more");
  });

  it("reads a single-line DESCRIPTION", () => {
    expect(datasource(lines("DESCRIPTION Events from the tracker", SCHEMA)).description).toBe("Events from the tracker");
  });

  it("reads TOKEN lines with quoted, unquoted and spaced names", () => {
    const ds = datasource(lines('TOKEN "tracker" APPEND', "TOKEN dashboard READ", "TOKEN read api token READ", 'TOKEN "admin sync" append', SCHEMA));
    expect(ds.tokens.map((t) => [t.name, t.scope, t.line])).toEqual([
      ["tracker", "APPEND", 1], ["dashboard", "READ", 2], ["read api token", "READ", 3], ["admin sync", "APPEND", 4],
    ]);
  });

  it("reads INDEXES lines", () => {
    const ds = datasource(lines(SCHEMA, "INDEXES >", "    idx_v v TYPE minmax GRANULARITY 1", "    `idx id` lower(id) TYPE bloom_filter(0.01) GRANULARITY 4,", "    idx_t id TYPE tokenbf_v1(512, 3, 0) GRANULARITY 2"));
    expect(ds.indexes.map(({ name, expr, type, granularity }) => ({ name, expr, type, granularity }))).toEqual([
      { name: "idx_v", expr: "v", type: "minmax", granularity: 1 },
      { name: "idx id", expr: "lower(id)", type: "bloom_filter(0.01)", granularity: 4 },
      { name: "idx_t", expr: "id", type: "tokenbf_v1(512, 3, 0)", granularity: 2 },
    ]);
  });

  it("reads FORWARD_QUERY as a block", () => {
    expect(datasource(lines(SCHEMA, "FORWARD_QUERY >", "    SELECT id, ts, toUInt64(v) AS v, sign, deleted")).forwardQuery).toBe("SELECT id, ts, toUInt64(v) AS v, sign, deleted");
  });

  it("reads BACKFILL skip", () => {
    expect(datasource(lines(SCHEMA, "BACKFILL skip")).backfill).toBe("skip");
  });

  it("reads SHARED_WITH entries split by commas and lines", () => {
    expect(datasource(lines(SCHEMA, "SHARED_WITH >", "    analytics_ws,", "    finance_ws, ops")).sharedWith).toEqual(["analytics_ws", "finance_ws", "ops"]);
  });

  it("reads TAGS", () => {
    expect(datasource(lines(SCHEMA, 'TAGS "web, team=growth"')).tags).toEqual(["web", "team=growth"]);
  });

  it("accepts deprecated VERSION with a warning", () => {
    const ds = datasource(lines("VERSION 2", SCHEMA));
    expect([ds.version, ds.warnings.map((w) => [w.line, w.message])]).toEqual([2, [[1, "VERSION is deprecated and ignored"]]]);
  });

  it("accepts lower-case keywords like the CLI", () => {
    expect(datasource(lines("schema >", "    `a` String", "engine MergeTree")).engine.type).toBe("MergeTree");
  });
});

describe("SCHEMA columns", () => {
  const column = (line: string) => {
    const { file: _f, line: _l, dataType: _d, ...rest } = datasource(lines("SCHEMA >", `    ${line}`)).columns[0]!;
    return rest;
  };
  const cases: [string, Record<string, unknown>][] = [
    ["`timestamp` DateTime `json:$.timestamp`", { name: "timestamp", type: "DateTime", nullable: false, jsonPath: "$.timestamp" }],
    ["timestamp DateTime", { name: "timestamp", type: "DateTime", nullable: false }],
    ["`tenant_id` String `json:$.tenant_id` DEFAULT ''", { name: "tenant_id", type: "String", nullable: false, jsonPath: "$.tenant_id", default: "''" }],
    ["`n` UInt32 DEFAULT 0 `json:$.n`", { name: "n", type: "UInt32", nullable: false, default: "0", jsonPath: "$.n" }],
    ["`arr` Array(String) `json:$.items[:]` DEFAULT []", { name: "arr", type: "Array(String)", nullable: false, jsonPath: "$.items[:]", default: "[]" }],
    ["`raw` String `json:$`", { name: "raw", type: "String", nullable: false, jsonPath: "$" }],
    ["`deep` String `json:$.a.b.c`", { name: "deep", type: "String", nullable: false, jsonPath: "$.a.b.c" }],
    ["`ts` DateTime DEFAULT now() CODEC(Delta, ZSTD(1))", { name: "ts", type: "DateTime", nullable: false, default: "now()", codec: "Delta, ZSTD(1)" }],
    ["`x` Float64 CODEC(Gorilla) `json:$.x`", { name: "x", type: "Float64", nullable: false, codec: "Gorilla", jsonPath: "$.x" }],
    ["`d` Date DEFAULT toDate('2020-01-01') CODEC(ZSTD)", { name: "d", type: "Date", nullable: false, default: "toDate('2020-01-01')", codec: "ZSTD" }],
    ["`c` LowCardinality(Nullable(String)) `json:$.c`", { name: "c", type: "LowCardinality(Nullable(String))", nullable: true, jsonPath: "$.c" }],
    ["`m` Map(String,  UInt64)", { name: "m", type: "Map(String, UInt64)", nullable: false }],
    ["`dt` DateTime64(3,'UTC')", { name: "dt", type: "DateTime64(3, 'UTC')", nullable: false }],
    ["`e` Enum8('a' = 1,'b' = 2) DEFAULT 'a'", { name: "e", type: "Enum8('a' = 1, 'b' = 2)", nullable: false, default: "'a'" }],
    ["`odd name` String", { name: "odd name", type: "String", nullable: false }],
    ["`b` Bool DEFAULT false", { name: "b", type: "Bool", nullable: false, default: "false" }],
    ["`s` String DEFAULT 'a, b' -- note", { name: "s", type: "String", nullable: false, default: "'a, b'" }],
  ];
  for (const [line, expected] of cases) {
    it(`parses ${line}`, () => {
      expect(column(line)).toEqual(expected);
    });
  }

  it("keeps the structured type", () => {
    expect(datasource(lines("SCHEMA >", "    `d` Decimal(10, 2)")).columns[0]!.dataType).toEqual({ kind: "decimal", name: "Decimal", precision: 10, scale: 2 });
  });

  it("tolerates a trailing comma and records each column's line", () => {
    expect(datasource(lines("SCHEMA >", "    `a` String,", "    `b` UInt8,", "", "ENGINE MergeTree")).columns.map((c) => [c.name, c.line])).toEqual([["a", 2], ["b", 3]]);
  });

  it("accepts column lines at column 0 inside the block", () => {
    expect(datasource(lines("SCHEMA >", "`a` String,", "`b` UInt8")).columns.map((c) => c.name)).toEqual(["a", "b"]);
  });
});

describe("engines", () => {
  const engine = (...directives: string[]) => datasource(lines(SCHEMA, ...directives)).engine;
  const cases: [string[], unknown][] = [
    [[], { type: "MergeTree" }],
    [["ENGINE MergeTree", "ENGINE_SORTING_KEY id, ts", "ENGINE_PARTITION_KEY toYYYYMM(ts)", "ENGINE_PRIMARY_KEY id", "ENGINE_SAMPLING_KEY cityHash64(id)", "ENGINE_TTL ts + toIntervalDay(30)", "ENGINE_SETTINGS index_granularity=8192"],
      { type: "MergeTree", sortingKey: "id, ts", partitionKey: "toYYYYMM(ts)", primaryKey: "id", samplingKey: "cityHash64(id)", ttl: "ts + toIntervalDay(30)", settings: "index_granularity=8192" }],
    [['ENGINE "MergeTree"', 'ENGINE_SORTING_KEY "id, ts"', 'ENGINE_TTL "ts + INTERVAL 90 DAY"', `ENGINE_SETTINGS "index_granularity=8192, storage_policy='hot'"`],
      { type: "MergeTree", sortingKey: "id, ts", ttl: "ts + INTERVAL 90 DAY", settings: "index_granularity=8192, storage_policy='hot'" }],
    [["ENGINE mergetree", 'ENGINE_SORTING_KEY ""'], { type: "MergeTree" }],
    [["ENGINE ReplacingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_VER v", "ENGINE_IS_DELETED deleted"], { type: "ReplacingMergeTree", sortingKey: "id", ver: "v", isDeleted: "deleted" }],
    [["ENGINE ReplacingMergeTree", "ENGINE_SORTING_KEY id"], { type: "ReplacingMergeTree", sortingKey: "id" }],
    [["ENGINE SummingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_COLUMNS v, sign"], { type: "SummingMergeTree", sortingKey: "id", columns: ["v", "sign"] }],
    [["ENGINE SummingMergeTree", "ENGINE_SORTING_KEY id", 'ENGINE_SUMMING_COLUMNS "v"'], { type: "SummingMergeTree", sortingKey: "id", columns: ["v"] }],
    [["ENGINE AggregatingMergeTree", "ENGINE_SORTING_KEY id, ts"], { type: "AggregatingMergeTree", sortingKey: "id, ts" }],
    [["ENGINE CollapsingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_SIGN sign"], { type: "CollapsingMergeTree", sortingKey: "id", sign: "sign" }],
    [["ENGINE VersionedCollapsingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_SIGN sign", "ENGINE_VERSION v"], { type: "VersionedCollapsingMergeTree", sortingKey: "id", sign: "sign", version: "v" }],
    [["ENGINE Null"], { type: "Null" }],
    [["ENGINE Join", "ENGINE_JOIN_STRICTNESS any", "ENGINE_JOIN_TYPE left", "ENGINE_KEY_COLUMNS id, ts"], { type: "Join", strictness: "ANY", joinType: "LEFT", keyColumns: ["id", "ts"] }],
  ];
  for (const [directives, expected] of cases) {
    it(`reads ${directives.join(" / ") || "no ENGINE (MergeTree)"}`, () => {
      expect(engine(...directives)).toEqual(expected);
    });
  }

  it("warns about engine options the engine does not take", () => {
    const ds = datasource(lines(SCHEMA, "ENGINE MergeTree", "ENGINE_VER v"));
    expect([ds.engine, ds.warnings.map((w) => [w.line, w.column, w.message])]).toEqual([
      { type: "MergeTree" }, [[8, 1, "ENGINE_VER does not apply to the MergeTree engine and is ignored"]],
    ]);
  });
});

describe("connector directives", () => {
  it("reads KAFKA_* settings", () => {
    const ds = datasource(lines(SCHEMA, "KAFKA_CONNECTION_NAME kafka_main", "KAFKA_TOPIC events", "KAFKA_GROUP_ID g1", "KAFKA_AUTO_OFFSET_RESET earliest", "KAFKA_STORE_RAW_VALUE True", "KAFKA_STORE_HEADERS false", "KAFKA_KEY_FORMAT avro", "KAFKA_VALUE_FORMAT json_with_schema"));
    expect(ds.kafka).toEqual({ connectionName: "kafka_main", topic: "events", groupId: "g1", autoOffsetReset: "earliest", storeRawValue: true, storeHeaders: false, keyFormat: "avro", valueFormat: "json_with_schema" });
  });

  it("reads IMPORT_* settings", () => {
    const ds = datasource(lines(SCHEMA, "IMPORT_CONNECTION_NAME s3_main", "IMPORT_BUCKET_URI s3://bucket/events/*.ndjson", "IMPORT_SCHEDULE @auto", "IMPORT_FROM_TIMESTAMP 2025-01-01T00:00:00Z"));
    expect(ds.import).toEqual({ connectionName: "s3_main", bucketUri: "s3://bucket/events/*.ndjson", schedule: "@auto", fromTimestamp: "2025-01-01T00:00:00Z" });
  });

  it("reads DynamoDB IMPORT_* settings as the SDK writes them", () => {
    const ds = datasource(lines(SCHEMA, "IMPORT_CONNECTION_NAME ddb", "IMPORT_TABLE_ARN arn:aws:dynamodb:us-east-1:1:table/t", "IMPORT_EXPORT_BUCKET s3://exports"));
    expect(ds.import).toEqual({ connectionName: "ddb", tableArn: "arn:aws:dynamodb:us-east-1:1:table/t", exportBucket: "s3://exports" });
  });

  it("substitutes tb_secret() in KAFKA_GROUP_ID when env is given", () => {
    const ds = datasource(lines(SCHEMA, "KAFKA_CONNECTION_NAME k", "KAFKA_TOPIC t", 'KAFKA_GROUP_ID {{ tb_secret("GROUP", "local_group") }}'), { env: {} });
    expect([ds.kafka?.groupId, ds.secrets.map((s) => [s.name, s.default, s.line])]).toEqual(["local_group", [["GROUP", "local_group", 9]]]);
  });

  it("keeps tb_secret() text when no env is given", () => {
    const ds = datasource(lines(SCHEMA, "KAFKA_CONNECTION_NAME k", "KAFKA_TOPIC t", 'KAFKA_GROUP_ID {{ tb_secret("GROUP") }}'));
    expect(ds.kafka?.groupId).toBe('{{ tb_secret("GROUP") }}');
  });

  it("substitutes ${VAR} from env in directive values", () => {
    const ds = datasource(lines(SCHEMA, "KAFKA_CONNECTION_NAME k", "KAFKA_TOPIC events_${STAGE}"), { env: { STAGE: "prod" } });
    expect(ds.kafka?.topic).toBe("events_prod");
  });
});

describe("datasource errors", () => {
  const cases: [string, string, [number, number, string][]][] = [
    ["missing SCHEMA", lines("ENGINE MergeTree"), [[1, 1, "missing SCHEMA; a datasource needs a `SCHEMA >` block with its columns"]]],
    ["unknown keyword with a hint", lines(SCHEMA, "ENGINE_SORTNG_KEY id"), [[7, 1, "`ENGINE_SORTNG_KEY` is not a valid option in datasource files; did you mean ENGINE_SORTING_KEY?"]]],
    ["unknown keyword without a hint", lines("FOO bar", SCHEMA), [[1, 1, "`FOO` is not a valid option in datasource files"]]],
    ["unknown word after a block is read as block content", lines(SCHEMA, "FOO bar"), [[7, 1, "unexpected `FOO` after the type of column `deleted`; expected DEFAULT, CODEC(...) or `json:$.path`"]]],
    ["SETTINGS", lines(SCHEMA, "SETTINGS index_granularity=1"), [[7, 1, "SETTINGS is not allowed in datasource files; use ENGINE_SETTINGS"]]],
    ["SOURCE", lines(SCHEMA, "SOURCE x"), [[7, 1, "SOURCE is deprecated and no longer supported"]]],
    ["unknown engine", lines(SCHEMA, "ENGINE Log"), [[7, 8, "engine `Log` is not supported; expected one of MergeTree, ReplacingMergeTree, SummingMergeTree, AggregatingMergeTree, CollapsingMergeTree, VersionedCollapsingMergeTree, Null, Join"]]],
    ["ReplacingMergeTree without sorting key", lines(SCHEMA, "ENGINE ReplacingMergeTree"), [[7, 1, "the ReplacingMergeTree engine needs ENGINE_SORTING_KEY"]]],
    ["AggregatingMergeTree with tuple()", lines(SCHEMA, "ENGINE AggregatingMergeTree", "ENGINE_SORTING_KEY tuple()"), [[8, 20, "`tuple()` is not a valid sorting key for AggregatingMergeTree; list the columns that identify a row"]]],
    ["CollapsingMergeTree without sign", lines(SCHEMA, "ENGINE CollapsingMergeTree", "ENGINE_SORTING_KEY id"), [[7, 1, "the CollapsingMergeTree engine needs ENGINE_SIGN <column>"]]],
    ["VersionedCollapsingMergeTree without version", lines(SCHEMA, "ENGINE VersionedCollapsingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_SIGN sign"), [[7, 1, "the VersionedCollapsingMergeTree engine needs ENGINE_VERSION <column>"]]],
    ["ENGINE_VER not in schema", lines(SCHEMA, "ENGINE ReplacingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_VER updated"), [[9, 12, "ENGINE_VER column `updated` is not in the SCHEMA"]]],
    ["ENGINE_VER in the sorting key", lines(SCHEMA, "ENGINE ReplacingMergeTree", "ENGINE_SORTING_KEY id, v", "ENGINE_VER v"), [[9, 12, "ENGINE_VER column `v` must not be part of ENGINE_SORTING_KEY"]]],
    ["ENGINE_IS_DELETED without ENGINE_VER", lines(SCHEMA, "ENGINE ReplacingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_IS_DELETED deleted"), [[9, 19, "ENGINE_IS_DELETED needs ENGINE_VER as well"]]],
    ["summing column not in schema", lines(SCHEMA, "ENGINE SummingMergeTree", "ENGINE_COLUMNS v, total"), [[8, 16, "ENGINE_COLUMNS column `total` is not in the SCHEMA"]]],
    ["Join without options", lines(SCHEMA, "ENGINE Join"), [
      [7, 1, "the Join engine needs ENGINE_JOIN_STRICTNESS ANY, ALL, SEMI or ANTI"],
      [7, 1, "the Join engine needs ENGINE_JOIN_TYPE LEFT, INNER, RIGHT or FULL"],
      [7, 1, "the Join engine needs ENGINE_KEY_COLUMNS <column>[, ...]"],
    ]],
    ["Nullable column in sorting key", lines("SCHEMA >", "    `a` Nullable(String),", "    `b` String", "ENGINE_SORTING_KEY b, a"), [[4, 20, "ENGINE_SORTING_KEY must not use Nullable column `a`; make it non-Nullable with a DEFAULT"]]],
    ["AggregateFunction column in sorting key", lines("SCHEMA >", "    `a` AggregateFunction(count),", "    `b` String", "ENGINE AggregatingMergeTree", "ENGINE_SORTING_KEY a"), [[5, 20, "ENGINE_SORTING_KEY must not use AggregateFunction column `a`"]]],
    ["aggregate expression in sorting key", lines(SCHEMA, "ENGINE_SORTING_KEY id, count(v)"), [[7, 20, "ENGINE_SORTING_KEY must not contain aggregate expressions (`count(v)`)"]]],
    ["primary key not a prefix", lines(SCHEMA, "ENGINE_SORTING_KEY id, ts", "ENGINE_PRIMARY_KEY ts"), [[7, 20, "ENGINE_PRIMARY_KEY `ts` must be a prefix of ENGINE_SORTING_KEY `id, ts`"]]],
    ["bad TOKEN scope", lines('TOKEN "t" WRITE', SCHEMA), [[1, 11, "invalid TOKEN scope `WRITE`; expected READ or APPEND"]]],
    ["TOKEN without scope", lines("TOKEN lonely", SCHEMA), [[1, 7, 'TOKEN needs a name and a scope, e.g. TOKEN "my token" READ']]],
    ["bad BACKFILL", lines(SCHEMA, "BACKFILL always"), [[7, 10, "invalid BACKFILL value `always`; expected skip"]]],
    ["Kafka without topic", lines(SCHEMA, "KAFKA_CONNECTION_NAME k"), [[7, 1, "a Kafka datasource needs KAFKA_TOPIC <topic>"]]],
    ["bad KAFKA_AUTO_OFFSET_RESET", lines(SCHEMA, "KAFKA_CONNECTION_NAME k", "KAFKA_TOPIC t", "KAFKA_AUTO_OFFSET_RESET newest"), [[9, 25, "invalid KAFKA_AUTO_OFFSET_RESET `newest`; expected latest or earliest"]]],
    ["deprecated Kafka option", lines(SCHEMA, "KAFKA_STORE_BINARY_HEADERS True"), [[7, 1, "KAFKA_STORE_BINARY_HEADERS is deprecated and no longer supported; use KAFKA_STORE_HEADERS"]]],
    ["import without bucket", lines(SCHEMA, "IMPORT_CONNECTION_NAME s3", "IMPORT_SCHEDULE @auto"), [[7, 1, "an import datasource needs IMPORT_BUCKET_URI, e.g. s3://bucket/prefix/*.ndjson"]]],
    ["bad IMPORT_SCHEDULE", lines(SCHEMA, "IMPORT_CONNECTION_NAME s3", "IMPORT_BUCKET_URI s3://b/*.csv", "IMPORT_SCHEDULE sometimes"), [[9, 17, "invalid IMPORT_SCHEDULE `sometimes`; expected @auto, @once, @on-demand or a cron expression"]]],
    ["IMPORT_STRATEGY", lines(SCHEMA, "IMPORT_STRATEGY replace"), [[7, 1, "IMPORT_STRATEGY is deprecated and no longer supported"]]],
    ["Kafka and import together", lines(SCHEMA, "KAFKA_CONNECTION_NAME k", "KAFKA_TOPIC t", "IMPORT_CONNECTION_NAME s3", "IMPORT_BUCKET_URI s3://b/x", "IMPORT_SCHEDULE @once"), [[9, 1, "a datasource can use either KAFKA_* or IMPORT_* directives, not both"]]],
    ["missing secret with env", lines(SCHEMA, "KAFKA_CONNECTION_NAME k", 'KAFKA_TOPIC {{ tb_secret("TOPIC") }}'), [[8, 13, 'secret "TOPIC" is not set and has no default; set it or write tb_secret("TOPIC", "<default>")']]],
    ["unterminated quote", lines(SCHEMA, 'ENGINE "MergeTree'), [[7, 8, 'unterminated quote in ENGINE value; expected a closing "']]],
    ["empty SCHEMA", lines("SCHEMA >", "", "ENGINE MergeTree"), [[1, 1, "SCHEMA has no columns; expected indented `name Type` lines after `SCHEMA >`"]]],
  ];
  for (const [what, text, expected] of cases) {
    it(`reports ${what}`, () => {
      const env = what === "missing secret with env" ? { env: {} } : {};
      expect(errorsOf("ds.datasource", text, env)).toEqual(expected);
    });
  }
});

describe("SCHEMA errors", () => {
  const cases: [string, string[], [number, number, string][]][] = [
    ["NULL", ["    `a` String NULL"], [[2, 16, "NULL is not supported in SCHEMA; use Nullable(T) instead"]]],
    ["NOT NULL", ["    `a` String NOT NULL"], [[2, 16, "NOT NULL is not supported in SCHEMA; columns are not nullable unless typed Nullable(T)"]]],
    ["MATERIALIZED", ["    `a` String MATERIALIZED 'x'"], [[2, 16, "MATERIALIZED columns are not supported in datafiles; compute the value in a materialized pipe or use DEFAULT"]]],
    ["ALIAS", ["    `a` String ALIAS b"], [[2, 16, "ALIAS columns are not supported in datafiles"]]],
    ["column TTL", ["    `a` DateTime TTL a + INTERVAL 1 DAY"], [[2, 18, "column TTL is not supported; use ENGINE_TTL for the table"]]],
    ["INDEX in SCHEMA", ["    `a` String,", "    INDEX idx a TYPE minmax GRANULARITY 1"], [[3, 5, "INDEX is not allowed inside SCHEMA; declare data-skipping indexes in an INDEXES > block"]]],
    ["Boolean", ["    `a` Boolean"], [[2, 9, "invalid type for column `a`: `Boolean` is not a valid type; use `Bool` or `UInt8`"]]],
    ["DateTime64 without precision", ["    `a` DateTime64"], [[2, 9, "invalid type for column `a`: DateTime64 needs a precision, e.g. DateTime64(3)"]]],
    ["bare Int", ["    `a` Int"], [[2, 9, "invalid type for column `a`: `Int` needs a width; use Int8, Int16, Int32, Int64, Int128 or Int256"]]],
    ["unknown type", ["    `a` Strng"], [[2, 9, "invalid type for column `a`: unknown type `Strng`"]]],
    ["missing type", ["    `a` `json:$.a`"], [[2, 9, "expected a type for column `a` before its JSONPath"]]],
    ["no type at all", ["    `a`,", "    `b` String"], [[2, 7, "column `a` has no type; expected `a Type`"]]],
    ["JSONPath without $", ["    `a` String `json:a.b`"], [[2, 16, "JSONPath for column `a` must start with $, e.g. `json:$.a`"]]],
    ["JSONPath not backticked", ["    `a` String json:$.a"], [[2, 16, "a JSONPath must be backticked, e.g. `json:$.field`"]]],
    ["duplicate column", ["    `a` String,", "    `a` UInt8"], [[3, 1, "column `a` is defined twice (first on line 2)"]]],
    ["stray word", ["    `a` String FOO"], [[2, 16, "unexpected `FOO` after the type of column `a`; expected DEFAULT, CODEC(...) or `json:$.path`"]]],
    ["bad CODEC", ["    `a` String CODEC ZSTD"], [[2, 16, "CODEC for column `a` must be written CODEC(codec[, ...])"]]],
    ["unbalanced type", ["    `a` Array(String"], [[2, 9, "expected a type for column `a`"]]],
  ];
  for (const [what, schemaLines, expected] of cases) {
    it(`reports ${what}`, () => {
      expect(errorsOf("ds.datasource", lines("SCHEMA >", ...schemaLines))).toEqual(expected);
    });
  }

  it("reports every bad column of a file, not just the first", () => {
    expect(errorsOf("ds.datasource", lines("SCHEMA >", "    `a` Boolean,", "    `b` String,", "    `c` Strng", "ENGINE Nope")).map(([l, c]) => [l, c])).toEqual([[2, 9], [4, 9], [5, 8]]);
  });
});
