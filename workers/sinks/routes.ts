/**
 * @module sinks/routes
 * The Sink Pipes API, mounted at `/v0/pipes` before the endpoints:
 * `POST /v0/pipes/<pipe>/sink` (template params, and `_mode` for this run's
 * strategy, in the query string or a form or JSON body) answers the run's job.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { jobJson } from "../jobs/job-json.js";
import { requestSink } from "./service.js";

export const sinkRoutes = new Hono<AppEnv>();

/** Query string, then form or JSON body fields (a string each; repeated keys keep the last). */
async function requestParams(c: Context<AppEnv>): Promise<Record<string, string>> {
  const out: Record<string, string> = { ...c.req.query() };
  const type = c.req.header("content-type") ?? "";
  if (type.includes("application/json")) {
    const body = (await c.req.json().catch(() => ({}))) as Record<string, unknown>;
    for (const [k, v] of Object.entries(body ?? {})) if (v !== null && typeof v !== "object") out[k] = String(v);
  } else if (type.includes("form")) {
    const body = await c.req.parseBody().catch(() => ({}));
    for (const [k, v] of Object.entries(body)) if (typeof v === "string") out[k] = v;
  }
  return out;
}

sinkRoutes.post("/:pipe/sink", requireAuth(), async (c) => {
  const platform = c.get("platform");
  const live = await platform.catalog.liveDeployment(c.get("principal").workspaceId);
  const job = await requestSink(platform, c.get("principal"), { live, pipe: c.req.param("pipe"), params: await requestParams(c) });
  const json = jobJson(job, new URL(c.req.url).origin);
  // Tinybird's answer carries the job both flat and under `job`.
  return c.json({ ...json, job: json });
});
