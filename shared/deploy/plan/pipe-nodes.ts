/**
 * @module deploy/plan/pipe-nodes
 * How the plan reads a pipe's nodes, wherever it compiles one: rendered without
 * request params, the node another pipe reads, and the problems both can raise
 * (worded once, so a view and a validated query say the same thing).
 */
import type { PipeFile } from "../../datafiles/index.js";
import type { ProjectProblem } from "../project.js";
import { renderNodesWithDefaults } from "../render-defaults.js";

/** The node a pipe serves when read: its published node, or else its last one. */
export function servedNode(pipe: PipeFile): string | undefined {
  const pub = pipe.publication;
  return "node" in pub ? pub.node : pipe.nodes[pipe.nodes.length - 1]?.name;
}

/**
 * The pipe's nodes rendered without request params: "normal" for views
 * (they run with defaults only), "check" for validated queries. A node that
 * refuses to render adds a problem and yields undefined.
 */
export function renderedNodes(pipe: PipeFile, mode: "normal" | "check", problems: ProjectProblem[]): Array<{ name: string; sql: string }> | undefined {
  const rendered = renderNodesWithDefaults(pipe.nodes, mode);
  if (!rendered.ok) {
    problems.push({ filename: pipe.path, error: `${pipe.path}: node '${rendered.node}': ${rendered.error}` });
    return undefined;
  }
  return rendered.nodes;
}

/** Problem: reading `pipe` from the pipes in `stack` comes back to it. */
export function pipeCycle(pipe: PipeFile, stack: readonly string[]): ProjectProblem {
  return { filename: pipe.path, error: `${pipe.path}: pipes read each other in a cycle: ${[...stack, pipe.name].join(" → ")}` };
}

/** Problem: node `node` of `pipe` does not compile. */
export function nodeProblem(pipe: PipeFile, node: string, message: string): ProjectProblem {
  return { filename: pipe.path, error: `${pipe.path}: node '${node}': ${message}` };
}
