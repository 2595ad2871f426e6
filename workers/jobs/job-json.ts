/**
 * @module jobs/job-json
 * A job as Tinybird's Jobs API shows it (`/v0/jobs`, the answers of imports,
 * deletes and copy runs): the shape Tinybird's CLI polls (`id`, `job_id`,
 * `kind`, `status`, `statistics`, `error`, `job_url`), plus the pipe of a
 * copy or sink run and an import's counts in `blocks`.
 */
import type { JobRecord } from "../catalog/workspace-catalog.js";
import { RUN_KINDS } from "./limits.js";

export function jobJson(job: JobRecord, baseUrl: string) {
  const running = job.status === "waiting" || job.status === "working";
  return {
    id: job.id,
    job_id: job.id,
    kind: job.kind,
    status: job.status,
    created_at: job.created_at,
    updated_at: job.updated_at,
    started_at: job.started_at,
    // Runs (copies, sinks, S3/GCS imports) can be stopped while they run (KILL QUERY, then the runner
    // stops between statements); file imports and deletes only before they start.
    is_cancellable: job.pipe || RUN_KINDS.includes(job.kind) ? running : job.status === "waiting",
    datasource: job.datasource ? { id: job.datasource, name: job.datasource } : null,
    ...(job.pipe ? { pipe_id: job.pipe, pipe_name: job.pipe, pipe: { id: job.pipe, name: job.pipe } } : {}),
    statistics: job.statistics,
    // An import's counts as Tinybird's CLI adds them up (`tb datasource append`: "✓ N rows appended!").
    ...(job.kind === "import" && job.statistics ? { blocks: [importBlock(job.statistics)] } : {}),
    ...(job.error ? { error: job.error } : {}),
    job_url: `${baseUrl}/v0/jobs/${job.id}`,
  };
}

function importBlock(stats: NonNullable<JobRecord["statistics"]>) {
  const n = (v: unknown) => (typeof v === "number" ? v : 0);
  return { process_return: [{ lines: n(stats.rows), quarantine: n(stats.quarantine_rows), bytes: n(stats.bytes) }] };
}
