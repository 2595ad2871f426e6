/**
 * @module deploy/copy-dag
 * Tern's extension to copy pipes: `COPY_AFTER a, b` makes a copy run after
 * the copies it names (a small DAG). A copy with COPY_AFTER has no cron of its
 * own: it runs once every copy it names has finished a run (`done`) since its
 * own last run. The names must be copy pipes of the project, and the graph
 * must have no cycle; both are refused with file and line by the project
 * validator (`checkCopyOrder`), so at `tern check` and at deploy.
 */
import type { PipeFile } from "../datafiles/index.js";
import type { SourcePosition } from "../datafiles/index.js";
import type { Problems } from "./problems.js";

/** The copies a pipe runs after (empty for anything that is not a COPY_AFTER copy). */
export function copyAfter(pipe: Pick<PipeFile, "publication">): string[] {
  return pipe.publication.type === "copy" ? (pipe.publication.after ?? []) : [];
}

/**
 * Every cycle of the graph `edges` (pipe → the pipes it runs after), each as
 * the path that closes it (`[a, b, a]`), found once, starting from its first
 * pipe in `edges` order.
 */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "closed">();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      const s = state.get(next);
      if (s === "open") cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (s === undefined) visit(next);
    }
    path.pop();
    state.set(node, "closed");
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/** The copies that name `upstream` in their COPY_AFTER, with everything each waits for. */
export function downstreamsOf(pipes: Iterable<Pick<PipeFile, "name" | "publication">>, upstream: string): Array<{ pipe: string; after: string[] }> {
  const out: Array<{ pipe: string; after: string[] }> = [];
  for (const p of pipes) {
    const after = copyAfter(p);
    if (after.includes(upstream)) out.push({ pipe: p.name, after });
  }
  return out;
}

/** Whether every upstream has finished since `lastRunAt` (ISO; undefined: never ran). */
export function upstreamsReady(after: readonly string[], doneAt: ReadonlyMap<string, string>, lastRunAt?: string): boolean {
  return after.every((u) => {
    const at = doneAt.get(u);
    return at !== undefined && (lastRunAt === undefined || at > lastRunAt);
  });
}

/**
 * Validator step: COPY_AFTER names copy pipes of the project, and no copy
 * runs after itself through any chain. Problems point at the COPY_AFTER line.
 */
export function checkCopyOrder(
  pipes: ReadonlyArray<{ file: PipeFile; text: string }>,
  isUnusablePipe: (name: string) => boolean,
  problems: Problems,
): void {
  const byName = new Map(pipes.map((p) => [p.file.name, p] as const));
  const at = (p: { file: PipeFile; text: string }): SourcePosition => {
    const index = p.text.split("\n").findIndex((l) => /^\s*COPY_AFTER\b/.test(l));
    return { file: p.file.path, line: index < 0 ? 1 : index + 1, column: 1 };
  };
  const edges = new Map<string, string[]>();
  for (const p of pipes) {
    const after = copyAfter(p.file);
    if (after.length === 0) continue;
    edges.set(p.file.name, after);
    for (const name of after) {
      const target = byName.get(name);
      if (name === p.file.name) continue; // a cycle of one, reported below
      if (!target) {
        if (!isUnusablePipe(name)) problems.add(p.file.path, at(p), `COPY_AFTER names '${name}', which is not a pipe of the project`);
      } else if (target.file.publication.type !== "copy") {
        problems.add(p.file.path, at(p), `COPY_AFTER names '${name}', which is not a copy pipe (TYPE COPY)`);
      }
    }
  }
  for (const cycle of findCycles(edges)) {
    const first = byName.get(cycle[0]!)!;
    problems.add(first.file.path, at(first), `COPY_AFTER makes a cycle: ${cycle.join(" → ")}; a copy cannot run after itself`);
  }
}
