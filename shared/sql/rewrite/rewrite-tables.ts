/**
 * Rewrites the tables a statement names (datasources, pipe nodes, service
 * datasources such as `tinybird.pipe_stats_rt`) to what a resolver says,
 * leaving every other byte of the SQL untouched.
 *
 * - Physical name: `FROM events` → `FROM ws_1.events_3f2a AS events`. The
 *   alias keeps `events.col` qualifiers and JOIN column prefixes working; it
 *   is added only in FROM/JOIN and only when the statement gave none.
 * - Subquery: `FROM tinybird.pipe_stats_rt` → `FROM (SELECT … WHERE workspace = …) AS pipe_stats_rt`;
 *   `x IN name` → `x IN (SELECT …)`.
 * - Table functions must be on an allow-list (pure generators by default);
 *   their arguments are not rewritten, except that subqueries inside them
 *   (`view(SELECT … FROM t)`) are handled like any other subquery.
 *
 * @module
 * @example
 * rewriteTables("SELECT * FROM events", (name) => (name === "events" ? { database: "ws", table: "events_v1" } : undefined));
 * // { ok: true, sql: "SELECT * FROM ws.events_v1 AS events", tables: [...] }
 */
import type { SqlError } from "./errors.js";
import { qualifiedTable, quoteIdentifier } from "./quote.js";
import { kindOf, secondStatementAt } from "./statement.js";
import { findTables, type TableReference } from "./table-refs.js";

export type TableResolution =
  | { database?: string; table: string }
  | { subquery: string }
  | { error: string }
  | undefined;

/** `db` is set only for `db.name` references. */
export type TableResolver = (name: string, db?: string) => TableResolution;

/** Table functions that read nothing but their arguments. */
export const DEFAULT_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  "numbers", "numbers_mt", "zeros", "zeros_mt", "generateRandom", "generate_series", "generateSeries",
  "values", "null", "view", "format",
]);

export interface RewriteOptions {
  /** Exact, case-sensitive names of permitted table functions. Default: {@link DEFAULT_TABLE_FUNCTIONS}. */
  tableFunctions?: ReadonlySet<string>;
}

export type RewriteResult =
  | { ok: true; sql: string; tables: TableReference[] }
  | { ok: false; error: SqlError };

export function rewriteTables(sql: string, resolve: TableResolver, options: RewriteOptions = {}): RewriteResult {
  const scanned = findTables(sql);
  if (!scanned.ok) return scanned;
  const { found, structure } = scanned;

  const second = secondStatementAt(structure);
  if (second >= 0) {
    return { ok: false, error: { code: "multi_statement", message: "Multi-statements are not allowed", position: structure.tokens[second]!.start } };
  }
  if (kindOf(structure) === "show") {
    return { ok: false, error: { code: "forbidden", message: "SHOW statements cannot be rewritten", position: 0 } };
  }

  const allowed = options.tableFunctions ?? DEFAULT_TABLE_FUNCTIONS;
  for (const fn of found.tableFunctions) {
    if (fn.database !== undefined || !allowed.has(fn.name)) {
      const shown = fn.database === undefined ? fn.name : `${fn.database}.${fn.name}`;
      return { ok: false, error: { code: "forbidden", message: `Table function '${shown}' is not allowed`, position: fn.start } };
    }
  }

  const edits: { start: number; end: number; text: string }[] = [];
  for (const ref of found.tables) {
    const replaced = replacementFor(ref, resolve(ref.name, ref.database), sql);
    if (typeof replaced !== "string") return { ok: false, error: replaced };
    edits.push({ start: ref.start, end: ref.end, text: replaced });
  }

  let out = "";
  let at = 0;
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    out += sql.slice(at, edit.start) + edit.text;
    at = edit.end;
  }
  return { ok: true, sql: out + sql.slice(at), tables: found.tables };
}

function replacementFor(ref: TableReference, resolution: TableResolution, sql: string): string | SqlError {
  const shown = ref.database === undefined ? ref.name : `${ref.database}.${ref.name}`;
  if (resolution === undefined) {
    return { code: "not_found", message: `Resource '${shown}' not found`, position: ref.start };
  }
  if ("error" in resolution) return { code: "forbidden", message: resolution.error, position: ref.start };
  const aliasable = (ref.context === "from" || ref.context === "join") && !ref.hasAlias;
  if (ref.context === "string") {
    if (!("table" in resolution)) return { code: "forbidden", message: `Resource '${shown}' cannot be used in joinGet`, position: ref.start };
    const target = resolution.database === undefined ? resolution.table : `${resolution.database}.${resolution.table}`;
    return `'${target.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  }
  if ("subquery" in resolution) {
    return `(${resolution.subquery})` + (aliasable ? ` AS ${quoteIdentifier(ref.name)}` : "");
  }
  const unchanged = resolution.database === undefined && ref.database === undefined && resolution.table === ref.name;
  if (unchanged) return sql.slice(ref.start, ref.end);
  const alias = aliasable && resolution.table !== ref.name ? ` AS ${quoteIdentifier(ref.name)}` : "";
  return qualifiedTable(resolution.table, resolution.database) + alias;
}
