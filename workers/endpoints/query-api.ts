/**
 * @module endpoints/query-api
 * A Query API call (`/v0/sql`): the statement (`q` or the body; templated when
 * its first line is `%`) → rate limits → ClickHouse's canonical re-printing →
 * read-only check → names rewritten inside the caller's workspace, each
 * datasource and pipe checked against the caller's scopes (`pipeline=` makes
 * a pipe's nodes and `_` readable) → `answerRead`.
 */
import { DEFAULT_SQL_FORMAT, splitFormatClause, type OutputFormat } from "../../shared/format/formats.js";
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
import { answerSessionFunctions, workspaceName } from "./session-functions.js";
import type { ReadRequest } from "./execute.js";
import { option, outputSettings, paramsForLog, type RequestInput } from "./params.js";
import { pipeSecrets } from "./pipe-secrets.js";
import { renderStatement, SqlContext, targetNode, type ReadContext } from "./sql-context.js";
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
  const pipeline = option(input, "pipeline");
  return answerRead(platform, principal, req.call, stats, () =>
    buildSqlRead(platform, principal, { live, sql: q, params: input.params, settings: outputSettings(input), ...(pipeline ? { pipeline } : {}) }),
  );
}

/** One statement a caller sends (the Query API, the ClickHouse interface), before any check. */
export interface SqlStatement {
  live: LiveDeployment | undefined;
  sql: string;
  /** Template params (a `%` statement), and what a pipe it reads renders with. */
  params: Params;
  /** Output settings the caller asked for, already checked against what callers may set. */
  settings: Record<string, string>;
  /** `pipeline=`: the pipe whose nodes (and `_`) the statement may read. */
  pipeline?: string;
  /** ClickHouse query parameters (`{name:Type}` in the SQL), raw as sent (`param_<name>`). */
  queryParams?: Record<string, string>;
  /** The format when the statement has no FORMAT clause (default JSON, as Tinybird's SDKs expect). */
  defaultFormat?: OutputFormat;
  /** ClickHouse interface: the workspace's name as a database, and the `system.*` tables it serves. */
  schema?: ReadContext["schema"];
  /** ClickHouse interface: the user the caller connected as, for `currentUser()` (else the workspace's name). */
  user?: string;
}

/**
 * What a principal may run, for every surface that takes SQL from a caller
 * (the Query API, the ClickHouse interface): rate limits → ClickHouse's
 * canonical re-printing → read-only check → names rewritten inside the
 * caller's workspace (session functions answered as literals first:
 * `session-functions.ts`), each datasource and pipe checked against the caller's
 * scopes → the read `runRead` runs (which passes it through the read guard).
 */
export async function buildSqlRead(platform: Platform, principal: Principal, stmt: SqlStatement): Promise<ReadRequest> {
  const { live } = stmt;
  const { timing } = platform;
  const headers = await timing.time("ratelimit", () => platform.rateLimits.take(readBuckets(platform.config, principal)));
  let compileStart = timing.now();
  const rendered = isTemplated(stmt.sql) ? renderStatement(stmt.sql, { ...stmt.params, ...jwtFixedParams(principal) }) : { sql: stmt.sql, settings: {} };
  const split = splitFormatClause(rendered.sql);
  if (!split.ok) throw new BadRequestError(split.error, { clickhouse: UNKNOWN_FORMAT });
  // The names are rewritten on ClickHouse's own re-printing of the query, so
  // what the tokenizer reads is what ClickHouse parses.
  timing.add("compile", compileStart);
  split.sql = await timing.time("guard", () => platform.clickhouse.guard.canonical(split.sql));
  // currentDatabase(), currentUser(), getSetting('…') answered as literals before anything else reads the SQL.
  split.sql = await answerSessionFunctions(split.sql, {
    database: async () => stmt.schema?.database ?? (await workspaceName(platform, principal.workspaceId)),
    ...(stmt.user !== undefined ? { user: stmt.user } : {}),
    settings: stmt.settings,
    limits: platform.config.reads,
  });
  compileStart = timing.now();
  const readOnly = checkReadOnly(split.sql);
  if (!readOnly.ok) {
    const error = toTernError(readOnly.error);
    throw readOnly.error.code === "not_read_only" ? new BadRequestError(error.message, { cause: error, clickhouse: READONLY }) : error;
  }
  if (readOnly.kind !== "select" && readOnly.kind !== "with" && readOnly.kind !== "describe" && readOnly.kind !== "exists") {
    throw new BadRequestError("Only SELECT queries are allowed in the Query API", { clickhouse: READONLY });
  }
  const database = live?.manifest.database ?? workspaceDatabase(principal.workspaceId);
  const ctx = new SqlContext({
    workspaceId: principal.workspaceId,
    database,
    manifestId: live?.id ?? "none",
    manifest: live?.manifest,
    scopes: principal.scopes,
    params: stmt.params,
    checkAccess: true,
    ...(stmt.schema ? { schema: stmt.schema } : {}),
    ...(live ? { secrets: await pipeSecrets(platform, principal.workspaceId, live.id, live.manifest) } : {}),
  });
  let extra: ((name: string) => TableResolution | null) | undefined;
  const pipelineName = stmt.pipeline;
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
  timing.add("compile", compileStart);
  if (!rewritten.ok) throw toTernError(rewritten.error);
  // Service tables and views are created lazily; a read may come first.
  if (ctx.usesServiceViews) await ensureWorkspaceServiceViews(platform.clickhouse.admin, principal.workspaceId, database);
  // No FORMAT clause: the surface's default (splitFormatClause answers DEFAULT_SQL_FORMAT itself then).
  const format = split.format === DEFAULT_SQL_FORMAT && stmt.defaultFormat ? stmt.defaultFormat : split.format;
  // The caller's own parameters, and the secrets the pipes it reads bind (under names made for this read).
  const secretParams = ctx.queryParams();
  const queryParams = secretParams ? { ...stmt.queryParams, ...secretParams } : stmt.queryParams;
  return {
    sql: rewritten.sql,
    database,
    manifest: live?.manifest,
    format,
    settings: { ...rendered.settings, ...stmt.settings },
    headers,
    ...(queryParams ? { queryParams } : {}),
    ...(secretParams ? { secrets: ctx.secretValues() } : {}),
  };
}

/** ClickHouse's codes for these refusals (the ClickHouse interface answers them; X-DB-Exception-Code elsewhere). */
const READONLY = { code: "164", type: "READONLY" };
const UNKNOWN_FORMAT = { code: "73", type: "UNKNOWN_FORMAT" };

/**
 * A JWT's fixed params, all scopes together, for a templated Query API
 * statement: the request cannot override what the token pins. A pipe the
 * statement reads renders with its own scope's fixed params (sql-context.ts).
 */
function jwtFixedParams(principal: Principal): Params {
  if (principal.kind !== "jwt") return {};
  return Object.assign({}, ...principal.scopes.map((s) => (s.fixed_params ?? {}) as Params));
}
