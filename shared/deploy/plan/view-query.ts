/**
 * @module deploy/plan/view-query
 * A materialized view's SELECT: its node chain rendered with defaults only
 * (views run without request params), datasources resolved as the caller
 * says, and pipes it reads inlined as subqueries, so the view still fires on
 * their datasources (ClickHouse triggers a view on the table in its FROM).
 */
import type { PipeFile } from "../../datafiles/index.js";
import { compilePipe } from "../../sql/pipeline/index.js";
import type { Project, ProjectProblem } from "../project.js";
import { nodeProblem, pipeCycle, renderedNodes, servedNode } from "./pipe-nodes.js";
import type { DatasourceResolver } from "./types.js";

export interface ViewQueryInput {
  project: Project;
  pipe: PipeFile;
  node: string;
  resolve: DatasourceResolver;
  /** Pipes being inlined, outermost first: reading one of them again is a cycle. */
  stack?: readonly string[];
}

/** The SELECT, or undefined with the reasons added to `problems`. */
export function compileViewQuery(input: ViewQueryInput, problems: ProjectProblem[]): string | undefined {
  const { project, pipe, node, resolve, stack = [] } = input;
  if (stack.includes(pipe.name)) {
    problems.push(pipeCycle(pipe, stack));
    return undefined;
  }
  const nodes = renderedNodes(pipe, "normal", problems);
  if (!nodes) return undefined;
  const compiled = compilePipe(nodes, node, (t, db) => {
    if (db !== undefined) return { error: `Resource '${db}.${t}' not found` };
    if (project.datasources.has(t)) return resolve(t);
    const other = project.pipes.get(t);
    if (other && other.publication.type !== "materialized") {
      const target = servedNode(other);
      const sub = target ? compileViewQuery({ project, pipe: other, node: target, resolve, stack: [...stack, pipe.name] }, problems) : undefined;
      return sub === undefined ? { error: `Pipe '${t}' cannot be read` } : { subquery: sub };
    }
    return { error: `Resource '${t}' not found` };
  });
  if (!compiled.ok) {
    problems.push(nodeProblem(pipe, node, compiled.error.message));
    return undefined;
  }
  return compiled.sql;
}
