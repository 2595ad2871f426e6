/**
 * @module
 * Tinybird datafiles (`.datasource`, `.pipe`, `.connection`) as typed values.
 */
export type * from "./ast.js";
export { DatafileError, type DatafileWarning, type SourcePosition } from "./errors.js";
export { parseDatafile, datafileKindOf, type ParseDatafileInput, type ParseDatafileResult } from "./parse.js";
export type { IncludeResolver } from "./lexer.js";
export { resolveSecrets, type Env } from "./values.js";
export * from "./types.js";
