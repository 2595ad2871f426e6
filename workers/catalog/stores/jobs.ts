/**
 * @module catalog/stores/jobs
 * The `jobs` table: imports, deletes and other long operations as Tinybird's
 * Jobs API shows them. Only the most recent 1,000 are kept.
 */
import { now, textOrNull, type Row, type Store } from "./sql.js";

export type JobStatus = "waiting" | "working" | "done" | "error" | "cancelled";

export interface JobRecord {
  id: string;
  kind: string;
  status: JobStatus;
  datasource: string | null;
  statistics: Record<string, number | string>;
  error: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
}

export interface JobPatch {
  status?: JobStatus;
  /** Merged into the job's statistics. */
  statistics?: Record<string, number | string>;
  error?: string | null;
}

/** Tinybird lists the recent jobs only; older ones go. */
const KEPT_JOBS = 1000;

function jobFromRow(row: Row): JobRecord {
  return {
    id: String(row.id),
    kind: String(row.kind),
    status: String(row.status) as JobStatus,
    datasource: textOrNull(row.datasource),
    statistics: JSON.parse(String(row.statistics)) as Record<string, number | string>,
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
  }

  create(input: { id: string; kind: string; datasource?: string; status?: JobStatus }): JobRecord {
    const at = now();
    this.sql.exec(
      "INSERT INTO jobs (id, kind, status, datasource, created_at, updated_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      input.id,
      input.kind,
      input.status ?? "waiting",
      input.datasource ?? null,
      at,
      at,
      input.status === "working" ? at : null,
    );
    this.sql.exec("DELETE FROM jobs WHERE id NOT IN (SELECT id FROM jobs ORDER BY created_at DESC LIMIT ?)", KEPT_JOBS);
    return this.get(input.id)!;
  }

  /** Applies `patch`; a job that turns `working` gets its start time once. */
  update(id: string, patch: JobPatch): JobRecord | undefined {
    const job = this.get(id);
    if (!job) return undefined;
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

  /** The most recent jobs first. */
  list(limit = 100): JobRecord[] {
    return this.sql.exec("SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?", limit).toArray().map(jobFromRow);
  }
}
