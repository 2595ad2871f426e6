/**
 * @module scheduler/routes
 * `POST /local/scheduled?time=<ms>`: one cron tick by hand, in local mode only
 * (`npm run dev`), as if the clock read `time` (default: now). Answers once the
 * tick is done, with the runs it enqueued.
 *
 * Why a route of our own: under wrangler dev the console's static assets make
 * miniflare's assets router the entry worker, and miniflare hands
 * `/cdn-cgi/handler/scheduled` to that router, which has no scheduled handler
 * (it answers "exception"). On Cloudflare a cron reaches the Worker's own
 * `scheduled()` whatever the assets; this route calls the same `runScheduler`.
 * Anywhere but local mode the route does not exist.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../api/context.js";
import { NotFoundError, invalidRequest } from "../../shared/errors.js";
import { runScheduler } from "./scheduled.js";

const Query = z.object({
  time: z.coerce.number({ error: "time must be milliseconds since the epoch (an integer)" }).int("time must be milliseconds since the epoch (an integer)").nonnegative("time must be milliseconds since the epoch (an integer)").optional(),
});

export const localSchedulerRoutes = new Hono<AppEnv>();

localSchedulerRoutes.post("/", async (c) => {
  const platform = c.get("platform");
  if (platform.config.mode !== "local") throw new NotFoundError("Not found: POST /local/scheduled");
  const query = Query.safeParse(c.req.query());
  if (!query.success) throw invalidRequest(query.error);
  const scheduledTime = query.data.time ?? Date.now();
  const tick = await runScheduler(platform, { scheduledTime });
  return c.json({ scheduled_time: new Date(scheduledTime).toISOString(), enqueued: tick.enqueued });
});
