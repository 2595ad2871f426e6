/**
 * @module deploy/schedule
 * Which scheduled runs a cron tick starts, decided from what the catalog
 * keeps per pipe (pure: the Workspace catalog applies the decisions in one
 * transaction, the unit tests read them as a table).
 *
 * - A pipe's window is `(last fire time run or skipped, tick]`. Only the
 *   latest fire time in it counts: runs missed while the Worker was down are
 *   caught up once, not once per missed minute.
 * - A pipe seen for the first time starts its window one minute before the
 *   tick, so a run due at the tick runs and nothing before it is invented.
 * - A paused pipe does not run, and its missed runs are not caught up on resume.
 * - A pipe whose previous run has not ended (`locked`) skips this fire time:
 *   runs of a pipe never overlap, and a skipped run is not queued behind it.
 * - Past the workspace's cap on concurrent runs, a due run waits for the next
 *   tick (its window stays open), so it runs once a slot frees, still once.
 * - A `once` schedule (an import's `@once`) is due at the first tick that sees
 *   it and never after it ran or was skipped.
 */
import { latestFireIn } from "../cron/cron.js";

export interface ScheduledPipe {
  /** The schedule's key: a pipe's name, or `import:<datasource>` for an S3/GCS import. */
  pipe: string;
  /** The job kind that runs it (`copy`, `sink`, `s3_sync`, `gcs_sync`). */
  kind: string;
  cron: string;
  /** Runs at the first tick that sees it and never again (`IMPORT_SCHEDULE @once`); `cron` is not read. */
  once?: boolean;
  /** The key names a datasource's import: its job names the datasource, not a pipe. */
  import?: string;
}

export interface PipeScheduleState {
  /** ISO time of the last fire time run or skipped; undefined before the first tick that saw the pipe. */
  lastFireAt?: string | undefined;
  paused: boolean;
  /** A run of the pipe is waiting or working. */
  locked: boolean;
}

export type ScheduleDecision =
  | { pipe: string; kind: string; action: "run"; fireAt: string }
  | { pipe: string; kind: string; action: "skip"; fireAt: string; reason: "overlap" | "paused" }
  | { pipe: string; kind: string; action: "wait"; fireAt: string; reason: "cap" }
  | { pipe: string; kind: string; action: "none" };

const FIRST_WINDOW_MS = 60_000;

/**
 * Where the window of a pipe seen for the first time at `now` starts. The
 * catalog keeps it for a first-sight pipe that did not run or skip at that
 * tick, so the window stays open from there: a fire time after it that the
 * next ticks miss (a Worker down, a run waiting for a slot) is still caught up once.
 */
export function firstSightWindowStart(now: Date): Date {
  return new Date(now.getTime() - FIRST_WINDOW_MS);
}

/**
 * The decision for each pipe at tick `now`, in the order given. `freeSlots`
 * is how many more runs the workspace may have waiting or working.
 */
export function decideScheduledRuns(
  pipes: readonly ScheduledPipe[],
  states: ReadonlyMap<string, PipeScheduleState>,
  now: Date,
  freeSlots: number,
): ScheduleDecision[] {
  let slots = freeSlots;
  return pipes.map((p): ScheduleDecision => {
    const state = states.get(p.pipe) ?? { paused: false, locked: false };
    const after = state.lastFireAt ? new Date(state.lastFireAt) : firstSightWindowStart(now);
    // @once: due at the first tick that sees it; once run (or skipped over a run on request), done.
    const fire = p.once ? (state.lastFireAt ? undefined : now) : latestFireIn(p.cron, after, now);
    if (!fire) return { pipe: p.pipe, kind: p.kind, action: "none" };
    const fireAt = fire.toISOString();
    if (state.paused) return { pipe: p.pipe, kind: p.kind, action: "skip", fireAt, reason: "paused" };
    if (state.locked) return { pipe: p.pipe, kind: p.kind, action: "skip", fireAt, reason: "overlap" };
    if (slots <= 0) return { pipe: p.pipe, kind: p.kind, action: "wait", fireAt, reason: "cap" };
    slots--;
    return { pipe: p.pipe, kind: p.kind, action: "run", fireAt };
  });
}
