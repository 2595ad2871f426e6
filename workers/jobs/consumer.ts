/**
 * @module jobs/consumer
 * The Queue `tern-jobs` consumer: each message names one job; its runner (by
 * the job's kind, runners.ts) runs it. The runtime around the runner:
 *
 * - `startJob` turns it `working`; a job that already ended (cancelled while
 *   waiting, or done before a redelivery) is acknowledged and not run again;
 * - every 2 s while the runner runs, a heartbeat keeps the job alive in the
 *   catalog (a run that stops reporting is abandoned: ../catalog) and reads its
 *   status: once `cancelled`, the runner's signal aborts;
 * - the job ends `done` with the runner's statistics and the elapsed seconds,
 *   or `error` with the runner's message; one that was cancelled stays so;
 *   the pipe's lock goes with it; the `jobs_log` row is written;
 * - then the hooks of its kind run (copies start the copies that run after them).
 *
 * Only a failure to reach the catalog retries the message; a failing run is a
 * job in `error`, acknowledged.
 */
import { TernError } from "../../shared/errors.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";
import type { Platform } from "../platform/platform.js";
import { JobMessage } from "./enqueue.js";
import { logJob } from "./jobs-log.js";
import { jobEndHooks, jobRunner, type JobRun } from "./runners.js";

const HEARTBEAT_MS = 2000;

export async function consumeJobs(platform: Platform, batch: MessageBatch<unknown>): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const parsed = JobMessage.safeParse(message.body);
      if (!parsed.success) {
        console.error(`tern-jobs: dropping a message that names no job: ${JSON.stringify(message.body)}`);
        message.ack();
        return;
      }
      try {
        await runJob(platform, parsed.data.workspaceId, parsed.data.jobId, message.attempts);
        message.ack();
      } catch (e) {
        console.error(`tern-jobs: job ${parsed.data.jobId}: ${e instanceof Error ? e.message : String(e)}; retrying`);
        message.retry({ delaySeconds: 10 });
      }
    }),
  );
}

function runOf(workspaceId: string, job: JobRecord, attempt: number): JobRun {
  const parse = (text: string | undefined): Record<string, string> => {
    try {
      return text ? (JSON.parse(text) as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  const trigger = job.details.trigger;
  return {
    record: job,
    workspaceId,
    queryId: job.details.query_id ?? job.id,
    pipe: job.pipe ?? "",
    params: parse(job.details.params),
    options: parse(job.details.options),
    jobTimestamp: job.details.job_timestamp ?? job.created_at,
    trigger: trigger === "schedule" || trigger === "after" ? trigger : "request",
    attempt,
  };
}

/** Runs one job to its end. Throws only when the catalog cannot be reached (the message is retried). */
export async function runJob(platform: Platform, workspaceId: string, jobId: string, attempt = 1): Promise<JobRecord | undefined> {
  const catalog = platform.catalog.workspace(workspaceId);
  const job = await catalog.startJob(jobId);
  if (!job || job.status !== "working") return job;
  const runner = jobRunner(job.kind);
  if (!runner) {
    const ended = await catalog.endJob(job.id, { status: "error", error: `No runner for jobs of kind '${job.kind}' in this Worker` });
    if (ended) logJob(platform, workspaceId, ended, { flushMs: 0 });
    return ended;
  }
  const controller = new AbortController();
  const watch = setInterval(() => {
    catalog.heartbeat(job.id).then(
      (now) => {
        if (now?.status === "cancelled") controller.abort(new Error("cancelled"));
      },
      () => undefined, // the next beat tries again; abandonment takes minutes
    );
  }, HEARTBEAT_MS);
  const started = platform.clock.now();
  let ended: JobRecord | undefined;
  try {
    const statistics = await runner(platform, runOf(workspaceId, job, attempt), controller.signal);
    const elapsed = (platform.clock.now() - started) / 1000;
    ended = await catalog.endJob(job.id, { status: "done", statistics: { ...statistics, elapsed } });
  } catch (e) {
    const elapsed = (platform.clock.now() - started) / 1000;
    const message = e instanceof TernError ? e.message : `The run failed: ${e instanceof Error ? e.message : String(e)}`;
    if (!(e instanceof TernError)) console.error(`job ${job.id} (${job.kind} ${job.pipe}): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    ended = await catalog.endJob(job.id, { status: "error", error: message, statistics: { elapsed } });
  } finally {
    clearInterval(watch);
  }
  if (!ended) return ended;
  // A cancelled job was logged by its cancel; every other end is logged here.
  if (ended.status !== "cancelled") logJob(platform, workspaceId, ended, { flushMs: 0 });
  for (const hook of jobEndHooks(ended.kind)) {
    await hook(platform, workspaceId, ended).catch((e: unknown) => console.error(`job ${ended.id}: after-run hook: ${e instanceof Error ? e.message : String(e)}`));
  }
  return ended;
}
