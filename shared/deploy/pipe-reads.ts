/**
 * @module deploy/pipe-reads
 * What each pipe reads, as a deployment compiles it (`plan.ts`): node SQL
 * rendered without request params (defaults only for materialized views and
 * the pipes they inline, check-mode samples otherwise), and for each node the
 * names it reads, split into nodes of its pipe and resources of the project.
 * A pipe's result is the chain behind its published node (or its last one).
 *
 * The validator asks it about reads that cannot work as a whole: pipes reading
 * each other in a cycle, materialized views feeding their own sources, and
 * pipes a view cannot inline (views run without params and cannot read
 * `db.table` names).
 */
import type { PipeFile } from "../datafiles/index.js";
import { compilePipe, nodeDependencies } from "../sql/pipeline/index.js";
import type { TableResolution } from "../sql/rewrite/index.js";
import type { Project } from "./project.js";
import { renderNodeWithDefaults, type RenderMode } from "./render-defaults.js";

export interface RenderedPipe {
  /** Every node, in order; one that does not render stands in as `SELECT 1` so the others stay checkable. */
  nodes: Array<{ name: string; sql: string }>;
  /** Render errors by node name. */
  failures: Map<string, string>;
}

/** What a name in pipe SQL refers to: datasources win over pipes of the same name, as in the deployed SQL. */
export type ResourceKind = "datasource" | "pipe" | "materialized pipe" | "unusable" | undefined;

/** How a deployment renders a pipe: views run without request params. */
export function renderModeOf(pipe: PipeFile): RenderMode {
  return pipe.publication.type === "materialized" ? "normal" : "check";
}

/** The node whose result the pipe serves (or writes): its published node, else its last. */
export function resultNodeOf(pipe: PipeFile): string | undefined {
  return "node" in pipe.publication ? pipe.publication.node : pipe.nodes[pipe.nodes.length - 1]?.name;
}

export class ProjectReads {
  // Each answer is asked for again for every reference that could close a cycle: keep them.
  private readonly renders = new Map<string, RenderedPipe>();
  private readonly reads = new Map<string, Set<string>>();
  private readonly sources = new Map<string, Set<string>>();
  private readonly viewVerdicts = new Map<string, string | null>();

  /**
   * @param unusable whether a datasource or pipe of that name exists but
   *   failed to load (its own problem says why): reads of it are not reported again.
   */
  constructor(
    private readonly project: Project,
    private readonly unusable: (name: string) => boolean,
  ) {}

  kindOf(name: string): ResourceKind {
    if (this.project.datasources.has(name)) return "datasource";
    const pipe = this.project.pipes.get(name);
    if (pipe) return pipe.publication.type === "materialized" ? "materialized pipe" : "pipe";
    return this.unusable(name) ? "unusable" : undefined;
  }

  /** The pipe named `name`; only for names `kindOf` says are pipes. */
  pipe(name: string): PipeFile {
    return this.project.pipes.get(name)!;
  }

  rendered(pipe: PipeFile, mode: RenderMode): RenderedPipe {
    const key = `${mode}:${pipe.name}`;
    const known = this.renders.get(key);
    if (known) return known;
    const result: RenderedPipe = { nodes: [], failures: new Map() };
    for (const node of pipe.nodes) {
      const rendered = renderNodeWithDefaults(node, mode);
      if (rendered.ok) result.nodes.push({ name: node.name, sql: rendered.sql });
      else {
        result.failures.set(node.name, rendered.error);
        result.nodes.push({ name: node.name, sql: "SELECT 1" });
      }
    }
    this.renders.set(key, result);
    return result;
  }

  /** Nodes behind the pipe's result node, itself included (empty when its SQL cannot be read). */
  resultChain(pipe: PipeFile, mode: RenderMode): Set<string> {
    const chain = new Set<string>();
    const nodes = new Map(this.rendered(pipe, mode).nodes.map((n) => [n.name, n.sql]));
    const pending = [resultNodeOf(pipe)];
    while (pending.length > 0) {
      const name = pending.pop();
      if (name === undefined || chain.has(name) || !nodes.has(name)) continue;
      chain.add(name);
      const deps = nodeDependencies(nodes.get(name)!);
      if (!Array.isArray(deps)) continue;
      for (const d of deps) if (d.database === undefined && nodes.has(d.name)) pending.push(d.name);
    }
    return chain;
  }

  /** Project resources (not nodes, not `db.table`) the pipe's result reads. */
  resultReads(pipe: PipeFile, mode: RenderMode): Set<string> {
    const key = `${mode}:${pipe.name}`;
    const known = this.reads.get(key);
    if (known) return known;
    const rendered = this.rendered(pipe, mode);
    const nodeNames = new Set(rendered.nodes.map((n) => n.name));
    const chain = this.resultChain(pipe, mode);
    const reads = new Set<string>();
    for (const node of rendered.nodes) {
      if (!chain.has(node.name)) continue;
      const deps = nodeDependencies(node.sql);
      if (!Array.isArray(deps)) continue;
      for (const d of deps) if (d.database === undefined && !nodeNames.has(d.name)) reads.add(d.name);
    }
    this.reads.set(key, reads);
    return reads;
  }

  /**
   * The pipes from `from` to `to` when the result of `from` reads `to`'s,
   * directly or through other pipes (both included), as endpoints compile them.
   */
  pipePath(from: string, to: string): string[] | undefined {
    return this.path(from, to, (name) => {
      const pipe = this.project.pipes.get(name);
      if (!pipe || this.kindOf(name) !== "pipe") return [];
      return [...this.resultReads(pipe, "check")].filter((r) => this.kindOf(r) === "pipe");
    });
  }

  /** Datasources a materialized view reads: its own chain's, and those of the pipes it inlines. */
  viewSources(view: PipeFile): Set<string> {
    const known = this.sources.get(view.name);
    if (known) return known;
    const sources = new Set<string>();
    const seen = new Set<string>();
    const visit = (pipe: PipeFile) => {
      if (seen.has(pipe.name)) return;
      seen.add(pipe.name);
      for (const name of this.resultReads(pipe, "normal")) {
        const kind = this.kindOf(name);
        if (kind === "datasource") sources.add(name);
        else if (kind === "pipe") visit(this.project.pipes.get(name)!);
      }
    };
    visit(view);
    this.sources.set(view.name, sources);
    return sources;
  }

  /** Datasources rows flow through from `from` to `to` by materialized views (both included). */
  flowPath(from: string, to: string): string[] | undefined {
    return this.path(from, to, (name) => {
      const next: string[] = [];
      for (const pipe of this.project.pipes.values()) {
        const pub = pipe.publication;
        if (pub.type === "materialized" && this.viewSources(pipe).has(name)) next.push(pub.datasource);
      }
      return next;
    });
  }

  /**
   * Why a materialized view cannot inline `pipe` as deployed (rendered with
   * defaults only; no `db.table` names, `tinybird.*` included), or undefined.
   */
  viewRefusal(pipe: PipeFile): string | undefined {
    const known = this.viewVerdicts.get(pipe.name);
    if (known !== undefined) return known ?? undefined;
    // A pipe met again while its own verdict is pending reads itself: a cycle the pipe's own check reports.
    this.viewVerdicts.set(pipe.name, "it reads itself through other pipes");
    const verdict = this.judgeView(pipe);
    this.viewVerdicts.set(pipe.name, verdict ?? null);
    return verdict;
  }

  private judgeView(pipe: PipeFile): string | undefined {
    const rendered = this.rendered(pipe, "normal");
    for (const [node, error] of rendered.failures) return `node '${node}': ${error}`;
    const target = resultNodeOf(pipe);
    if (target === undefined) return `it has no node`;
    const compiled = compilePipe(rendered.nodes, target, (name, db): TableResolution => {
      if (db !== undefined) return { error: `Resource '${db}.${name}' not found` };
      const kind = this.kindOf(name);
      if (kind === "pipe") {
        const why = this.viewRefusal(this.project.pipes.get(name)!);
        return why === undefined ? { table: name } : { error: `pipe '${name}' cannot be read by a materialized view: ${why}` };
      }
      return kind === "datasource" || kind === "unusable" ? { table: name } : undefined;
    });
    return compiled.ok ? undefined : `node '${compiled.error.node ?? target}': ${compiled.error.message}`;
  }

  /** Shortest path from `from` to `to` along `next`, both ends included. */
  private path(from: string, to: string, next: (name: string) => string[]): string[] | undefined {
    const cameFrom = new Map<string, string | null>([[from, null]]);
    const queue = [from];
    while (queue.length > 0) {
      const at = queue.shift()!;
      if (at === to) {
        const path: string[] = [];
        for (let p: string | null | undefined = at; p != null; p = cameFrom.get(p)) path.unshift(p);
        return path;
      }
      for (const n of next(at)) {
        if (!cameFrom.has(n)) {
          cameFrom.set(n, at);
          queue.push(n);
        }
      }
    }
    return undefined;
  }
}
