/**
 * @module endpoints/routes
 * API endpoints (`/v0/pipes/<pipe>.<format>`), their OpenAPI documents, and
 * the Query API (`/v0/sql`): CORS, the caller (static token or JWT), then
 * parse, call the role function, answer.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { withServerTiming } from "../platform/timing.js";
import { ENDPOINT_FORMATS, type OutputFormat } from "../../shared/format/formats.js";
import { NotFoundError } from "../../shared/errors.js";
import { readInput } from "./params.js";
import { callInfo } from "./stats.js";
import { openApiDocument } from "./openapi.js";
import { answerPipe, pipeGrant } from "./pipe-call.js";
import { answerSql } from "./query-api.js";

// Browsers calling endpoints read the rate-limit state, Server-Timing and, for a cached
// endpoint, whether the answer came from the cache and how old it is (docs/caching.md).
const corsHeaders = cors({
  origin: "*",
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: ["authorization", "content-type"],
  exposeHeaders: ["x-request-id", "X-DB-Exception-Code", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Server-Timing", "X-Tern-Cache", "Age"],
  maxAge: 86400,
});

/** Every answer (errors too) says where its time went: `Server-Timing` (platform/timing.ts). */
const serverTiming: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const res = withServerTiming(c.res, c.get("platform").timing);
  // Assigning c.res makes hono copy the response and every header into a new one: only for a copy.
  if (res !== c.res) c.res = res;
};

const FORMAT_RE = Object.keys(ENDPOINT_FORMATS).join("|");
const ENDPOINT_FILE = `/:file{[^/]+\\.(?:${FORMAT_RE})}`;

/** `<pipe>.<ext>` → the pipe and its output format. */
function endpointFile(file: string): { pipe: string; format: OutputFormat } {
  const dot = file.lastIndexOf(".");
  return { pipe: file.slice(0, dot), format: ENDPOINT_FORMATS[file.slice(dot + 1)]! };
}

/** Mounted at `/v0/pipes` (before the Pipes API, whose `/:name` would take `openapi.json`). */
export const endpointRoutes = new Hono<AppEnv>();
endpointRoutes.use("*", corsHeaders, serverTiming);

endpointRoutes.get("/openapi.json", requireAuth(undefined, { allowJwt: true }), async (c) => {
  const platform = c.get("platform");
  const principal = c.get("principal");
  const live = await platform.timing.time("live", () => platform.catalog.liveDeployment(principal.workspaceId));
  return c.json(openApiDocument(principal, { manifest: live?.manifest, origin: new URL(c.req.url).origin }));
});

endpointRoutes.get("/:pipe/openapi.json", requireAuth((c) => ({ kind: "read_pipe", pipe: c.req.param("pipe")! }), { allowJwt: true }), async (c) => {
  const pipe = c.req.param("pipe");
  const platform = c.get("platform");
  const principal = c.get("principal");
  const live = await platform.timing.time("live", () => platform.catalog.liveDeployment(principal.workspaceId));
  const p = live?.manifest.pipes[pipe];
  if (!p || p.file.publication.type !== "endpoint") throw new NotFoundError(`The pipe '${pipe}' does not exist or is not an API endpoint`);
  return c.json(openApiDocument(principal, { manifest: live!.manifest, only: pipe, origin: new URL(c.req.url).origin }));
});

endpointRoutes.on(["GET", "POST"], ENDPOINT_FILE, requireAuth(undefined, { allowJwt: true }), async (c) => {
  const platform = c.get("platform");
  const principal = c.get("principal");
  const { pipe, format } = endpointFile(c.req.param("file")!);
  // The scope is checked before the body is read; a refusal is logged with the URL's params.
  const urlParams = Object.fromEntries(new URL(c.req.url).searchParams);
  delete urlParams["token"];
  pipeGrant(platform, principal, pipe, callInfo(c.req.raw), urlParams);
  const input = await readInput(c.req.raw);
  const live = await platform.timing.time("live", () => platform.catalog.liveDeployment(principal.workspaceId));
  return answerPipe(platform, principal, { live, pipe, format, input, call: callInfo(c.req.raw) });
});

/** Mounted at `/v0/sql`. */
export const queryApiRoutes = new Hono<AppEnv>();
queryApiRoutes.use("*", corsHeaders, serverTiming);

queryApiRoutes.on(["GET", "POST"], "/", requireAuth(undefined, { allowJwt: true }), async (c) => {
  const platform = c.get("platform");
  const principal = c.get("principal");
  const input = await readInput(c.req.raw, { rawText: true });
  const live = await platform.timing.time("live", () => platform.catalog.liveDeployment(principal.workspaceId));
  return answerSql(platform, principal, { live, input, call: callInfo(c.req.raw) });
});


/** The ClickHouse HTTP interface: mounted by `api/app.ts` at `/clickhouse` and on TERN_CLICKHOUSE_HOST, answering failures in ClickHouse's format. */
export { answerClickHouse, CLICKHOUSE_PATH } from "./clickhouse-interface.js";
