/**
 * @module catalog/stores/schedules
 * What the scheduler and the jobs runtime keep per pipe of a workspace:
 *
 * - `pipe_locks`: the job holding a pipe (one run of a pipe at a time; held
 *   from the moment its job is created until it ends);
 * - `pipe_schedules`: a scheduled pipe's last cron fire time that was run (or
 *   skipped), and whether it is paused (`/copy/pause`);
 * - `pipe_upstreams`: when each copy a `COPY_AFTER` copy waits for last
 *   finished, so it runs once all of them have.
 */
import { now, textOrNull, type Row, type Store } from "./sql.js";

export interface PipeLock {
  pipe: string;
  job_id: string;
  acquired_at: string;
}

export interface ScheduleState {
  pipe: string;
  /** The last cron fire time run or skipped (ISO); null before the first. */
  last_fire_at: string | null;
  paused: boolean;
}

export class ScheduleStore implements Store {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS pipe_locks (
      pipe TEXT PRIMARY KEY,
      job_id TEXT NOT NULL,
      acquired_at TEXT NOT NULL
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS pipe_schedules (
      pipe TEXT PRIMARY KEY,
      last_fire_at TEXT,
      paused INTEGER NOT NULL DEFAULT 0
    )`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS pipe_upstreams (
      pipe TEXT NOT NULL,
      upstream TEXT NOT NULL,
      done_at TEXT NOT NULL,
      PRIMARY KEY (pipe, upstream)
    )`);
  }

  lock(pipe: string): PipeLock | undefined {
    const row = this.sql.exec("SELECT * FROM pipe_locks WHERE pipe = ?", pipe).toArray()[0];
    return row ? { pipe: String(row.pipe), job_id: String(row.job_id), acquired_at: String(row.acquired_at) } : undefined;
  }

  /** Takes the pipe's lock for `jobId`; the caller checked it was free. */
  takeLock(pipe: string, jobId: string): void {
    this.sql.exec("INSERT OR REPLACE INTO pipe_locks (pipe, job_id, acquired_at) VALUES (?, ?, ?)", pipe, jobId, now());
  }

  /** Frees the pipe a job holds (no-op when it holds none). */
  releaseLockOf(jobId: string): void {
    this.sql.exec("DELETE FROM pipe_locks WHERE job_id = ?", jobId);
  }

  state(pipe: string): ScheduleState | undefined {
    const row = this.sql.exec("SELECT * FROM pipe_schedules WHERE pipe = ?", pipe).toArray()[0];
    return row ? scheduleFromRow(row) : undefined;
  }

  states(): ScheduleState[] {
    return this.sql.exec("SELECT * FROM pipe_schedules ORDER BY pipe").toArray().map(scheduleFromRow);
  }

  setLastFire(pipe: string, at: string): void {
    this.sql.exec(
      "INSERT INTO pipe_schedules (pipe, last_fire_at) VALUES (?, ?) ON CONFLICT (pipe) DO UPDATE SET last_fire_at = excluded.last_fire_at",
      pipe,
      at,
    );
  }

  setPaused(pipe: string, paused: boolean): ScheduleState {
    this.sql.exec(
      "INSERT INTO pipe_schedules (pipe, paused) VALUES (?, ?) ON CONFLICT (pipe) DO UPDATE SET paused = excluded.paused",
      pipe,
      paused ? 1 : 0,
    );
    return this.state(pipe)!;
  }

  /** Records that `upstream` finished a run, for every copy that waits on it. */
  upstreamDone(pipes: readonly string[], upstream: string, at: string): void {
    for (const pipe of pipes) {
      this.sql.exec(
        "INSERT INTO pipe_upstreams (pipe, upstream, done_at) VALUES (?, ?, ?) ON CONFLICT (pipe, upstream) DO UPDATE SET done_at = excluded.done_at",
        pipe,
        upstream,
        at,
      );
    }
  }

  /** When each upstream of `pipe` last finished. */
  upstreams(pipe: string): Map<string, string> {
    return new Map(this.sql.exec("SELECT upstream, done_at FROM pipe_upstreams WHERE pipe = ?", pipe).toArray().map((r) => [String(r.upstream), String(r.done_at)]));
  }

  /** Forgets the upstream runs `pipe` has now consumed. */
  consumeUpstreams(pipe: string): void {
    this.sql.exec("DELETE FROM pipe_upstreams WHERE pipe = ?", pipe);
  }
}

function scheduleFromRow(row: Row): ScheduleState {
  return { pipe: String(row.pipe), last_fire_at: textOrNull(row.last_fire_at), paused: Number(row.paused) === 1 };
}
