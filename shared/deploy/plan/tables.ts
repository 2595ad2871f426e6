/**
 * @module deploy/plan/tables
 * The CREATE TABLE statements of one datasource: its quarantine table (kept
 * from live when its own identity is unchanged, which is often: it depends on
 * the column names only) and its own table when that is new.
 */
import type { DatasourceFile } from "../../datafiles/index.js";
import { createQuarantineTableSql, createTableSql, quarantineTableShape, tableShapeOf } from "../../sql/ddl/index.js";
import { shortHash } from "../hash.js";
import type { ManifestDatasource } from "../manifest.js";
import { DEDUPLICATION_WINDOW, withIngestSettings } from "./ingest-settings.js";
import { newQuarantineTableName, quarantineBaseName } from "./names.js";
import { PLACEHOLDER_TARGET } from "./physical-tables.js";
import type { PhysicalTable, PlannedTable } from "./types.js";

export interface QuarantineInput {
  name: string;
  ds: DatasourceFile;
  liveDs?: ManifestDatasource;
  database: string;
  tag: string;
}

export interface PlannedQuarantine {
  table: string;
  identity: string;
  /** Absent when live's quarantine table is kept. */
  create?: PlannedTable;
}

export function planQuarantineTable(input: QuarantineInput): PlannedQuarantine {
  const { name, ds, liveDs, database, tag } = input;
  const identity = shortHash(createQuarantineTableSql(ds, PLACEHOLDER_TARGET));
  if (liveDs !== undefined && liveDs.quarantineIdentity === identity) return { table: liveDs.quarantineTable, identity };
  const table = newQuarantineTableName(name, identity, tag);
  // Quarantine inserts carry deduplication tokens too (a retried batch's quarantined rows land once);
  // the setting is left out of the identity, so existing quarantine tables stay in use.
  const target = { database, table: quarantineBaseName(name, identity, tag) };
  const sql = `${createQuarantineTableSql(ds, target)}\nSETTINGS ${DEDUPLICATION_WINDOW}`;
  const shape = quarantineTableShape(ds, target);
  return {
    table,
    identity,
    create: { datasource: name, table, kind: "quarantine", sql, shape: { ...shape, clauses: [...shape.clauses, "settings"] } },
  };
}

/** The datasource's own table, when it is new (a shared one exists already). */
export function planDatasourceTable(name: string, ds: DatasourceFile, physical: PhysicalTable, database: string): PlannedTable | undefined {
  if (physical.shared) return undefined;
  const definition = withIngestSettings(ds);
  const target = { database, table: physical.table };
  return { datasource: name, table: physical.table, kind: "datasource", sql: createTableSql(definition, target), shape: tableShapeOf(definition, target) };
}
