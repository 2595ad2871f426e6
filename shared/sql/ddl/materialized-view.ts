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

/** The SELECT exactly as the view's DDL holds it (trimmed, trailing `;` dropped): what the read guard must see. */
export function materializedViewQuery(select: string): string {
  return select.trim().replace(/;+\s*$/, "");
}

export function createMaterializedViewSql(target: MaterializedViewTarget, select: string, options: CreateTableOptions = {}): string {
  const view = quoteQualifiedName(target.database, target.view);
  const to = quoteQualifiedName(target.targetDatabase ?? target.database, target.targetTable);
  const query = materializedViewQuery(select);
  return `CREATE MATERIALIZED VIEW ${options.ifNotExists ? "IF NOT EXISTS " : ""}${view}${onClusterClause(options.onCluster)} TO ${to}\nAS ${query}`;
}

/** `ALTER TABLE … MODIFY QUERY` for `DEPLOYMENT_METHOD alter`. */
export function modifyMaterializedViewQuerySql(target: Pick<MaterializedViewTarget, "database" | "view">, select: string, options: Pick<CreateTableOptions, "onCluster"> = {}): string {
  const query = materializedViewQuery(select);
  return `ALTER TABLE ${quoteQualifiedName(target.database, target.view)}${onClusterClause(options.onCluster)} MODIFY QUERY\n${query}`;
}
