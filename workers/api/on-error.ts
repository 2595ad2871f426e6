/**
 * @module api/on-error
 * The one place where errors become HTTP: a TernError keeps its status and
 * message; anything else is a 500 with a generic message (the detail goes to
 * the log, never to the client).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isTernError } from "../../shared/errors.js";
import { ConfigError } from "../env.js";
import type { AppEnv } from "./context.js";

export function errorResponse(err: unknown, c: Context<AppEnv>): Response {
  if (isTernError(err)) {
    return c.json({ error: err.message }, err.status as ContentfulStatusCode, err.headers);
  }
  if (err instanceof ConfigError) {
    console.error(err.message);
    return c.json({ error: "The server is misconfigured; see its logs." }, 500);
  }
  console.error("unhandled error", err);
  return c.json({ error: "Internal server error" }, 500);
}

export function notFoundResponse(c: Context<AppEnv>): Response {
  return c.json({ error: `Not found: ${c.req.method} ${new URL(c.req.url).pathname}` }, 404);
}
