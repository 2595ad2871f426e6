/**
 * @module imports/routes
 * `POST /v0/datasources/<ds>/scheduling/runs`: run an S3/GCS import now
 * (`tb datasource sync <ds>`); answers the run's job, as the Jobs API shows it.
 * Mounted at `/v0/datasources` before the Data Sources API.
 */
import { Hono } from "hono";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { jobJson } from "../jobs/job-json.js";
import { requestImport } from "./service.js";

export const importRoutes = new Hono<AppEnv>();

importRoutes.post("/:datasource/scheduling/runs", requireAuth(), async (c) => {
  const job = await requestImport(c.get("platform"), c.get("principal"), c.req.param("datasource"));
  const json = jobJson(job, new URL(c.req.url).origin);
  return c.json({ ...json, job: json });
});
