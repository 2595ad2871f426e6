/**
 * The Worker entry: `fetch` (the HTTP API), `queue` (Events API batches and jobs),
 * `scheduled` (copies and sinks) and the Durable Object classes. Each handler
 * builds its platform (platform/) and hands it to role code.
 */
import { createApp } from "./api/app.js";
import type { Env } from "./env.js";
import { platformFor } from "./platform/platform.js";
import { createQueueDispatcher } from "./queues/dispatch.js";
import { runScheduler } from "./scheduler/scheduled.js";
import { consumeEvents } from "./ingest/queue-consumer.js";
import { parkDeadLetters } from "./ingest/dead-letters.js";
import { consumeJobs } from "./jobs/consumer.js";
// Job kinds register their runners with the jobs runtime (workers/jobs/README.md).
import "./copies/register.js";
import "./sinks/register.js";
import "./imports/register.js";

export { WorkspaceCatalog } from "./catalog/workspace-catalog.js";
export { RateLimiter } from "./ratelimit/rate-limiter.js";
export { Directory } from "./catalog/directory.js";

const app = createApp();
const dispatchQueue = createQueueDispatcher({
  "tern-events": consumeEvents,
  "tern-events-dlq": parkDeadLetters,
  "tern-jobs": consumeJobs,
});

export default {
  fetch: app.fetch,
  queue: dispatchQueue,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(runScheduler(platformFor(env, ctx), controller));
  },
} satisfies ExportedHandler<Env>;
