/**
 * @module deploy/plan/feeding
 * Which materialized pipes write into each datasource. A datasource fed by
 * views is filled by them, never copied from its live table.
 */
import type { PipeFile } from "../../datafiles/index.js";
import type { Project } from "../project.js";

/** Materialized pipes (in project order) by the datasource they write to. */
export type FeedingPipes = ReadonlyMap<string, readonly PipeFile[]>;

export function feedingPipes(project: Project): FeedingPipes {
  const feeding = new Map<string, PipeFile[]>();
  for (const pipe of project.pipes.values()) {
    if (pipe.publication.type !== "materialized") continue;
    const list = feeding.get(pipe.publication.datasource) ?? [];
    list.push(pipe);
    feeding.set(pipe.publication.datasource, list);
  }
  return feeding;
}
