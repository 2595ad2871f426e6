/**
 * Compiles the chain of pipe nodes ending at one node into a single query.
 *
 * Every node the target reaches (directly or through other nodes) becomes a
 * CTE, in pipe order, in front of the target's SQL:
 *
 *     WITH
 *     filtered AS (
 *     SELECT … FROM ws.events_v1 AS events WHERE …
 *     ),
 *     totals AS (
 *     SELECT … FROM filtered
 *     )
 *     SELECT * FROM totals
 *
 * Why CTEs rather than `FROM (SELECT …) AS node`: ClickHouse inlines both the
 * same way, but a CTE writes each node once however many nodes read it (no
 * blow-up on diamonds), keeps the node name for `node.col` qualifiers and
 * `IN node`, and nests fine when a node itself starts with WITH. Datasource
 * names in every included node go through the resolver.
 *
 * @module
 * @example
 * compilePipe(
 *   [{ name: "a", sql: "SELECT * FROM events" }, { name: "b", sql: "SELECT count() FROM a" }],
 *   "b",
 *   (name) => (name === "events" ? { database: "ws", table: "events_v1" } : undefined),
 * );
 * // { ok: true, sql: "WITH\na AS (\nSELECT * FROM ws.events_v1 AS events\n)\nSELECT count() FROM a", … }
 */
import type { SqlError } from "../rewrite/errors.js";
import { listTables, type TableName } from "../rewrite/list-tables.js";
import { quoteIdentifier } from "../rewrite/quote.js";
import { rewriteTables, type RewriteOptions, type TableResolver } from "../rewrite/rewrite-tables.js";
import { prependCtes, trimStatement } from "./with-clause.js";

export interface PipeNode {
  name: string;
  /** Already template-rendered SQL. */
  sql: string;
}

export type CompileResult =
  | {
      ok: true;
      sql: string;
      /** Nodes included, in pipe order, the target last. */
      nodes: string[];
      /** Datasource (non-node) names the included nodes read, unresolved. */
      tables: TableName[];
    }
  | { ok: false; error: SqlError };

export function compilePipe(
  nodes: readonly PipeNode[],
  target: string,
  resolve: TableResolver,
  options: RewriteOptions = {},
): CompileResult {
  const position = new Map<string, number>();
  for (const [i, node] of nodes.entries()) {
    if (position.has(node.name)) return pipeError(`Node '${node.name}' is defined more than once`, node.name);
    position.set(node.name, i);
  }
  const targetAt = position.get(target);
  if (targetAt === undefined) return pipeError(`Node '${target}' not found`);

  const compiled = new Map<number, string>();
  const tables: TableName[] = [];
  const seenTables = new Set<string>();
  const pending = [targetAt];
  while (pending.length > 0) {
    const at = pending.pop()!;
    if (compiled.has(at)) continue;
    const node = nodes[at]!;
    const deps: number[] = [];
    let structural: string | undefined;
    const nodeAwareResolve: TableResolver = (name, db) => {
      const other = db === undefined ? position.get(name) : undefined;
      if (other === undefined) {
        const key = JSON.stringify([db ?? null, name]);
        if (!seenTables.has(key)) {
          seenTables.add(key);
          tables.push(db === undefined ? { name } : { database: db, name });
        }
        return resolve(name, db);
      }
      if (other < at) {
        deps.push(other);
        return { table: name };
      }
      structural =
        other === at
          ? `Node '${name}' references itself`
          : `Node '${node.name}' references node '${name}', which is defined after it`;
      return { error: structural };
    };
    const rewritten = rewriteTables(node.sql, nodeAwareResolve, options);
    if (!rewritten.ok) {
      const error: SqlError = { ...rewritten.error, node: node.name };
      if (structural !== undefined) error.code = "pipe";
      return { ok: false, error };
    }
    const sql = trimStatement(rewritten.sql);
    if (sql === "") return pipeError(`Node '${node.name}' has no SQL`, node.name);
    compiled.set(at, sql);
    pending.push(...deps);
  }

  const order = [...compiled.keys()].sort((a, b) => a - b);
  const ctes = order.filter((i) => i !== targetAt).map((i) => ({ name: nodes[i]!.name, sql: compiled.get(i)! }));
  return {
    ok: true,
    sql: prependCtes(ctes, compiled.get(targetAt)!, quoteIdentifier),
    nodes: order.map((i) => nodes[i]!.name),
    tables,
  };
}

function pipeError(message: string, node?: string): { ok: false; error: SqlError } {
  return { ok: false, error: node === undefined ? { code: "pipe", message } : { code: "pipe", message, node } };
}

/** Unresolved names one node reads (nodes and datasources alike), for UIs and dependency graphs. */
export function nodeDependencies(sql: string): TableName[] | SqlError {
  const listed = listTables(sql);
  return listed.ok ? listed.tables : listed.error;
}
