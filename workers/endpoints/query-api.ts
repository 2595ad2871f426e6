/**
 * @module endpoints/query-api
 * A Query API call (`/v0/sql`): the statement (`q` or the body; templated when
 * its first line is `%`) → rate limits → ClickHouse's canonical re-printing →
 * read-only check → names rewritten inside the caller's workspace, each
 * datasource and pipe checked against the caller's scopes (`pipeline=` makes
 * a pipe's nodes and `_` readable) → `answerRead`.
 */
import { splitFormatClause } from "../../shared/format/formats.js";
import { checkReadOnly, rewriteTables, toTernError, type TableResolution } from "../../shared/sql/rewrite/index.js";
import { isTemplated, type Params } from "../../shared/template/index.js";
import { BadRequestError, NotFoundError } from "../../shared/errors.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import { workspaceDatabase, type LiveDeployment } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";
import { readBuckets } from "../ratelimit/limit.js";
import { ensureWorkspaceServiceViews } from "../service/workspace-views.js";
import { answerRead } from "./answer.js";
import { option, outputSettings, paramsForLog, type RequestInput } from "./params.js";
import { renderStatement, SqlContext, targetNode } from "./sql-context.js";
import type { CallInfo } from "./stats.js";

export interface SqlCall {
  /** The workspace's live deployment (none yet: only `tinybird.*` and table functions resolve). */
  live: LiveDeployment | undefined;
  /** Params and options; the statement is `q`, or else the raw body `text`. */
  input: RequestInput;
  call: CallInfo;
}

/** Answers one Query API call; the response streams the ClickHouse answer. */
export async function answerSql(platform: Platform, principal: Principal, req: SqlCall): Promise<Response> {
  const startedAt = platform.clock.now();
  const { input, live } = req;
  const q = option(input, "q") ?? input.text;
  if (q === undefined || q.trim() === "") throw new BadRequestError("The SQL query is missing: send it as 'q' or as the request body");
  const stats = { pipeId: "query_api", pipeName: "query_api", startedAt, parameters: paramsForLog(input.params) };
  return answerRead(platform, principal, req.call, stats, async () => {
    const headers = await platform.rateLimits.take(readBuckets(platform.config, principal));
    const rendered = isTemplated(q) ? renderStatement(q, { ...input.params, ...jwtFixedParams(principal) }) : { sql: q, settings: {} };
    const split = splitFormatClause(rendered.sql);
    if (!split.ok) throw new BadRequestError(split.error);
    // The names are rewritten on ClickHouse's own re-printing of the query, so
    // what the tokenizer reads is what ClickHouse parses.
    split.sql = await platform.clickhouse.guard.canonical(split.sql);
    const readOnly = checkReadOnly(split.sql);
    if (!readOnly.ok) throw toTernError(readOnly.error);
    if (readOnly.kind !== "select" && readOnly.kind !== "with" && readOnly.kind !== "describe" && readOnly.kind !== "exists") {
      throw new BadRequestError("Only SELECT queries are allowed in the Query API");
    }
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
      const grant = ensureAllowed(principal, { kind: "read_pipe", pipe: pipelineName });
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
    if (ctx.usesServiceViews) await ensureWorkspaceServiceViews(platform.clickhouse.admin, principal.workspaceId, database);
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
