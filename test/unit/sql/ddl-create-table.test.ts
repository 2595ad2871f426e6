import { describe, expect, it } from "vitest";
import { parseDatafile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import { createTableSql } from "../../../shared/sql/ddl/index.js";

const lines = (...l: string[]) => l.join("\n");
const target = { database: "ws_1", table: "events_abc" };

function ds(...text: string[]): DatasourceFile {
  const result = parseDatafile({ path: "events.datasource", text: lines(...text) });
  if (!result.ok || result.file.kind !== "datasource") throw new Error(result.ok ? "kind" : result.errors.map((e) => e.message).join("\n"));
  return result.file;
}

const SCHEMA = ["SCHEMA >", "    `id` String `json:$.id`,", "    `ts` DateTime `json:$.ts`,", "    `v` UInt64,", "    `sign` Int8,", "    `deleted` UInt8"];
const COLUMNS = "(\n    `id` String,\n    `ts` DateTime,\n    `v` UInt64,\n    `sign` Int8,\n    `deleted` UInt8\n)";
const HEAD = "CREATE TABLE `ws_1`.`events_abc`\n" + COLUMNS;

describe("createTableSql engines", () => {
  const cases: [string, string[], string][] = [
    ["default MergeTree", [], `${HEAD}\nENGINE = MergeTree\nORDER BY tuple()`],
    ["MergeTree with every option", [
      "ENGINE MergeTree", "ENGINE_PARTITION_KEY toYYYYMM(ts)", "ENGINE_SORTING_KEY id, ts", "ENGINE_PRIMARY_KEY id",
      "ENGINE_SAMPLING_KEY cityHash64(id)", "ENGINE_TTL ts + toIntervalDay(30)", "ENGINE_SETTINGS index_granularity=8192",
    ], `${HEAD}\nENGINE = MergeTree\nPARTITION BY toYYYYMM(ts)\nORDER BY (id, ts)\nPRIMARY KEY id\nSAMPLE BY cityHash64(id)\nTTL ts + toIntervalDay(30)\nSETTINGS index_granularity=8192`],
    ["MergeTree with a single-expression sorting key", ["ENGINE_SORTING_KEY ts"], `${HEAD}\nENGINE = MergeTree\nORDER BY ts`],
    ["MergeTree with a parenthesised sorting key", ["ENGINE_SORTING_KEY (id, ts)"], `${HEAD}\nENGINE = MergeTree\nORDER BY (id, ts)`],
    ["ReplacingMergeTree with ver and is_deleted", ["ENGINE ReplacingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_VER v", "ENGINE_IS_DELETED deleted"],
      `${HEAD}\nENGINE = ReplacingMergeTree(\`v\`, \`deleted\`)\nORDER BY id`],
    ["ReplacingMergeTree without ver", ["ENGINE ReplacingMergeTree", "ENGINE_SORTING_KEY id"], `${HEAD}\nENGINE = ReplacingMergeTree\nORDER BY id`],
    ["SummingMergeTree with one column", ["ENGINE SummingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_COLUMNS v"], `${HEAD}\nENGINE = SummingMergeTree(\`v\`)\nORDER BY id`],
    ["SummingMergeTree with columns as a tuple", ["ENGINE SummingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_COLUMNS v, sign"], `${HEAD}\nENGINE = SummingMergeTree((\`v\`, \`sign\`))\nORDER BY id`],
    ["SummingMergeTree without columns", ["ENGINE SummingMergeTree", "ENGINE_SORTING_KEY id"], `${HEAD}\nENGINE = SummingMergeTree\nORDER BY id`],
    ["AggregatingMergeTree", ["ENGINE AggregatingMergeTree", "ENGINE_PARTITION_KEY toYYYYMM(ts)", "ENGINE_SORTING_KEY id, ts"], `${HEAD}\nENGINE = AggregatingMergeTree\nPARTITION BY toYYYYMM(ts)\nORDER BY (id, ts)`],
    ["CollapsingMergeTree", ["ENGINE CollapsingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_SIGN sign"], `${HEAD}\nENGINE = CollapsingMergeTree(\`sign\`)\nORDER BY id`],
    ["VersionedCollapsingMergeTree", ["ENGINE VersionedCollapsingMergeTree", "ENGINE_SORTING_KEY id", "ENGINE_SIGN sign", "ENGINE_VERSION v"], `${HEAD}\nENGINE = VersionedCollapsingMergeTree(\`sign\`, \`v\`)\nORDER BY id`],
    ["Null", ["ENGINE Null"], `${HEAD}\nENGINE = Null`],
    ["Join", ["ENGINE Join", "ENGINE_JOIN_STRICTNESS ANY", "ENGINE_JOIN_TYPE LEFT", "ENGINE_KEY_COLUMNS id"], `${HEAD}\nENGINE = Join(ANY, LEFT, \`id\`)`],
    ["TTL with a DELETE rule kept as written", ["ENGINE_SORTING_KEY id", "ENGINE_TTL ts + INTERVAL 1 DAY DELETE WHERE sign = -1"], `${HEAD}\nENGINE = MergeTree\nORDER BY id\nTTL ts + INTERVAL 1 DAY DELETE WHERE sign = -1`],
  ];
  for (const [what, directives, expected] of cases) {
    it(`writes ${what}`, () => {
      expect(createTableSql(ds(...SCHEMA, ...directives), target)).toBe(expected);
    });
  }
});

describe("createTableSql columns and options", () => {
  it("writes DEFAULT and CODEC and leaves JSONPaths out", () => {
    const file = ds("SCHEMA >", "    `ts` DateTime `json:$.ts` DEFAULT now() CODEC(Delta, ZSTD(1)),", "    `tags` Array(String) `json:$.tags[:]` DEFAULT []");
    expect(createTableSql(file, target)).toBe(
      "CREATE TABLE `ws_1`.`events_abc`\n(\n    `ts` DateTime DEFAULT now() CODEC(Delta, ZSTD(1)),\n    `tags` Array(String) DEFAULT []\n)\nENGINE = MergeTree\nORDER BY tuple()",
    );
  });

  it("writes MATERIALIZED for columns built in code", () => {
    const file = ds("SCHEMA >", "    `ts` DateTime");
    const withMaterialized = { ...file, columns: [...file.columns, { ...file.columns[0]!, name: "day", type: "Date", materialized: "toDate(ts)" }] };
    expect(createTableSql(withMaterialized, target)).toBe(
      "CREATE TABLE `ws_1`.`events_abc`\n(\n    `ts` DateTime,\n    `day` Date MATERIALIZED toDate(ts)\n)\nENGINE = MergeTree\nORDER BY tuple()",
    );
  });

  it("writes canonical types", () => {
    const file = ds("SCHEMA >", "    `d` Decimal(10,2),", "    `t` DateTime64(3,'UTC'),", "    `e` Enum8('a'=1,'b'=2)");
    expect(createTableSql(file, target)).toBe(
      "CREATE TABLE `ws_1`.`events_abc`\n(\n    `d` Decimal(10, 2),\n    `t` DateTime64(3, 'UTC'),\n    `e` Enum8('a' = 1, 'b' = 2)\n)\nENGINE = MergeTree\nORDER BY tuple()",
    );
  });

  it("writes INDEXES after the columns", () => {
    const file = ds("SCHEMA >", "    `id` String,", "    `n` UInt32", "INDEXES >", "    idx_id id TYPE bloom_filter(0.01) GRANULARITY 4", "    idx_n n TYPE minmax GRANULARITY 1", "ENGINE_SORTING_KEY n");
    expect(createTableSql(file, target)).toBe(
      "CREATE TABLE `ws_1`.`events_abc`\n(\n    `id` String,\n    `n` UInt32,\n    INDEX `idx_id` id TYPE bloom_filter(0.01) GRANULARITY 4,\n    INDEX `idx_n` n TYPE minmax GRANULARITY 1\n)\nENGINE = MergeTree\nORDER BY n",
    );
  });

  it("adds IF NOT EXISTS and ON CLUSTER when asked", () => {
    expect(createTableSql(ds("SCHEMA >", "    `a` String"), target, { ifNotExists: true, onCluster: "main" })).toBe(
      "CREATE TABLE IF NOT EXISTS `ws_1`.`events_abc` ON CLUSTER `main`\n(\n    `a` String\n)\nENGINE = MergeTree\nORDER BY tuple()",
    );
  });

  it("quotes odd identifiers safely", () => {
    expect(createTableSql(ds("SCHEMA >", "    `we\\`ird\\\\x` String"), { database: "d`b", table: "t\\x" })).toBe(
      "CREATE TABLE `d\\`b`.`t\\\\x`\n(\n    `we\\`ird\\\\x` String\n)\nENGINE = MergeTree\nORDER BY tuple()",
    );
  });
});
