/**
 * @module api/app
 * The hono app behind the Worker's `fetch`: shared middleware, then each role's
 * routes. Roles mount their own sub-apps here.
 */
import { Hono } from "hono";
import type { AppEnv } from "./context.js";
import { readConfig } from "../env.js";
import { errorResponse, notFoundResponse } from "./on-error.js";
import { health } from "./health.js";
import { localTokens } from "./local-tokens.js";
import { deployRoutes } from "../deploy/routes.js";
import { workspaceRoutes } from "../workspaces/routes.js";
import { endpointRoutes } from "../endpoints/routes.js";
import { tokenRoutes } from "../tokens/routes.js";
import { datasourceRoutes } from "../datasources/routes.js";
import { jobRoutes } from "../datasources/jobs.js";
import { eventsRoutes } from "../ingest/events-route.js";
import { pipesApiRoutes } from "../endpoints/pipes-api.js";

/**
 * A caller may name its request (Tinybird's clients send `x-request-id`); the id
 * becomes the ClickHouse query id and travels in queue messages, so only a
 * short, plain one is taken as is; anything else gets a fresh id.
 */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdFrom(header: string | undefined): string {
  return header !== undefined && REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("config", readConfig(c.env));
    c.set("requestId", requestIdFrom(c.req.header("x-request-id")));
    await next();
    c.header("x-request-id", c.get("requestId"));
  });
  app.route("/", health);
  app.route("/", localTokens);
  app.route("/", deployRoutes);
  app.route("/", workspaceRoutes);
  app.route("/", endpointRoutes);
  app.route("/", pipesApiRoutes);
  app.route("/", tokenRoutes);
  app.route("/", datasourceRoutes);
  app.route("/", jobRoutes);
  app.route("/", eventsRoutes);
  app.notFound(notFoundResponse);
  app.onError(errorResponse);
  return app;
}
