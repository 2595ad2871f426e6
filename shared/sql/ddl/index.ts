/**
 * @module
 * ClickHouse DDL for datasources and materialized pipes.
 */
export { createTableSql, columnDefinitionSql, indexDefinitionSql, type TableTarget, type CreateTableOptions, type TableDefinition } from "./create-table.js";
export { engineClause, engineCall, keyExpression } from "./engine-clause.js";
export { createQuarantineTableSql, quarantineTableName, quarantineTableShape, QUARANTINE_SUFFIX } from "./quarantine.js";
export { checkCreateTableAst, checkExpressionsAst, tableShapeOf, type TableShape, type DdlPart, type DdlAstCheck, type StorageClause } from "./ddl-ast.js";
export { checkDdlValue, type DdlValueKind, type DdlValueCheck } from "./value-check.js";
export { createMaterializedViewSql, materializedViewQuery, modifyMaterializedViewQuerySql, type MaterializedViewTarget } from "./materialized-view.js";
export { datasourceSchemaHash, canonicalTableDefinition, normalizeExpression } from "./schema-hash.js";
export { quoteIdentifier, quoteQualifiedName, quoteString } from "./quote.js";
