// The CREATE TABLE statements of one datasource: its quarantine table and its
// own table, each only when new; tables as Tern creates them keep a
// deduplication window.
import { describe, expect, it } from "vitest";
import type { DatasourceFile } from "../../../shared/datafiles/index.js";
import { withIngestSettings } from "../../../shared/deploy/plan/ingest-settings.js";
import { planDatasourceTable, planQuarantineTable } from "../../../shared/deploy/plan/tables.js";
import { DATABASE, liveOf, projectOf } from "./helpers.js";
import { STAGED_V1, STAGED_V2, landing } from "./scenarios.js";

const datasource = (text: string, name = "t"): DatasourceFile => projectOf({ [`${name}.datasource`]: text }).datasources.get(name)!;

describe("quarantine table", () => {
  it("is new without a live deployment, named for its identity and the tag, with the deduplication window", () => {
    const planned = planQuarantineTable({ name: "t", ds: datasource(STAGED_V1), database: DATABASE, tag: "k1" });
    expect(planned.table).toBe(`t__${planned.identity}_k1_quarantine`);
    expect(planned.create).toMatchObject({ datasource: "t", table: planned.table, kind: "quarantine" });
    expect(planned.create!.sql).toBe(
      `CREATE TABLE \`ws_golden\`.\`${planned.table}\`\n(\n    \`c__error_column\` Array(String),\n    \`c__error\` Array(String),\n    \`c__import_id\` Nullable(String),\n` +
        "    `id` Nullable(String),\n    `v` Nullable(String),\n    `insertion_date` DateTime DEFAULT now()\n)\nENGINE = MergeTree\n" +
        "PARTITION BY toYYYYMM(insertion_date)\nORDER BY insertion_date\nSETTINGS non_replicated_deduplication_window = 10000",
    );
    // The shape the DDL guard compares ClickHouse's parse with includes the SETTINGS clause.
    expect(planned.create!.shape).toMatchObject({ table: planned.table, clauses: ["partition", "order", "settings"] });
    expect(planned.create!.shape.columns.map((c) => c.name)).toEqual(["c__error_column", "c__error", "c__import_id", "id", "v", "insertion_date"]);
  });

  const cases: Array<[string, string, "kept" | "new"]> = [
    ["same columns, new sorting key", STAGED_V1.replace('ENGINE_SORTING_KEY "id"', 'ENGINE_SORTING_KEY "v, id"'), "kept"],
    ["same column names, new types", landing(["id UInt64", "v LowCardinality(String)"], "id"), "kept"],
    ["a column added", STAGED_V2, "new"],
    ["a column renamed", landing(["id UInt32", "value String"], "id"), "new"],
  ];
  for (const [change, next, verdict] of cases) {
    it(`${change}: live's quarantine table is ${verdict}`, () => {
      const liveDs = liveOf({ "t.datasource": STAGED_V1 }).datasources.t!;
      const planned = planQuarantineTable({ name: "t", ds: datasource(next), liveDs, database: DATABASE, tag: "k2" });
      if (verdict === "kept") expect(planned).toEqual({ table: liveDs.quarantineTable, identity: liveDs.quarantineIdentity });
      else expect([planned.table, planned.create?.table, planned.identity === liveDs.quarantineIdentity]).toEqual([`t__${planned.identity}_k2_quarantine`, planned.table, false]);
    });
  }
});

describe("datasource table", () => {
  it("is created when new, with the deduplication window", () => {
    expect(planDatasourceTable("t", datasource(STAGED_V1), { table: "t__abc_k1", identity: "abc", shared: false }, DATABASE)).toMatchObject({
      datasource: "t",
      table: "t__abc_k1",
      kind: "datasource",
      sql: "CREATE TABLE `ws_golden`.`t__abc_k1`\n(\n    `id` UInt32,\n    `v` String\n)\nENGINE = MergeTree\nORDER BY id\nSETTINGS non_replicated_deduplication_window = 10000",
      shape: { database: DATABASE, table: "t__abc_k1", engine: "MergeTree", clauses: ["order", "settings"] },
    });
  });

  it("is not created when shared with live", () => {
    expect(planDatasourceTable("t", datasource(STAGED_V1), { table: "t__abc_k1", identity: "abc", shared: true }, DATABASE)).toBeUndefined();
  });
});

describe("ingest settings", () => {
  const settingsOf = (text: string) => {
    const engine = withIngestSettings(datasource(text)).engine;
    return "settings" in engine ? engine.settings : undefined;
  };
  const cases: Array<[string, string, string | undefined]> = [
    ["MergeTree without settings", STAGED_V1, "non_replicated_deduplication_window = 10000"],
    ["MergeTree with settings", landing(["id UInt32"], "id", 'ENGINE_SETTINGS "index_granularity = 1024"\n'), "index_granularity = 1024, non_replicated_deduplication_window = 10000"],
    ["a window of its own", landing(["id UInt32"], "id", 'ENGINE_SETTINGS "non_replicated_deduplication_window = 5"\n'), "non_replicated_deduplication_window = 5"],
    ["Null (keeps nothing)", "SCHEMA >\n    `id` UInt32\n\nENGINE Null\n", undefined],
    ["Join (not a MergeTree)", "SCHEMA >\n    `id` UInt32,\n    `v` String\n\nENGINE Join\nENGINE_JOIN_STRICTNESS ANY\nENGINE_JOIN_TYPE LEFT\nENGINE_KEY_COLUMNS id\n", undefined],
  ];
  for (const [engine, text, settings] of cases) {
    it(`${engine}: ${settings ?? "unchanged"}`, () => {
      expect(settingsOf(text)).toBe(settings);
    });
  }
});
