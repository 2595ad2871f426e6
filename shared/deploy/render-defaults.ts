/**
 * @module deploy/render-defaults
 * Node SQL as a deployment sees it: templated nodes rendered without request
 * params — defaults where declared, type-correct samples for the rest (the
 * template engine's check mode) — so their tables can be found and the query
 * validated. Materialized views use defaults only (`normal` mode): they run
 * without params.
 */
import type { PipeNode } from "../datafiles/index.js";
import { compileTemplate, render } from "../template/index.js";

export type RenderMode = "normal" | "check";

export type RenderedNode = { ok: true; sql: string } | { ok: false; error: string };

export type RenderedNodes =
  | { ok: true; nodes: Array<{ name: string; sql: string }> }
  | { ok: false; node: string; error: string };

/** One node's SQL without request params; a plain node's SQL as written. */
export function renderNodeWithDefaults(node: PipeNode, mode: RenderMode = "check"): RenderedNode {
  if (!node.templated) return { ok: true, sql: node.sql };
  try {
    return { ok: true, sql: render(compileTemplate(node.sql), {}, { mode }).sql };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Every node of a pipe, stopping at the first that does not render. */
export function renderNodesWithDefaults(nodes: readonly PipeNode[], mode: RenderMode = "check"): RenderedNodes {
  const out: Array<{ name: string; sql: string }> = [];
  for (const node of nodes) {
    const rendered = renderNodeWithDefaults(node, mode);
    if (!rendered.ok) return { ok: false, node: node.name, error: rendered.error };
    out.push({ name: node.name, sql: rendered.sql });
  }
  return { ok: true, nodes: out };
}
