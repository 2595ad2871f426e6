/**
 * @module jobs/runners
 * The kinds of job Queue `tern-jobs` runs, and who runs each: a small registry
 * filled once per isolate by the rooms that own a kind (`copy`: workers/copies,
 * `sink`: workers/sinks). The consumer (`consumer.ts`) looks the runner up by
 * the job's kind, gives it the job and a signal, and records what it returns.
 *
 * A runner:
 * - gets `(platform, job, signal)`; `job.queryId` is the ClickHouse `query_id`
 *   of its long query, so `POST /v0/jobs/<id>/cancel` can `KILL QUERY` it;
 *   `signal` aborts when the job is cancelled (checked between steps and while
 *   it runs) or the run must stop;
 * - returns its statistics (`rows`, `bytes`, and any of its own);
 * - throws a TernError with a message the user can act on when the run fails;
 *   the job becomes `error` with that message (or `cancelled`, if it was);
 * - is safe to run again with the same job: a queue redelivery after a crash
 *   calls it twice for one job, and must not write twice.
 */
import type { Platform } from "../platform/platform.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";

/** What a run reports: rows and bytes written, plus anything the kind adds (files, parts, phase…). */
export interface JobStatistics {
  rows: number;
  bytes: number;
  [key: string]: number | string;
}

/** A job as its runner receives it. */
export interface JobRun {
  /** The job's record in the catalog (`kind`, `pipe`, `datasource`, `details`…). */
  record: JobRecord;
  workspaceId: string;
  /** The ClickHouse `query_id` of the run's long query (what cancel kills). */
  queryId: string;
  /** The pipe whose run this is. */
  pipe: string;
  /** Template params: the request's for on-demand runs, none (defaults) for scheduled ones. */
  params: Record<string, string>;
  /** `job_timestamp`: the cron fire time of a scheduled run, the request time of an on-demand one (ISO). */
  jobTimestamp: string;
  /** How the run was started. */
  trigger: "schedule" | "request" | "after";
  /** Kind-specific options from the request (a copy's `_mode`). */
  options: Record<string, string>;
  /** How many times the queue has delivered this job (1 the first time). */
  attempt: number;
}

export type JobRunner = (platform: Platform, job: JobRun, signal: AbortSignal) => Promise<JobStatistics>;

const runners = new Map<string, JobRunner>();

/** Registers the runner of a kind (once per isolate; registering a kind again replaces its runner). */
export function registerJobRunner(kind: string, runner: JobRunner): void {
  runners.set(kind, runner);
}

export function jobRunner(kind: string): JobRunner | undefined {
  return runners.get(kind);
}

/** The kinds with a runner (the scheduler enqueues runs only for these). */
export function runnableKinds(): string[] {
  return [...runners.keys()];
}

/** Work a kind does once one of its jobs has ended and freed its pipe (copies: start the copies that run after it). */
export type JobEndHook = (platform: Platform, workspaceId: string, job: JobRecord) => Promise<void>;

const endHooks = new Map<string, JobEndHook[]>();

export function registerJobEndHook(kind: string, hook: JobEndHook): void {
  endHooks.set(kind, [...(endHooks.get(kind) ?? []), hook]);
}

export function jobEndHooks(kind: string): JobEndHook[] {
  return endHooks.get(kind) ?? [];
}
