/**
 * Pipe compilation: nodes → one ClickHouse query; `q=` over an endpoint.
 * See README.md in this folder.
 *
 * @module
 */
export { compilePipe, nodeDependencies } from "./compile.js";
export type { PipeNode, CompileResult } from "./compile.js";
export { wrapForQueryParam, ENDPOINT_RESULT_NAME } from "./query-param.js";
export type { WrapResult } from "./query-param.js";
export { prependCtes, trimStatement } from "./with-clause.js";
export type { NamedQuery } from "./with-clause.js";
