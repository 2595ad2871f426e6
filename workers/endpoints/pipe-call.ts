/**
 * @module endpoints/pipe-call
 * An API endpoint call (`/v0/pipes/<pipe>.<format>`): the `read_pipe` scope
 * (a JWT's `fixed_params` win over the request's params) → rate limits → the
 * pipe in the live deployment → templates → one SQL (wrapped by `q=`, on
 * ClickHouse's canonical re-printing of `q`) → `answerRead` (through the
 * location's cache for an endpoint with `CACHE`, `cache.ts`).
 */
import type { OutputFormat } from "../../shared/format/formats.js";
import { splitFormatClause } from "../../shared/format/formats.js";
import { wrapForQueryParam } from "../../shared/sql/pipeline/index.js";
import { toTernError } from "../../shared/sql/rewrite/index.js";
import type { Params, ParamValue } from "../../shared/template/index.js";
import { NotFoundError } from "../../shared/errors.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";
import { readBuckets } from "../ratelimit/limit.js";
import { ensureWorkspaceServiceViews } from "../service/workspace-views.js";
import { answerRead, recordFailure } from "./answer.js";
import { endpointCacheSpec, knownRead } from "./cache.js";
import { option, outputSettings, paramsForLog, type RequestInput } from "./params.js";
import { SqlContext, targetNode } from "./sql-context.js";
import { pipeSecrets } from "./pipe-secrets.js";
import type { CallInfo } from "./stats.js";

export interface PipeCall {
  /** The workspace's live deployment (none yet: every pipe is 404). */
  live: LiveDeployment | undefined;
  pipe: string;
  format: OutputFormat;
  input: RequestInput;
  call: CallInfo;
}

/**
 * The caller's `read_pipe` grant for `pipe`; a refusal (403) is logged as the
 * call (`params`: what the row records of the request's parameters).
 */
export function pipeGrant(platform: Platform, principal: Principal, pipe: string, call: CallInfo, params: Params): ReturnType<typeof ensureAllowed> {
  try {
    return ensureAllowed(principal, { kind: "read_pipe", pipe });
  } catch (e) {
    recordFailure(platform, principal, call, { pipeId: pipe, pipeName: pipe, startedAt: platform.clock.now(), parameters: paramsForLog(params) }, e);
    throw e;
  }
}

/** Answers one endpoint call; the response streams the ClickHouse answer. */
export async function answerPipe(platform: Platform, principal: Principal, req: PipeCall): Promise<Response> {
  const startedAt = platform.clock.now();
  const grant = pipeGrant(platform, principal, req.pipe, req.call, req.input.params);
  // A JWT's fixed params win over anything the request sends.
  const params: Record<string, ParamValue | undefined> = { ...req.input.params, ...(grant.fixedParams as Record<string, ParamValue>) };
  const stats = { pipeId: req.pipe, pipeName: req.pipe, startedAt, parameters: paramsForLog(params as Params) };
  return answerRead(platform, principal, req.call, stats, async () => {
    const { timing } = platform;
    const headers = await timing.time("ratelimit", () => platform.rateLimits.take(readBuckets(platform.config, principal)));
    const compileStart = timing.now();
    const { live } = req;
    const pipe = live?.manifest.pipes[req.pipe];
    if (!live || !pipe) throw new NotFoundError(`The pipe '${req.pipe}' does not exist`);
    if (pipe.file.publication.type !== "endpoint") throw new NotFoundError(`The pipe '${req.pipe}' is not published as an API endpoint`);
    const database = live.manifest.database;
    let cache = endpointCacheSpec(principal, req.input, pipe, live, grant, params, req.format.clickhouse);
    // A cached endpoint called again the same way: the read is known, nothing to render or compile.
    const known = cache && knownRead(cache);
    if (cache && known) {
      timing.add("compile", compileStart);
      if (known.usesServiceViews) await ensureWorkspaceServiceViews(platform.clickhouse.admin, principal.workspaceId, database);
      return {
        sql: known.sql, database, manifest: live.manifest, format: req.format, settings: known.settings, headers,
        cache: { ...cache, ttlSeconds: known.ttlSeconds }, ...(known.shape ? { shape: known.shape } : {}),
      };
    }
    const ctx = new SqlContext({
      workspaceId: principal.workspaceId,
      database,
      manifestId: live.id,
      manifest: live.manifest,
      scopes: principal.scopes,
      params,
      checkAccess: false,
      secrets: await pipeSecrets(platform, principal.workspaceId, live.id, live.manifest),
    });
    const compiled = ctx.pipeSql(pipe, targetNode(pipe), grant.filters);
    // `cache_ttl()` in a node the answer reads: this call is cached for that long (with or without `CACHE`).
    if (compiled.cacheTtlSeconds !== undefined) {
      cache = endpointCacheSpec(principal, req.input, pipe, live, grant, params, req.format.clickhouse, compiled.cacheTtlSeconds);
    }
    const queryParams = ctx.queryParams();
    // A read that binds secrets is never cached: its key does not show the values, and its SQL names a parameter made for this read.
    if (queryParams) cache = undefined;
    let sql = compiled.sql;
    let shape = compiled.shape;
    const q = option(req.input, "q");
    if (q !== undefined && q.trim() !== "") {
      // The extension picks the format; a FORMAT clause in q is dropped.
      timing.add("compile", compileStart);
      const canonical = await timing.time("guard", () => platform.clickhouse.guard.canonical(stripFormat(q)));
      const wrappedStart = timing.now();
      const wrapped = wrapForQueryParam(sql, canonical);
      timing.add("compile", wrappedStart);
      if (!wrapped.ok) throw toTernError(wrapped.error);
      sql = wrapped.sql;
      // The same wrapping of the shape (the guard checks that it still fills to the SQL).
      const wrappedShape = shape && wrapForQueryParam(shape.text, canonical);
      shape = shape && wrappedShape?.ok ? { ...shape, text: wrappedShape.sql } : undefined;
    } else {
      timing.add("compile", compileStart);
    }
    if (ctx.usesServiceViews) await ensureWorkspaceServiceViews(platform.clickhouse.admin, principal.workspaceId, database);
    if (cache) cache.usesServiceViews = ctx.usesServiceViews;
    const settings = { ...compiled.settings, ...outputSettings(req.input) };
    if (cache && shape) cache.shape = shape;
    return {
      sql, database, manifest: live.manifest, format: req.format, settings, headers, cache,
      ...(queryParams ? { queryParams, secrets: ctx.secretValues() } : {}), ...(shape ? { shape } : {}),
    };
  });
}

function stripFormat(q: string): string {
  const split = splitFormatClause(q);
  return split.ok ? split.sql : q;
}
