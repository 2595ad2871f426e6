/**
 * @module deploy/plan/validations
 * Every query a pipe can serve must compile against this deployment; the
 * Worker then has ClickHouse EXPLAIN each one. Queries are rendered in check
 * mode (type-correct samples for params without defaults). A pipe may read
 * another pipe (its published node, or its last one) as a subquery, and
 * `tinybird.*` reads the workspace's own service views, as endpoints do.
 */
import type { PipeFile } from "../../datafiles/index.js";
import { SERVICE_DATASOURCES, serviceViewName } from "../../service/datasources.js";
import { compilePipe } from "../../sql/pipeline/index.js";
import type { Project, ProjectProblem } from "../project.js";
import { nodeProblem, pipeCycle, renderedNodes, servedNode } from "./pipe-nodes.js";
import type { PhysicalTables, PlannedValidation } from "./types.js";

export interface ValidationsInput {
  project: Project;
  tables: PhysicalTables;
  database: string;
}

export interface ValidationsPlan {
  /** One per pipe that is not materialized, in project order. */
  validations: PlannedValidation[];
  usesServiceViews: boolean;
  problems: ProjectProblem[];
}

export function planValidations(input: ValidationsInput): ValidationsPlan {
  const { project, tables, database } = input;
  const problems: ProjectProblem[] = [];
  const validations: PlannedValidation[] = [];
  // Each pipe compiles once (null: it cannot), however many pipes read it.
  const compiled = new Map<string, string | null>();
  let usesServiceViews = false;

  const pipeQuery = (pipe: PipeFile, stack: readonly string[]): string | null => {
    const known = compiled.get(pipe.name);
    if (known !== undefined) return known;
    if (stack.includes(pipe.name)) {
      problems.push(pipeCycle(pipe, stack));
      return null;
    }
    const node = servedNode(pipe);
    const nodes = node ? renderedNodes(pipe, "check", problems) : undefined;
    if (!node || !nodes) {
      compiled.set(pipe.name, null);
      return null;
    }
    const result = compilePipe(nodes, node, (t, db) => {
      if (db === "tinybird" && SERVICE_DATASOURCES.some((d) => d.name === t)) {
        usesServiceViews = true;
        return { database, table: serviceViewName(t) };
      }
      if (db !== undefined) return { error: `Resource '${db}.${t}' not found` };
      const physical = tables.get(t)?.table;
      if (physical) return { database, table: physical };
      const other = project.pipes.get(t);
      if (other && other.publication.type !== "materialized") {
        const sub = pipeQuery(other, [...stack, pipe.name]);
        return sub === null ? { error: `Pipe '${t}' cannot be read` } : { subquery: sub };
      }
      return { error: `Resource '${t}' not found` };
    });
    if (!result.ok) {
      problems.push(nodeProblem(pipe, node, result.error.message));
      compiled.set(pipe.name, null);
      return null;
    }
    compiled.set(pipe.name, result.sql);
    return result.sql;
  };

  for (const pipe of project.pipes.values()) {
    if (pipe.publication.type === "materialized") continue;
    const sql = pipeQuery(pipe, []);
    if (sql !== null) validations.push({ pipe: pipe.name, node: servedNode(pipe)!, sql });
  }
  return { validations, usesServiceViews, problems };
}
