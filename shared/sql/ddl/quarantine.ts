/**
 * @module
 * The `<table>_quarantine` table that keeps rows which failed validation.
 * Its columns follow what Tinybird users see: `c__error_column`, `c__error`,
 * `c__import_id`, every original column as Nullable(String) (raw values),
 * then `insertion_date`.
 */
import type { ColumnDefinition } from "../../datafiles/ast.js";
import { createTableHead, type CreateTableOptions, type TableTarget } from "./create-table.js";
import type { TableShape } from "./ddl-ast.js";
import { quoteIdentifier } from "./quote.js";

export const QUARANTINE_SUFFIX = "_quarantine";

const LEADING_COLUMNS = [
  ["c__error_column", "Array(String)"],
  ["c__error", "Array(String)"],
  ["c__import_id", "Nullable(String)"],
] as const;
const INSERTION_DATE = ["insertion_date", "DateTime DEFAULT now()"] as const;
const RESERVED = new Set<string>([...LEADING_COLUMNS.map(([n]) => n), INSERTION_DATE[0]]);

export function quarantineTableName(table: string): string {
  return `${table}${QUARANTINE_SUFFIX}`;
}

/**
 * DDL for the quarantine table of the datasource stored in `target`.
 * Original columns named like a quarantine column are left out (they would clash).
 */
function quarantineColumns(datasource: { columns: Pick<ColumnDefinition, "name">[] }): (readonly [string, string])[] {
  return [
    ...LEADING_COLUMNS,
    ...datasource.columns.filter((c) => !RESERVED.has(c.name)).map((c) => [c.name, "Nullable(String)"] as const),
    INSERTION_DATE,
  ];
}

export function createQuarantineTableSql(
  datasource: { columns: Pick<ColumnDefinition, "name">[] }, target: TableTarget, options: CreateTableOptions = {},
): string {
  const columns = quarantineColumns(datasource);
  return [
    createTableHead({ database: target.database, table: quarantineTableName(target.table) }, options),
    "(",
    columns.map(([name, type]) => `    ${quoteIdentifier(name)} ${type}`).join(",\n"),
    ")",
    "ENGINE = MergeTree",
    "PARTITION BY toYYYYMM(insertion_date)",
    "ORDER BY insertion_date",
  ].join("\n");
}

/** What `createQuarantineTableSql(datasource, target)` writes, for the deploy's check on ClickHouse's parse of it. */
export function quarantineTableShape(datasource: { columns: Pick<ColumnDefinition, "name">[] }, target: TableTarget): TableShape {
  return {
    database: target.database,
    table: quarantineTableName(target.table),
    columns: quarantineColumns(datasource).map(([name]) => ({ name, default: name === INSERTION_DATE[0], codec: false })),
    indexes: 0,
    engine: "MergeTree",
    engineArgs: [],
    clauses: ["partition", "order"],
  };
}
