/**
 * @module pipe-runs
 * What `tern copy` and `tern sink` share: starting a run of a copy or sink
 * pipe (`POST /v0/pipes/<pipe>/copy|sink`), waiting for its job with a
 * progress line on a terminal, the final line (rows, bytes, elapsed, or the
 * job's error), and the copy and sink pipes of the live deployment with their
 * last runs (`GET /v0/pipes`, `GET /v0/jobs?kind=`).
 */
import type { CliIO } from "./command.js";
import type { Api } from "./http.js";
import { waitForJob, type Job } from "./jobs.js";
import { formatBytes } from "./upload.js";

export type RunKind = "copy" | "sink";

/** A pipe as `GET /v0/pipes` lists it, with the copy and sink fields these commands read. */
export interface PipeInfo {
  name: string;
  type: string;
  copy_target_datasource?: string | null;
  copy_mode?: string;
  copy_schedule?: string;
  copy_after?: string[];
  schedule?: { timezone: string; cron: string | null; status: string };
  sink_node?: string;
  nodes: Array<{ name: string } & Partial<Record<`export_${string}`, string>>>;
}

export interface StartedRun {
  id: string;
  job_url: string;
  status: string;
}

/** Starts a run now; `params` are the template params (and `_mode`), sent in the query string as `tb` sends them. */
export async function startRun(api: Api, kind: RunKind, pipe: string, params: Array<[string, string]>): Promise<StartedRun & Record<string, unknown>> {
  return api.request<StartedRun & Record<string, unknown>>("POST", `/v0/pipes/${encodeURIComponent(pipe)}/${kind}`, { params });
}

/** The job's run time in seconds: the runner's own `elapsed`, else from its timestamps. */
export function elapsedSeconds(job: Job): number | undefined {
  const elapsed = job.statistics?.elapsed;
  if (typeof elapsed === "number") return elapsed;
  if (!job.started_at || !job.updated_at) return undefined;
  return Math.max(0, (Date.parse(job.updated_at) - Date.parse(job.started_at)) / 1000);
}

function seconds(s: number): string {
  return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString("en-US")} ${word}${n === 1 ? "" : "s"}`;
}

/** The line for a job that ended `done`: what moved, how much, how long. */
export function doneLine(kind: RunKind, pipe: string, job: Job, target?: string): string {
  const stats = job.statistics ?? {};
  const rows = typeof stats.rows === "number" ? stats.rows : 0;
  const bytes = typeof stats.bytes === "number" ? stats.bytes : 0;
  const elapsed = elapsedSeconds(job);
  const what = kind === "copy" ? `Copied ${plural(rows, "row")} (${formatBytes(bytes)}) into '${target ?? pipe}'` : `Exported ${plural(rows, "row")} (${formatBytes(bytes)}) from '${pipe}'`;
  const files = typeof stats.files === "number" ? `, ${plural(stats.files, "file")}` : "";
  return `${what}${elapsed === undefined ? "" : ` in ${seconds(elapsed)}`}${files} (job ${job.id})`;
}

/** The line for a job that did not end `done`. */
export function failedLine(job: Job): string {
  if (job.status === "cancelled") return `job ${job.id} was cancelled${job.error ? `: ${job.error}` : ""}`;
  return `job ${job.id} failed: ${job.error ?? `status ${job.status}`}`;
}

/**
 * A line on stderr, redrawn in place while the job waits and works; only when
 * stderr is a terminal, so piped output stays exact. The clock here is for
 * the eye only: the final line takes its figures from the job.
 */
export function jobProgress(io: CliIO, label: string): { show(job: Pick<Job, "status">): void; done(): void } {
  const write = io.errIsTTY ? io.errWrite : undefined;
  const started = Date.now();
  let drawn = false;
  return {
    show(job) {
      if (!write) return;
      const secs = Math.floor((Date.now() - started) / 1000);
      // \x1b[K clears what a longer previous line left on the right.
      write(`\r→ ${label}: ${job.status}, ${secs} s\x1b[K`);
      drawn = true;
    },
    done() {
      if (write && drawn) write("\r\x1b[K");
    },
  };
}

/** Waits for a started run's job, showing progress; answers the ended job. */
export async function waitForRun(io: CliIO, api: Api, run: StartedRun, label: string, intervalMs = 500): Promise<Job> {
  const bar = jobProgress(io, label);
  bar.show(run);
  try {
    return await waitForJob(api, run.id, { intervalMs, onPoll: (job) => bar.show(job) });
  } finally {
    bar.done();
  }
}

/** The live deployment's pipes of one kind, each with its newest job (or null), newest jobs as `/v0/jobs` lists them. */
export async function pipesWithLastRun(api: Api, kind: RunKind): Promise<Array<PipeInfo & { last_job: Job | null }>> {
  const [{ pipes }, { jobs }] = await Promise.all([
    api.request<{ pipes: PipeInfo[] }>("GET", "/v0/pipes"),
    api.request<{ jobs: Job[] }>("GET", "/v0/jobs", { query: { kind } }),
  ]);
  const last = new Map<string, Job>();
  // /v0/jobs answers newest first: the first job seen for a pipe is its last run.
  for (const job of jobs) if (job.pipe_name && !last.has(job.pipe_name)) last.set(job.pipe_name, job);
  return pipes
    .filter((p) => p.type === kind)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => ({ ...p, last_job: last.get(p.name) ?? null }));
}

/** `done 2026-03-10 10:00:01, 42 rows` / `error 2026-…` / `-`: a last run in a table cell. */
export function lastRunCell(job: Job | null): string {
  if (!job) return "-";
  const at = (job.created_at ?? "").replace("T", " ").replace(/\.\d+Z$|Z$/, "");
  const rows = job.status === "done" && typeof job.statistics?.rows === "number" ? `, ${plural(job.statistics.rows, "row")}` : "";
  return `${job.status} ${at}${rows}`;
}
