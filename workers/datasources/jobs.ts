/**
 * @module datasources/jobs
 * Jobs as Tinybird's Jobs API shows them, and the routes `/v0/jobs[/:id]`.
 */
import { Hono } from "hono";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { Platform } from "../platform/platform.js";
import { NotFoundError } from "../../shared/errors.js";
import type { JobRecord } from "../catalog/workspace-catalog.js";

export function jobJson(job: JobRecord, baseUrl: string) {
  return {
    id: job.id,
    job_id: job.id,
    kind: job.kind,
    status: job.status,
    created_at: job.created_at,
    updated_at: job.updated_at,
    started_at: job.started_at,
    is_cancellable: job.status === "waiting",
    datasource: job.datasource ? { id: job.datasource, name: job.datasource } : null,
    statistics: job.statistics,
    ...(job.error ? { error: job.error } : {}),
    job_url: `${baseUrl}/v0/jobs/${job.id}`,
  };
}

/** The workspace's latest jobs (at most 100). */
export async function listJobs(platform: Platform, principal: Principal, origin: string) {
  const jobs = await platform.catalog.workspace(principal.workspaceId).listJobs(100);
  return jobs.map((j) => jobJson(j, origin));
}

export async function getJob(platform: Platform, principal: Principal, req: { id: string; origin: string }) {
  const job = await platform.catalog.workspace(principal.workspaceId).getJob(req.id);
  if (!job) throw new NotFoundError(`Job '${req.id}' not found`);
  return jobJson(job, req.origin);
}

/** Mounted at `/v0/jobs`. */
export const jobRoutes = new Hono<AppEnv>();

jobRoutes.get("/", requireAuth(), async (c) => {
  return c.json({ jobs: await listJobs(c.get("platform"), c.get("principal"), new URL(c.req.url).origin) });
});

jobRoutes.get("/:id", requireAuth(), async (c) => {
  return c.json(await getJob(c.get("platform"), c.get("principal"), { id: c.req.param("id"), origin: new URL(c.req.url).origin }));
});
