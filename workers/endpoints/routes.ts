/**
 * @module endpoints/routes
 * API endpoints (`GET|POST /v0/pipes/<pipe>.<format>`), the Query API
 * (`/v0/sql`) and the endpoints' OpenAPI documents. Path of a call: principal
 * (static token or JWT) → scope → rate limits → live manifest → templates →
 * one SQL → ClickHouse, streamed back; a `pipe_stats_rt` row after the answer.
 */
import { Hono, type Context } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../api/context.js";
import { requireAuth, ensureAllowed } from "../auth/require.js";
import { liveManifest } from "../catalog/live-manifest.js";
import { ENDPOINT_FORMATS, splitFormatClause, type OutputFormat } from "../../shared/format/formats.js";
import { wrapForQueryParam } from "../../shared/sql/pipeline/index.js";
import { checkReadOnly, rewriteTables, toTernError, type TableResolution } from "../../shared/sql/rewrite/index.js";
import { isTemplated, type Params, type ParamValue } from "../../shared/template/index.js";
import { BadRequestError, NotFoundError, TernError } from "../../shared/errors.js";
import { enforceRateLimits } from "./limits.js";
import { OUTPUT_SETTINGS, runRead } from "./execute.js";
import { option, paramsForLog, readInput, type RequestInput } from "./params.js";
import { renderStatement, SqlContext, targetNode } from "./sql-context.js";
import { recordStats, type RequestStats } from "./stats.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { workspaceDatabase } from "../auth/principal.js";
import { ensureWorkspaceServiceViews } from "../service/workspace-views.js";
import { canonicalSql } from "../clickhouse/read-guard.js";
import type { Principal } from "../auth/principal.js";
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import { openApiDocument } from "./openapi.js";

export const endpointRoutes = new Hono<AppEnv>();

const corsHeaders = cors({
  origin: "*",
  allowMethods: ["GET", "POST", "OPTIONS"],
  allowHeaders: ["authorization", "content-type"],
  exposeHeaders: ["x-request-id", "X-DB-Exception-Code", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
  maxAge: 86400,
});
endpointRoutes.use("/v0/pipes/*", corsHeaders);
endpointRoutes.use("/v0/sql", corsHeaders);

const withJwt = requireAuth(undefined, { allowJwt: true });

function outputSettings(input: RequestInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of OUTPUT_SETTINGS) {
    const v = option(input, name);
    if (v === undefined) continue;
    if (!/^[01]$/.test(v)) throw new BadRequestError(`${name} must be 0 or 1`);
    out[name] = v;
  }
  return out;
}

async function manifestOf(c: Context<AppEnv>) {
  return liveManifest(c.env, c.get("principal").workspaceId);
}

/** Runs the read and logs it; failures are logged too, then rethrown for on-error. */
async function answer(
  c: Context<AppEnv>,
  stats: Omit<RequestStats, "readRows" | "readBytes" | "resultRows" | "statusCode" | "error">,
  build: () => Promise<{ sql: string; database: string; manifest: DeploymentManifest | undefined; format: OutputFormat; settings: Record<string, number | string>; headers: Record<string, string> }>,
): Promise<Response> {
  try {
    const outcome = await runRead(c, await build());
    recordStats(
      c,
      { ...stats, readRows: outcome.readRows, readBytes: outcome.readBytes, resultRows: outcome.resultRows, statusCode: 200, error: false },
      // What the answer's own statistics say wins over the summary header (sent before a streamed query ended).
      outcome.finished.then(({ fromAnswer }) => fromAnswer ?? {}),
    );
    return outcome.response;
  } catch (e) {
    const status = e instanceof TernError ? e.status : 500;
    if (status !== 429 && status !== 403 && status !== 401) {
      const errorMessage = e instanceof TernError ? e.message : "Internal server error";
      recordStats(c, { ...stats, readRows: 0, readBytes: 0, resultRows: 0, statusCode: status, error: true, errorMessage });
    }
    throw e;
  }
}

// ------------------------------------------------------------------ OpenAPI

endpointRoutes.get("/v0/pipes/openapi.json", withJwt, async (c) => {
  const live = await manifestOf(c);
  return c.json(openApiDocument(c, live?.manifest, undefined));
});

endpointRoutes.get("/v0/pipes/:pipe/openapi.json", withJwt, async (c) => {
  const pipe = c.req.param("pipe");
  ensureAllowed(c, { kind: "read_pipe", pipe });
  const live = await manifestOf(c);
  const p = live?.manifest.pipes[pipe];
  if (!p || p.file.publication.type !== "endpoint") throw new NotFoundError(`The pipe '${pipe}' does not exist or is not an API endpoint`);
  return c.json(openApiDocument(c, live!.manifest, pipe));
});

// ---------------------------------------------------------------- endpoints

const FORMAT_RE = Object.keys(ENDPOINT_FORMATS).join("|");

async function callEndpoint(c: Context<AppEnv>): Promise<Response> {
  const file = c.req.param("file")!;
  const dot = file.lastIndexOf(".");
  const pipeName = file.slice(0, dot);
  const format = ENDPOINT_FORMATS[file.slice(dot + 1)]!;
  const startedAt = Date.now();
  const grant = ensureAllowed(c, { kind: "read_pipe", pipe: pipeName });
  const input = await readInput(c);
  // A JWT's fixed params win over anything the request sends.
  const params: Record<string, ParamValue | undefined> = { ...input.params, ...(grant.fixedParams as Record<string, ParamValue>) };
  const stats = { pipeId: pipeName, pipeName, startedAt, parameters: paramsForLog(params as Params) };
  return answer(c, stats, async () => {
    const headers = await enforceRateLimits(c);
    const live = await manifestOf(c);
    const pipe = live?.manifest.pipes[pipeName];
    if (!live || !pipe) throw new NotFoundError(`The pipe '${pipeName}' does not exist`);
    if (pipe.file.publication.type !== "endpoint") throw new NotFoundError(`The pipe '${pipeName}' is not published as an API endpoint`);
    const principal = c.get("principal");
    const database = live.manifest.database;
    const ctx = new SqlContext({
      workspaceId: principal.workspaceId,
      database,
      manifestId: live.id,
      manifest: live.manifest,
      scopes: principal.scopes,
      params,
      checkAccess: false,
    });
    const compiled = ctx.pipeSql(pipe, targetNode(pipe), grant.filters);
    let sql = compiled.sql;
    const q = option(input, "q");
    if (q !== undefined && q.trim() !== "") {
      // The extension picks the format; a FORMAT clause in q is dropped.
      const wrapped = wrapForQueryParam(sql, await canonicalSql(clickhouseFor(c.get("config")), stripFormat(q)));
      if (!wrapped.ok) throw toTernError(wrapped.error);
      sql = wrapped.sql;
    }
    if (ctx.usesServiceViews) await ensureWorkspaceServiceViews(clickhouseFor(c.get("config")), principal.workspaceId, database);
    return { sql, database, manifest: live.manifest, format, settings: { ...compiled.settings, ...outputSettings(input) }, headers };
  });
}

function stripFormat(q: string): string {
  const split = splitFormatClause(q);
  return split.ok ? split.sql : q;
}

endpointRoutes.get(`/v0/pipes/:file{[^/]+\\.(?:${FORMAT_RE})}`, withJwt, callEndpoint);
endpointRoutes.post(`/v0/pipes/:file{[^/]+\\.(?:${FORMAT_RE})}`, withJwt, callEndpoint);

// ---------------------------------------------------------------- Query API

async function querySql(c: Context<AppEnv>): Promise<Response> {
  const startedAt = Date.now();
  const input = await readInput(c, { rawText: true });
  const q = option(input, "q") ?? input.text;
  if (q === undefined || q.trim() === "") throw new BadRequestError("The SQL query is missing: send it as 'q' or as the request body");
  const stats = { pipeId: "query_api", pipeName: "query_api", startedAt, parameters: paramsForLog(input.params) };
  return answer(c, stats, async () => {
    const headers = await enforceRateLimits(c);
    const principal = c.get("principal");
    const admin = clickhouseFor(c.get("config"));
    const rendered = isTemplated(q) ? renderStatement(q, { ...input.params, ...jwtFixedParams(principal) }) : { sql: q, settings: {} };
    const split = splitFormatClause(rendered.sql);
    if (!split.ok) throw new BadRequestError(split.error);
    // The names are rewritten on ClickHouse's own re-printing of the query, so
    // what the tokenizer reads is what ClickHouse parses.
    split.sql = await canonicalSql(admin, split.sql);
    const readOnly = checkReadOnly(split.sql);
    if (!readOnly.ok) throw toTernError(readOnly.error);
    if (readOnly.kind !== "select" && readOnly.kind !== "with" && readOnly.kind !== "describe" && readOnly.kind !== "exists") {
      throw new BadRequestError("Only SELECT queries are allowed in the Query API");
    }
    const live = await manifestOf(c);
    const database = live?.manifest.database ?? workspaceDatabase(principal.workspaceId);
    const ctx = new SqlContext({
      workspaceId: principal.workspaceId,
      database,
      manifestId: live?.id ?? "none",
      manifest: live?.manifest,
      scopes: principal.scopes,
      params: input.params,
      checkAccess: true,
    });
    let extra: ((name: string) => TableResolution | null) | undefined;
    const pipelineName = option(input, "pipeline");
    if (pipelineName) {
      const grant = ensureAllowed(c, { kind: "read_pipe", pipe: pipelineName });
      const pipe = live?.manifest.pipes[pipelineName];
      if (!pipe) throw new NotFoundError(`The pipe '${pipelineName}' does not exist`);
      const nodeNames = new Set(pipe.file.nodes.map((n) => n.name));
      const fixed = grant.fixedParams as Params;
      extra = (name) => {
        if (name === "_") return { subquery: ctx.pipeSql(pipe, targetNode(pipe), grant.filters, undefined, fixed).sql };
        return nodeNames.has(name) ? { subquery: ctx.pipeSql(pipe, name, grant.filters, undefined, fixed).sql } : null;
      };
    }
    const rewritten = rewriteTables(split.sql, ctx.resolver(extra));
    if (!rewritten.ok) throw toTernError(rewritten.error);
    // Service tables and views are created lazily; a read may come first.
    if (ctx.usesServiceViews) await ensureWorkspaceServiceViews(admin, principal.workspaceId, database);
    return { sql: rewritten.sql, database, manifest: live?.manifest, format: split.format, settings: { ...rendered.settings, ...outputSettings(input) }, headers };
  });
}

/**
 * A JWT's fixed params, all scopes together, for a templated Query API
 * statement: the request cannot override what the token pins. A pipe the
 * statement reads renders with its own scope's fixed params (sql-context.ts).
 */
function jwtFixedParams(principal: Principal): Params {
  if (principal.kind !== "jwt") return {};
  return Object.assign({}, ...principal.scopes.map((s) => (s.fixed_params ?? {}) as Params));
}

endpointRoutes.get("/v0/sql", withJwt, querySql);
endpointRoutes.post("/v0/sql", withJwt, querySql);
