/**
 * @module datasources/jobs
 * Jobs as Tinybird's Jobs API shows them, and the routes `/v0/jobs[/:id]`.
 */
import { Hono } from "hono";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { catalogStub } from "../auth/principal.js";
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

export const jobRoutes = new Hono<AppEnv>();

jobRoutes.get("/v0/jobs", requireAuth(), async (c) => {
  const base = new URL(c.req.url).origin;
  const jobs = await catalogStub(c.env, c.get("principal").workspaceId).listJobs(100);
  return c.json({ jobs: jobs.map((j) => jobJson(j, base)) });
});

jobRoutes.get("/v0/jobs/:id", requireAuth(), async (c) => {
  const job = await catalogStub(c.env, c.get("principal").workspaceId).getJob(c.req.param("id"));
  if (!job) throw new NotFoundError(`Job '${c.req.param("id")}' not found`);
  return c.json(jobJson(job, new URL(c.req.url).origin));
});
