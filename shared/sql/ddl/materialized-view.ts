/**
 * @module
 * `CREATE MATERIALIZED VIEW … TO …` for a materialized pipe node. The SELECT
 * arrives already rendered and rewritten to physical tables by the caller.
 */
import type { CreateTableOptions } from "./create-table.js";
import { onClusterClause, quoteQualifiedName } from "./quote.js";

export interface MaterializedViewTarget {
  database: string;
  view: string;
  /** Defaults to `database`. */
  targetDatabase?: string;
  targetTable: string;
}

export function createMaterializedViewSql(target: MaterializedViewTarget, select: string, options: CreateTableOptions = {}): string {
  const view = quoteQualifiedName(target.database, target.view);
  const to = quoteQualifiedName(target.targetDatabase ?? target.database, target.targetTable);
  const query = select.trim().replace(/;+\s*$/, "");
  return `CREATE MATERIALIZED VIEW ${options.ifNotExists ? "IF NOT EXISTS " : ""}${view}${onClusterClause(options.onCluster)} TO ${to}\nAS ${query}`;
}

/** `ALTER TABLE … MODIFY QUERY` for `DEPLOYMENT_METHOD alter`. */
export function modifyMaterializedViewQuerySql(target: Pick<MaterializedViewTarget, "database" | "view">, select: string, options: Pick<CreateTableOptions, "onCluster"> = {}): string {
  const query = select.trim().replace(/;+\s*$/, "");
  return `ALTER TABLE ${quoteQualifiedName(target.database, target.view)}${onClusterClause(options.onCluster)} MODIFY QUERY\n${query}`;
}
