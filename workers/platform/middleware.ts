/**
 * @module platform/middleware
 * Builds the request's platform once, before any route runs, and answers
 * with its request id. A caller may name its request (Tinybird's clients send
 * `x-request-id`); the id becomes the ClickHouse query id and travels in queue
 * messages, so only a short, plain one is taken as is; anything else gets a
 * fresh id. A request sent with `?__tb__deployment=staging` gets a catalog
 * whose "live deployment" is the one in staging (catalog/staging.ts).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../api/context.js";
import { readConfig } from "../env.js";
import { parseDeploymentChoice, stagingCatalog, DEPLOYMENT_PARAM } from "../catalog/staging.js";
import { createPlatform } from "./platform.js";

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestIdFrom(header: string | undefined): string {
  return header !== undefined && REQUEST_ID.test(header) ? header : crypto.randomUUID();
}

export function platformMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const platform = createPlatform({
      config: readConfig(c.env),
      requestId: requestIdFrom(c.req.header("x-request-id")),
      bindings: c.env,
      waitUntil(work) {
        try {
          c.executionCtx.waitUntil(work);
        } catch {
          // No execution context (app.request in tests): the promise still runs.
        }
      },
    });
    // `?__tb__deployment=staging`: this request reads and writes the staging deployment (catalog/staging.ts).
    c.set("platform", platform);
    if (parseDeploymentChoice(c.req.query(DEPLOYMENT_PARAM)) === "staging") c.set("platform", { ...platform, catalog: stagingCatalog(platform.catalog) });
    await next();
    // c.header() on a finished response copies it into a new Response first; set the header in
    // place unless the headers are immutable (an answer taken from the Cache API or a fetch).
    try {
      c.res.headers.set("x-request-id", platform.requestId);
    } catch {
      c.header("x-request-id", platform.requestId);
    }
  };
}
