/**
 * @module
 * `CREATE TABLE` for a datasource. The caller picks the database and physical
 * table name (see `datasourceSchemaHash`); JSONPaths are ingest-time only and
 * never reach the DDL.
 */
import type { ColumnDefinition, DatasourceFile, IndexDefinition } from "../../datafiles/ast.js";
import { engineClause } from "./engine-clause.js";
import { onClusterClause, quoteIdentifier, quoteQualifiedName } from "./quote.js";

export interface TableTarget {
  database: string;
  table: string;
}

export interface CreateTableOptions {
  ifNotExists?: boolean;
  /** Adds `ON CLUSTER`; only for real clusters (it needs a Keeper). */
  onCluster?: string;
}

/** The part of a datasource that decides its table. */
export type TableDefinition = Pick<DatasourceFile, "columns" | "engine" | "indexes">;

export function columnDefinitionSql(column: Pick<ColumnDefinition, "name" | "type" | "default" | "materialized" | "codec">): string {
  let sql = `${quoteIdentifier(column.name)} ${column.type}`;
  if (column.default !== undefined) sql += ` DEFAULT ${column.default}`;
  else if (column.materialized !== undefined) sql += ` MATERIALIZED ${column.materialized}`;
  if (column.codec !== undefined) sql += ` CODEC(${column.codec})`;
  return sql;
}

export function indexDefinitionSql(index: Pick<IndexDefinition, "name" | "expr" | "type" | "granularity">): string {
  return `INDEX ${quoteIdentifier(index.name)} ${index.expr} TYPE ${index.type} GRANULARITY ${index.granularity}`;
}

export function createTableHead(target: TableTarget, options: CreateTableOptions): string {
  return `CREATE TABLE ${options.ifNotExists ? "IF NOT EXISTS " : ""}${quoteQualifiedName(target.database, target.table)}${onClusterClause(options.onCluster)}`;
}

/**
 * @example
 * createTableSql(ds, { database: "ws_1", table: "events_3f2a9c1b" }, { ifNotExists: true })
 */
export function createTableSql(datasource: TableDefinition, target: TableTarget, options: CreateTableOptions = {}): string {
  const body = [
    ...datasource.columns.map(columnDefinitionSql),
    ...datasource.indexes.map(indexDefinitionSql),
  ];
  return [
    createTableHead(target, options),
    "(",
    body.map((line) => `    ${line}`).join(",\n"),
    ")",
    engineClause(datasource.engine),
  ].join("\n");
}
