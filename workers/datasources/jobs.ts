/**
 * @module datasources/jobs
 * The Jobs API, mounted at `/v0/jobs`: the workspace's latest jobs (filters
 * `kind`, `status`, `pipe_name`, `created_after`, `created_before`), one job,
 * and `POST /v0/jobs/<id>/cancel` (../jobs/cancel.ts: the job turns
 * `cancelled`, its ClickHouse query is killed).
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { Platform } from "../platform/platform.js";
import { invalidRequest, NotFoundError } from "../../shared/errors.js";
import { cancelJob } from "../jobs/cancel.js";
import { jobJson } from "../jobs/job-json.js";

export { jobJson };

const ListQuery = z.object({
  kind: z.string().min(1).optional(),
  // `cancelling` is one of Tinybird's statuses (`tb job ls -s cancelling` asks for it); a
  // Tern job never is: a cancel ends it `cancelled` at once, so that filter finds none.
  status: z.enum(["waiting", "working", "done", "error", "cancelling", "cancelled"], { error: "status must be waiting, working, done, error, cancelling or cancelled" }).optional(),
  pipe_name: z.string().min(1).optional(),
  pipe_id: z.string().min(1).optional(),
  created_after: z.iso.datetime({ offset: true, local: true, error: "created_after must be an ISO date-time" }).optional(),
  created_before: z.iso.datetime({ offset: true, local: true, error: "created_before must be an ISO date-time" }).optional(),
});

function iso(value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`).toISOString();
}

/** The workspace's latest jobs (at most 100), newest first. */
export async function listJobs(platform: Platform, principal: Principal, origin: string, query: Record<string, string> = {}) {
  const parsed = ListQuery.safeParse(query);
  if (!parsed.success) throw invalidRequest(parsed.error);
  const q = parsed.data;
  if (q.status === "cancelling") return [];
  const pipe = q.pipe_name ?? q.pipe_id;
  const jobs = await platform.catalog.workspace(principal.workspaceId).listJobs({
    limit: 100,
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(pipe ? { pipe } : {}),
    ...(q.created_after ? { createdAfter: iso(q.created_after) } : {}),
    ...(q.created_before ? { createdBefore: iso(q.created_before) } : {}),
  });
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
  return c.json({ jobs: await listJobs(c.get("platform"), c.get("principal"), new URL(c.req.url).origin, c.req.query()) });
});

jobRoutes.get("/:id", requireAuth(), async (c) => {
  return c.json(await getJob(c.get("platform"), c.get("principal"), { id: c.req.param("id"), origin: new URL(c.req.url).origin }));
});

// Cancelling stops work someone else may have started: ADMIN, as running copies and sinks needs.
jobRoutes.post("/:id/cancel", requireAuth({ kind: "admin" }), async (c) => {
  const job = await cancelJob(c.get("platform"), c.get("principal"), c.req.param("id"));
  return c.json(jobJson(job, new URL(c.req.url).origin));
});
