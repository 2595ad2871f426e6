/**
 * @module deploy/render-defaults
 * Node SQL as a deployment sees it: templated nodes rendered without request
 * params — defaults where declared, type-correct samples for the rest (the
 * template engine's check mode) — so their tables can be found and the query
 * validated. Materialized views use the same rendering: they run without params.
 */
import type { PipeNode } from "../datafiles/index.js";
import { compileTemplate, render } from "../template/index.js";

export type RenderedNodes =
  | { ok: true; nodes: Array<{ name: string; sql: string }> }
  | { ok: false; node: string; error: string };

export function renderNodesWithDefaults(nodes: readonly PipeNode[], mode: "normal" | "check" = "check"): RenderedNodes {
  const out: Array<{ name: string; sql: string }> = [];
  for (const node of nodes) {
    if (!node.templated) {
      out.push({ name: node.name, sql: node.sql });
      continue;
    }
    try {
      out.push({ name: node.name, sql: render(compileTemplate(node.sql), {}, { mode }).sql });
    } catch (e) {
      return { ok: false, node: node.name, error: e instanceof Error ? e.message : String(e) };
    }
  }
  return { ok: true, nodes: out };
}
