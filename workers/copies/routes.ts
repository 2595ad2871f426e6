/**
 * @module copies/routes
 * The Copy Pipes API, mounted at `/v0/pipes` before the endpoints:
 * `POST /v0/pipes/<pipe>/copy` (template params and `_mode` in the query
 * string or a form body) answers the run's job; `/copy/pause` and
 * `/copy/resume` stop and restart its schedule.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { jobJson } from "../jobs/job-json.js";
import { requestCopy, setCopyPaused } from "./service.js";

export const copyRoutes = new Hono<AppEnv>();

function live(c: Context<AppEnv>) {
  return c.get("platform").catalog.liveDeployment(c.get("principal").workspaceId);
}

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

copyRoutes.post("/:pipe/copy", requireAuth(), async (c) => {
  const job = await requestCopy(c.get("platform"), c.get("principal"), { live: await live(c), pipe: c.req.param("pipe"), params: await requestParams(c) });
  const json = jobJson(job, new URL(c.req.url).origin);
  // Tinybird's answer carries the job both flat and under `job`, and the target
  // under `tags` (`tb copy run` reads the target's name from it).
  const tags = { copy_target_datasource: job.datasource, copy_target_workspace: c.get("principal").workspaceId };
  return c.json({ ...json, job: json, tags });
});

copyRoutes.post("/:pipe/copy/pause", requireAuth(), async (c) => {
  return c.json(await setCopyPaused(c.get("platform"), c.get("principal"), { live: await live(c), pipe: c.req.param("pipe"), paused: true }));
});

copyRoutes.post("/:pipe/copy/resume", requireAuth(), async (c) => {
  return c.json(await setCopyPaused(c.get("platform"), c.get("principal"), { live: await live(c), pipe: c.req.param("pipe"), paused: false }));
});
