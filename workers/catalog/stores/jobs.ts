/**
 * @module catalog/stores/jobs
 * The `jobs` table: imports, deletes, copies, sinks and other long operations
 * as Tinybird's Jobs API shows them. Only the most recent 1,000 are kept.
 *
 * A job moves `waiting` → `working` → `done` | `error`, or to `cancelled` from
 * either of the first two. Once it has ended its status and error never
 * change: a run that fails after its job was cancelled stays `cancelled`.
 */
import { hasColumn, now, textOrNull, type Row, type Store } from "./sql.js";

export type JobStatus = "waiting" | "working" | "done" | "error" | "cancelled";

export const ENDED: ReadonlySet<JobStatus> = new Set(["done", "error", "cancelled"]);

export interface JobRecord {
  id: string;
  kind: string;
  status: JobStatus;
  datasource: string | null;
  /** The pipe a copy or sink job runs. */
  pipe: string | null;
  statistics: Record<string, number | string>;
  /** What the run needs besides its kind and pipe (trigger, params, job timestamp, mode…). */
  details: Record<string, string>;
  error: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
}

export interface NewJob {
  id: string;
  kind: string;
  datasource?: string;
  pipe?: string;
  status?: JobStatus;
  details?: Record<string, string>;
}

export interface JobPatch {
  status?: JobStatus;
  /** Merged into the job's statistics. */
  statistics?: Record<string, number | string>;
  error?: string | null;
}

export interface JobFilter {
  kind?: string;
  status?: JobStatus;
  pipe?: string;
  /** ISO timestamps bounding `created_at`. */
  createdAfter?: string;
  createdBefore?: string;
  limit?: number;
}

/** Tinybird lists the recent jobs only; older ones go. */
const KEPT_JOBS = 1000;

function jobFromRow(row: Row): JobRecord {
  return {
    id: String(row.id),
    kind: String(row.kind),
    status: String(row.status) as JobStatus,
    datasource: textOrNull(row.datasource),
    pipe: textOrNull(row.pipe),
    statistics: JSON.parse(String(row.statistics)) as Record<string, number | string>,
    details: JSON.parse(String(row.details ?? "{}")) as Record<string, string>,
    error: textOrNull(row.error),
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
    started_at: textOrNull(row.started_at),
  };
}

export class JobStore implements Store {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS jobs (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      status TEXT NOT NULL,
      datasource TEXT,
      statistics TEXT NOT NULL DEFAULT '{}',
      error TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      started_at TEXT
    )`);
    // Catalogs older than copy and sink jobs lack these two.
    if (!hasColumn(this.sql, "jobs", "pipe")) this.sql.exec("ALTER TABLE jobs ADD COLUMN pipe TEXT");
    if (!hasColumn(this.sql, "jobs", "details")) this.sql.exec("ALTER TABLE jobs ADD COLUMN details TEXT NOT NULL DEFAULT '{}'");
  }

  create(input: NewJob): JobRecord {
    const at = now();
    this.sql.exec(
      "INSERT INTO jobs (id, kind, status, datasource, pipe, details, created_at, updated_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      input.id,
      input.kind,
      input.status ?? "waiting",
      input.datasource ?? null,
      input.pipe ?? null,
      JSON.stringify(input.details ?? {}),
      at,
      at,
      input.status === "working" ? at : null,
    );
    // Jobs still waiting or working are never the ones dropped: their runs need them.
    this.sql.exec(
      "DELETE FROM jobs WHERE status IN ('done', 'error', 'cancelled') AND id NOT IN (SELECT id FROM jobs ORDER BY created_at DESC LIMIT ?)",
      KEPT_JOBS,
    );
    return this.get(input.id)!;
  }

  /**
   * Applies `patch`; a job that turns `working` gets its start time once. An
   * ended job keeps its status and error (a run that fails after its job was
   * cancelled stays `cancelled`); only its statistics may still be added to.
   */
  update(id: string, patch: JobPatch): JobRecord | undefined {
    const job = this.get(id);
    if (!job) return undefined;
    if (ENDED.has(job.status)) patch = { statistics: patch.statistics ?? {} };
    const status = patch.status ?? job.status;
    this.sql.exec(
      "UPDATE jobs SET status = ?, statistics = ?, error = ?, updated_at = ?, started_at = COALESCE(started_at, CASE WHEN ? = 'working' THEN ? END) WHERE id = ?",
      status,
      JSON.stringify({ ...job.statistics, ...patch.statistics }),
      patch.error === undefined ? job.error : patch.error,
      now(),
      status,
      now(),
      id,
    );
    return this.get(id);
  }

  get(id: string): JobRecord | undefined {
    const row = this.sql.exec("SELECT * FROM jobs WHERE id = ?", id).toArray()[0];
    return row ? jobFromRow(row) : undefined;
  }

  /** The most recent jobs first, optionally filtered as `/v0/jobs` allows. */
  list(filter: JobFilter | number = {}): JobRecord[] {
    const f: JobFilter = typeof filter === "number" ? { limit: filter } : filter;
    const conditions: Array<[string, SqlStorageValue | undefined]> = [
      ["kind = ?", f.kind],
      ["status = ?", f.status],
      ["pipe = ?", f.pipe],
      ["created_at > ?", f.createdAfter],
      ["created_at < ?", f.createdBefore],
    ];
    const used = conditions.filter(([, v]) => v !== undefined && v !== "");
    const where = used.map(([c]) => c);
    const args = used.map(([, v]) => v!);
    const sql = `SELECT * FROM jobs${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC LIMIT ?`;
    return this.sql.exec(sql, ...args, f.limit ?? 100).toArray().map(jobFromRow);
  }

  /** Jobs of these kinds not yet ended (a workspace's cap on concurrent runs counts them). */
  unfinished(kinds: readonly string[]): JobRecord[] {
    if (kinds.length === 0) return [];
    return this.sql
      .exec(`SELECT * FROM jobs WHERE status IN ('waiting', 'working') AND kind IN (${kinds.map(() => "?").join(", ")})`, ...kinds)
      .toArray()
      .map(jobFromRow);
  }
}
