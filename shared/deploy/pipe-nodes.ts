/**
 * @module deploy/pipe-nodes
 * Every node of a pipe, as the deployment will run it: rendered without
 * request params (`pipe-reads.ts`) and compiled against the project's
 * datasources, pipes and `tinybird.*` service datasources with the rules the
 * plan compiles by (`plan.ts`), so a project that passes here plans.
 *
 * Each problem is where it is written: the template line of a render error;
 * the line and column of the name (or token) for a plain node; the node's
 * first SQL line for a templated one, whose rendered SQL no longer lines up
 * with the file.
 */
import type { PipeFile, PipeNode, SourcePosition } from "../datafiles/index.js";
import { SERVICE_DATASOURCES } from "../service/datasources.js";
import { compilePipe } from "../sql/pipeline/index.js";
import type { TableResolver } from "../sql/rewrite/index.js";
import type { Problems } from "./problems.js";
import { renderModeOf, type ProjectReads } from "./pipe-reads.js";

const SERVICE_NAMES = new Set(SERVICE_DATASOURCES.map((d) => d.name));

/** Reports every render and compile problem of `pipe`; `textOf(file)` is the text of the pipe or of a fragment it INCLUDEs. */
export function checkPipeSql(pipe: PipeFile, reads: ProjectReads, problems: Problems, textOf: (file: string) => string | undefined): void {
  const mode = renderModeOf(pipe);
  const rendered = reads.rendered(pipe, mode);
  const result = reads.resultChain(pipe, mode);
  for (const node of pipe.nodes) {
    const error = rendered.failures.get(node.name);
    if (error !== undefined) {
      problems.add(pipe.path, renderErrorAt(node, error), `node '${node.name}': ${error}`);
      continue;
    }
    // The other nodes stand in as `SELECT 1`: each node's own names are
    // resolved, and located, when it is the one compiled.
    const alone = rendered.nodes.map((n) => (n.name === node.name ? n : { name: n.name, sql: "SELECT 1" }));
    const compiled = compilePipe(alone, node.name, resolverFor(pipe, result.has(node.name), reads));
    if (!compiled.ok) {
      problems.add(pipe.path, sqlPosition(node, compiled.error.position, textOf(node.file)), `node '${node.name}': ${compiled.error.message}`);
    }
  }
}

/**
 * What a node of `pipe` may read. `inResult`: the node is behind the pipe's
 * result, so a read that comes back to the pipe (or, for a view, to the
 * datasource it writes) is a cycle; other nodes are never run by the deploy.
 */
function resolverFor(pipe: PipeFile, inResult: boolean, reads: ProjectReads): TableResolver {
  const pub = pipe.publication;
  const writes = pub.type === "materialized" && reads.kindOf(pub.datasource) === "datasource" ? pub.datasource : undefined;
  const isView = pub.type === "materialized";
  const feedsItself = (sources: Iterable<string>) => {
    if (!writes || !inResult) return undefined;
    for (const source of sources) {
      const path = reads.flowPath(writes, source);
      if (path) return { error: `materialized views form a cycle: ${[...path, writes].join(" → ")}` };
    }
    return undefined;
  };
  return (name, db) => {
    if (db !== undefined) {
      // Endpoints, copies and sinks read the workspace's service datasources; a view runs on inserts and reads none.
      if (!isView && db === "tinybird" && SERVICE_NAMES.has(name)) return { database: db, table: name };
      return { error: `Resource '${db}.${name}' not found` };
    }
    const kind = reads.kindOf(name);
    if (kind === "datasource") return feedsItself([name]) ?? { database: "db", table: name };
    if (kind === "pipe") {
      const other = reads.pipe(name);
      if (isView) {
        const why = reads.viewRefusal(other);
        if (why !== undefined) return { error: `pipe '${name}' cannot be read by a materialized view: ${why}` };
        const cycle = feedsItself(reads.viewSources(other));
        if (cycle) return cycle;
      }
      const back = inResult ? reads.pipePath(name, pipe.name) : undefined;
      if (back) return { error: `pipes read each other in a cycle: ${[pipe.name, ...back].join(" → ")}` };
      return { table: name };
    }
    // A datafile that failed to load has its own problem; its readers are not told again.
    if (kind === "unusable") return { table: name };
    return undefined;
  };
}

/** Template errors name their line in the node's SQL (`at <string>:2`), whose line 1 is the `%` line. */
function renderErrorAt(node: PipeNode, error: string): SourcePosition {
  const at = /at <string>:(\d+)/.exec(error);
  return { file: node.file, line: node.sqlLine + (at ? Number(at[1]) - 1 : 0), column: 1 };
}

/**
 * File line and column of an offset in a node's SQL. The SQL is dedented, so
 * the column adds back the indentation the file has on that line.
 */
function sqlPosition(node: PipeNode, position: number | undefined, text: string | undefined): SourcePosition {
  const start = { file: node.file, line: node.sqlLine, column: 1 };
  if (position === undefined || node.templated) return start;
  const before = node.sql.slice(0, position);
  const lineInSql = before.split("\n").length - 1;
  const columnInSql = position - (before.lastIndexOf("\n") + 1);
  const line = node.sqlLine + lineInSql;
  const written = text?.split("\n")[line - 1] ?? "";
  const dedented = node.sql.split("\n")[lineInSql] ?? "";
  const indent = (s: string) => s.length - s.trimStart().length;
  return { file: node.file, line, column: columnInSql + 1 + Math.max(0, indent(written) - indent(dedented)) };
}
