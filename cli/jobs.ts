/**
 * @module jobs
 * Jobs as `/v0/jobs/:id` answers them, and waiting for one to finish.
 */
import type { Api } from "./http.js";

export interface Job {
  id: string;
  kind: string;
  status: "waiting" | "working" | "done" | "error" | "cancelled" | string;
  statistics?: Record<string, number> | null;
  error?: string;
  job_url?: string;
  created_at?: string;
  updated_at?: string;
  started_at?: string | null;
  pipe_name?: string;
}

const FINAL = new Set(["done", "error", "cancelled"]);

export interface WaitOptions {
  intervalMs?: number;
  limitMs?: number;
  /** Called with each answer while the job has not ended (progress lines). */
  onPoll?: (job: Job) => void;
}

/** Polls until the job is done, failed or cancelled. */
export async function waitForJob(api: Api, id: string, { intervalMs = 500, limitMs = 30 * 60_000, onPoll }: WaitOptions = {}): Promise<Job> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const job = await api.request<Job>("GET", `/v0/jobs/${encodeURIComponent(id)}`);
    if (FINAL.has(job.status)) return job;
    onPoll?.(job);
    if (Date.now() > deadline) throw new Error(`job ${id} is still ${job.status} after ${Math.round(limitMs / 60_000)} minutes`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
