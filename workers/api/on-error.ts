/**
 * @module api/on-error
 * The one place where errors become HTTP. What the answer is (status,
 * `{"error": ...}` body, Retry-After, X-DB-Exception-Code, X-RateLimit-*) is
 * decided by `shared/error-answer.ts`; this sends it, and logs, once, every
 * failure the operator must see (5xx) with its cause chain. Headers set
 * before the failure stay on the answer: hono copies what a middleware put
 * on `c.res` (CORS from `cors()`, `x-request-id`) onto the response an error
 * handler returns.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { describeError, NotFoundError } from "../../shared/errors.js";
import { clickhouseErrorAnswer, errorAnswer } from "../../shared/error-answer.js";
import type { AppEnv } from "./context.js";

export type Log = (line: string) => void;

/** The answer to `err`; `log` receives the failures worth a look (the runtime's console by default). */
export function errorResponse(err: unknown, c: Context<AppEnv>, log: Log = console.error): Response {
  const answer = errorAnswer(err);
  if (answer.log) {
    const requestId = c.get("platform")?.requestId;
    log(`${answer.status} ${c.req.method} ${new URL(c.req.url).pathname}${requestId ? ` (request ${requestId})` : ""}: ${describeError(err)}`);
  }
  return c.json(answer.body, answer.status as ContentfulStatusCode, answer.headers);
}

/** No route matched: a 404 like any other. */
export function notFoundResponse(c: Context<AppEnv>): Response {
  return errorResponse(new NotFoundError(`Not found: ${c.req.method} ${new URL(c.req.url).pathname}`), c);
}

/**
 * The same failure answered in ClickHouse's own format, for the ClickHouse
 * interface (`endpoints/clickhouse-interface.ts`): drivers read the code from
 * `X-ClickHouse-Exception-Code` and the `Code: N. DB::Exception: …` body.
 */
export function clickhouseErrorResponse(err: unknown, c: Context<AppEnv>, log: Log = console.error): Response {
  const answer = clickhouseErrorAnswer(err);
  if (answer.log) {
    const requestId = c.get("platform")?.requestId;
    log(`${answer.status} ${c.req.method} ${new URL(c.req.url).pathname}${requestId ? ` (request ${requestId})` : ""}: ${describeError(err)}`);
  }
  // Browsers (client-web) read the refusal too.
  const headers = { ...answer.headers, "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "X-ClickHouse-Exception-Code" };
  return new Response(c.req.method === "HEAD" ? null : answer.body, { status: answer.status, headers });
}
