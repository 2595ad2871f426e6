/**
 * @module jobs/enqueue
 * Runs onto Queue `tern-jobs`. A run's job is created first, in the catalog,
 * with its pipe's lock (so an overlapping run is refused there, atomically);
 * then its message `{workspaceId, jobId}` is sent. A message that cannot be
 * sent ends its job in `error`, which frees the pipe.
 */
import { z } from "zod";
import type { JobRecord, NewRun } from "../catalog/workspace-catalog.js";
import type { Platform } from "../platform/platform.js";
import { runLimits } from "./limits.js";

export const JobMessage = z.object({ workspaceId: z.string().min(1), jobId: z.string().min(1) });
export type JobMessage = z.infer<typeof JobMessage>;

/** Starts a run on request: 409 while the pipe's previous run is unfinished, 429 past the workspace's cap. */
export async function enqueueRun(platform: Platform, workspaceId: string, run: NewRun): Promise<JobRecord> {
  const job = await platform.catalog.workspace(workspaceId).beginRun(run, runLimits(platform));
  await sendRuns(platform, workspaceId, [job]);
  return job;
}

/** Sends the messages of jobs already created (and locked) in the catalog. */
export async function sendRuns(platform: Platform, workspaceId: string, jobs: readonly JobRecord[]): Promise<void> {
  if (jobs.length === 0) return;
  try {
    await platform.queues.jobs.sendBatch(jobs.map((job) => ({ body: { workspaceId, jobId: job.id } satisfies JobMessage })));
  } catch (e) {
    const catalog = platform.catalog.workspace(workspaceId);
    await Promise.all(jobs.map((job) => catalog.endJob(job.id, { status: "error", error: "The run could not be queued (Queue tern-jobs refused it); run it again" })));
    throw e;
  }
}
