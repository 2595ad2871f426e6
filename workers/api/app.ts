/**
 * @module api/app
 * The hono app behind the Worker's `fetch`: the platform middleware, then the
 * URL map, one sub-app per prefix. Each sub-app's routes parse the request,
 * call a role function with `(platform, principal, input)` and answer.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "./context.js";
import { platformMiddleware } from "../platform/middleware.js";
import { clickhouseErrorResponse, errorResponse, notFoundResponse } from "./on-error.js";
import { health } from "./health.js";
import { localTokens } from "./local-tokens.js";
import { localSchedulerRoutes } from "../scheduler/routes.js";
import { buildRoutes, currentWorkspaceRoutes, deployRoutes, deploymentRoutes } from "../deploy/routes.js";
import { authRoutes, userWorkspaceRoutes, workspaceRoutes } from "../workspaces/routes.js";
import { environmentRoutes, environmentV0Routes, secretRoutes } from "../environments/routes.js";
import { endpointRoutes, queryApiRoutes } from "../endpoints/routes.js";
import { exampleRoutes, pipesApiRoutes, pipesV1Routes } from "../endpoints/pipes-api.js";
import { tokenRoutes } from "../tokens/routes.js";
import { connectorRoutes, datasourceRoutes, datasourceV1Routes } from "../datasources/routes.js";
import { jobRoutes } from "../datasources/jobs.js";
import { eventsRoutes } from "../ingest/events-route.js";
import { copyRoutes } from "../copies/routes.js";
import { sinkRoutes } from "../sinks/routes.js";
import { importRoutes } from "../imports/routes.js";
import { mcpRoutes } from "../mcp/routes.js";
import { answerClickHouse, CLICKHOUSE_PATH } from "../endpoints/routes.js";

export function createApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(platformMiddleware());
  // endpoints: the ClickHouse HTTP interface, at /clickhouse and, on TERN_CLICKHOUSE_HOST, at /; failures in ClickHouse's format.
  const clickhouse = (c: Context<AppEnv>, path: string) => answerClickHouse(c, path).catch((e: unknown) => clickhouseErrorResponse(e, c));
  app.use(async (c, next) => {
    const host = c.get("platform").config.clickhouseInterface.host;
    const url = new URL(c.req.url);
    if (host !== undefined && url.hostname.toLowerCase() === host) return clickhouse(c, url.pathname);
    await next();
  });
  // The console (console/, static assets at /ui/): a browser opening / is sent there; API clients still get JSON.
  app.get("/", (c) => ((c.req.header("accept") ?? "").includes("text/html") ? c.redirect("/ui/", 302) : notFoundResponse(c)));
  app.all(CLICKHOUSE_PATH, (c) => clickhouse(c, "/"));
  app.all(`${CLICKHOUSE_PATH}/*`, (c) => clickhouse(c, new URL(c.req.url).pathname.slice(CLICKHOUSE_PATH.length)));
  app
    .route("/v0/health", health) //                 api/health.ts
    .route("/tokens", localTokens) //               api/local-tokens.ts (local mode only)
    .route("/local/scheduled", localSchedulerRoutes) // scheduler: one cron tick by hand (local mode only)
    .route("/v0/pipes", copyRoutes) //              copies: /<pipe>/copy, /copy/pause, /copy/resume
    .route("/v0/pipes", sinkRoutes) //              sinks: /<pipe>/sink
    .route("/v0/pipes", endpointRoutes) //          endpoints: /<pipe>.<format>, OpenAPI
    .route("/v0/pipes", pipesApiRoutes) //          endpoints: the Pipes API (list, describe, .pipe)
    .route("/v1/pipes", pipesV1Routes) //           endpoints: a pipe's .pipe (tb endpoint token)
    .route("/examples", exampleRoutes) //           endpoints: /examples/query.http, an endpoint's URL (tb endpoint url|ls)
    .route("/v0/sql", queryApiRoutes) //            endpoints: the Query API
    .route("/mcp", mcpRoutes) //                    mcp: the MCP server (Streamable HTTP)
    .route("/v0/events", eventsRoutes) //           ingest: Events API, dead letters
    .route("/v0/datasources", importRoutes) //    imports: /<ds>/scheduling/runs (tb datasource sync)
    .route("/v0/datasources", datasourceRoutes) //  datasources: list, describe, append/replace, truncate, delete
    .route("/v1/datasources", datasourceV1Routes) // datasources: append/replace with the file as the body (tb datasource append|replace)
    .route("/v0/connectors", connectorRoutes) //    datasources: the live connections (tb connection ls)
    .route("/v0/jobs", jobRoutes) //                datasources: the Jobs API (list, get, cancel)
    .route("/v0/tokens", tokenRoutes) //            tokens: static tokens and JWTs
    .route("/v0/auth", authRoutes) //               workspaces: is the token a user token (tb workspace create|delete)
    .route("/v1/deploy", deployRoutes) //           deploy
    .route("/v1/build", buildRoutes) //             deploy: check in a scratch database
    .route("/v1/deployments", deploymentRoutes) //  deploy: list, get, promote, roll back, delete
    .route("/v1/workspace", currentWorkspaceRoutes) // deploy: the token's workspace
    .route("/v1/workspaces", workspaceRoutes) //    workspaces: create, list, delete
    .route("/v1/user/workspaces", userWorkspaceRoutes) // workspaces: a user's list
    .route("/v0/user/workspaces", userWorkspaceRoutes) // workspaces: the same list (tb's default version)
    .route("/v0/variables", secretRoutes) //        environments: secrets (tb secret), values never answered
    .route("/v1/environments", environmentRoutes) // environments: branches (create, list, get, delete)
    .route("/v0/environments", environmentV0Routes); // environments: a branch (with its token), delete
  app.notFound(notFoundResponse);
  app.onError(errorResponse);
  return app;
}
