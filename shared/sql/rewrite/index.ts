/**
 * ClickHouse SQL tokenizer, table finder/rewriter and read-only checks.
 * See README.md in this folder.
 *
 * @module
 */
export { tokenize, isSignificant } from "./tokenize.js";
export type { Token, TokenKind, TokenizeResult, TokenizeError } from "./tokenize.js";
export type { SqlError, SqlErrorCode } from "./errors.js";
export { rewriteTables, DEFAULT_TABLE_FUNCTIONS } from "./rewrite-tables.js";
export type { TableResolver, TableResolution, RewriteOptions, RewriteResult } from "./rewrite-tables.js";
export { listTables } from "./list-tables.js";
export type { TableName, ListTablesResult } from "./list-tables.js";
export type { TableReference, TableContext } from "./table-refs.js";
export { classifyStatement, checkReadOnly } from "./statement.js";
export { findSessionCalls, replaceSessionCalls } from "./session-functions.js";
export type { SessionCall, SessionFunction } from "./session-functions.js";
export type { StatementKind, StatementCheck } from "./statement.js";
export { quoteIdentifier, qualifiedTable } from "./quote.js";
export { toTernError } from "./to-tern-error.js";
