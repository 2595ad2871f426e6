/**
 * @module copies/after
 * Tern's COPY_AFTER (shared/deploy/copy-dag.ts), once a copy job has ended:
 * a `done` run counts for every copy that runs after it, and each such copy
 * whose upstreams have all finished since its own last run is started; a copy
 * that was ready while its own previous run was still going starts now. The
 * catalog decides atomically (locks, cap); the runs go to Queue `tern-jobs`.
 */
import { copyAfter, downstreamsOf } from "../../shared/deploy/copy-dag.js";
import type { PipeFile } from "../../shared/datafiles/index.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";
import { sendRuns } from "../jobs/enqueue.js";
import { runLimits } from "../jobs/limits.js";
import type { Platform } from "../platform/platform.js";

function targetOf(pipes: PipeFile[], name: string): string | undefined {
  const p = pipes.find((f) => f.name === name)?.publication;
  return p?.type === "copy" ? p.targetDatasource : undefined;
}

export async function startCopiesAfter(platform: Platform, workspaceId: string, job: JobRecord): Promise<void> {
  if (!job.pipe) return;
  const live = await platform.catalog.liveDeployment(workspaceId);
  if (!live) return;
  const pipes = Object.values(live.manifest.pipes).map((p) => p.file);
  const catalog = platform.catalog.workspace(workspaceId);
  const limits = runLimits(platform);
  const withTarget = (d: { pipe: string; after: string[] }) => {
    const datasource = targetOf(pipes, d.pipe);
    return datasource ? { ...d, datasource } : d;
  };
  const runs: JobRecord[] = [];
  if (job.status === "done") {
    const downstreams = downstreamsOf(pipes, job.pipe).map(withTarget);
    if (downstreams.length > 0) runs.push(...(await catalog.upstreamFinished(job.pipe, downstreams, job.updated_at, limits)));
  }
  const self = pipes.find((p) => p.name === job.pipe);
  const after = self ? copyAfter(self) : [];
  if (after.length > 0) runs.push(...(await catalog.startReadyDownstreams([withTarget({ pipe: job.pipe, after })], job.updated_at, limits)));
  await sendRuns(platform, workspaceId, runs);
}
