import { describe, expect, it } from "vitest";
import { parseDatafile, type DatasourceFile } from "../../../shared/datafiles/index.js";
import {
  createMaterializedViewSql, createQuarantineTableSql, modifyMaterializedViewQuerySql, quarantineTableName,
  quoteIdentifier, quoteQualifiedName, quoteString,
} from "../../../shared/sql/ddl/index.js";

function ds(text: string): DatasourceFile {
  const result = parseDatafile({ path: "events.datasource", text });
  if (!result.ok || result.file.kind !== "datasource") throw new Error("bad fixture");
  return result.file;
}

describe("quarantine table", () => {
  it("names it <table>_quarantine", () => {
    expect(quarantineTableName("events_abc")).toBe("events_abc_quarantine");
  });

  it("has the error columns, every column as Nullable(String) and insertion_date", () => {
    const file = ds("SCHEMA >\n    `ts` DateTime `json:$.ts`,\n    `amount` Decimal(10, 2),\n    `tags` Array(String)\nENGINE_SORTING_KEY ts");
    expect(createQuarantineTableSql(file, { database: "ws_1", table: "events_abc" })).toBe([
      "CREATE TABLE `ws_1`.`events_abc_quarantine`",
      "(",
      "    `c__error_column` Array(String),",
      "    `c__error` Array(String),",
      "    `c__import_id` Nullable(String),",
      "    `ts` Nullable(String),",
      "    `amount` Nullable(String),",
      "    `tags` Nullable(String),",
      "    `insertion_date` DateTime DEFAULT now()",
      ")",
      "ENGINE = MergeTree",
      "PARTITION BY toYYYYMM(insertion_date)",
      "ORDER BY insertion_date",
    ].join("\n"));
  });

  it("leaves out original columns that clash with quarantine columns", () => {
    const file = ds("SCHEMA >\n    `insertion_date` DateTime,\n    `x` String");
    expect(createQuarantineTableSql(file, { database: "d", table: "t" }, { ifNotExists: true })).toBe([
      "CREATE TABLE IF NOT EXISTS `d`.`t_quarantine`",
      "(",
      "    `c__error_column` Array(String),",
      "    `c__error` Array(String),",
      "    `c__import_id` Nullable(String),",
      "    `x` Nullable(String),",
      "    `insertion_date` DateTime DEFAULT now()",
      ")",
      "ENGINE = MergeTree",
      "PARTITION BY toYYYYMM(insertion_date)",
      "ORDER BY insertion_date",
    ].join("\n"));
  });
});

describe("materialized view", () => {
  it("writes CREATE MATERIALIZED VIEW ... TO ... AS <select>", () => {
    expect(createMaterializedViewSql({ database: "ws_1", view: "pages_mv_1", targetTable: "pages_abc" }, "SELECT toDate(ts) AS d, countState() AS hits FROM `ws_1`.`events_abc` GROUP BY d\n")).toBe(
      "CREATE MATERIALIZED VIEW `ws_1`.`pages_mv_1` TO `ws_1`.`pages_abc`\nAS SELECT toDate(ts) AS d, countState() AS hits FROM `ws_1`.`events_abc` GROUP BY d",
    );
  });

  it("supports another target database, IF NOT EXISTS and ON CLUSTER, and drops a trailing semicolon", () => {
    expect(createMaterializedViewSql({ database: "a", view: "v", targetDatabase: "b", targetTable: "t" }, "SELECT 1;", { ifNotExists: true, onCluster: "c" })).toBe(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS `a`.`v` ON CLUSTER `c` TO `b`.`t`\nAS SELECT 1",
    );
  });

  it("writes ALTER TABLE ... MODIFY QUERY for DEPLOYMENT_METHOD alter", () => {
    expect(modifyMaterializedViewQuerySql({ database: "a", view: "v" }, "SELECT 2")).toBe("ALTER TABLE `a`.`v` MODIFY QUERY\nSELECT 2");
  });
});

describe("quoting", () => {
  const identifiers: [string, string][] = [
    ["events", "`events`"],
    ["select", "`select`"],
    ["with space", "`with space`"],
    ["back`tick", "`back\\`tick`"],
    ["back\\slash", "`back\\\\slash`"],
    ["`; DROP TABLE x; --", "`\\`; DROP TABLE x; --`"],
  ];
  for (const [name, quoted] of identifiers) {
    it(`quotes identifier ${JSON.stringify(name)}`, () => {
      expect(quoteIdentifier(name)).toBe(quoted);
    });
  }

  it("quotes a qualified name", () => {
    expect(quoteQualifiedName("ws", "t`1")).toBe("`ws`.`t\\`1`");
  });

  it("quotes a string literal", () => {
    expect(quoteString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });
});
