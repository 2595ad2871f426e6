/**
 * @module ingest/events-route
 * The Events API routes, mounted at `/v0/events`: `POST /` (events.ts; CORS
 * for browser trackers, JWTs with DATASOURCES:APPEND accepted) and the dead
 * letters (dead-letters.ts, ADMIN).
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { IDEMPOTENCY_HEADER } from "./idempotency.js";
import { acceptEvents } from "./events.js";
import { countDeadLetters, replayDeadLetters } from "./dead-letters.js";

export const eventsRoutes = new Hono<AppEnv>();

// Browser trackers post here directly.
eventsRoutes.use(
  "/",
  cors({
    origin: "*",
    allowMethods: ["POST", "OPTIONS"],
    allowHeaders: ["content-type", "authorization", "content-encoding", IDEMPOTENCY_HEADER],
    exposeHeaders: ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "x-request-id"],
    maxAge: 86400,
  }),
);

// Browsers send events with a JWT carrying DATASOURCES:APPEND (and maybe limits.rps).
eventsRoutes.post("/", requireAuth(undefined, { allowJwt: true }), async (c) => {
  const platform = c.get("platform");
  const principal = c.get("principal");
  const wait = c.req.query("wait");
  const answer = await acceptEvents(platform, principal, {
    live: await platform.catalog.liveDeployment(principal.workspaceId),
    datasource: c.req.query("name"),
    wait: wait === "true" || wait === "1",
    idempotencyKey: c.req.header(IDEMPOTENCY_HEADER),
    body: c.req.raw,
  });
  return c.json(answer.body, answer.status, answer.headers);
});

// Dead letters: event batches that exhausted their retries, parked in R2.
eventsRoutes.get("/dead-letters", requireAuth({ kind: "admin" }), async (c) => {
  return c.json({ dead_letters: await countDeadLetters(c.get("platform"), c.get("principal").workspaceId) });
});

eventsRoutes.post("/dead-letters/replay", requireAuth({ kind: "admin" }), async (c) => {
  return c.json(await replayDeadLetters(c.get("platform"), c.get("principal").workspaceId));
});
