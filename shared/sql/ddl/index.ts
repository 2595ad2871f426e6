/**
 * @module
 * ClickHouse DDL for datasources and materialized pipes.
 */
export { createTableSql, columnDefinitionSql, indexDefinitionSql, type TableTarget, type CreateTableOptions, type TableDefinition } from "./create-table.js";
export { engineClause, engineCall, keyExpression } from "./engine-clause.js";
export { createQuarantineTableSql, quarantineTableName, QUARANTINE_SUFFIX } from "./quarantine.js";
export { createMaterializedViewSql, modifyMaterializedViewQuerySql, type MaterializedViewTarget } from "./materialized-view.js";
export { datasourceSchemaHash, canonicalTableDefinition, normalizeExpression } from "./schema-hash.js";
export { quoteIdentifier, quoteQualifiedName, quoteString } from "./quote.js";
