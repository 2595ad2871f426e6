/**
 * What a request by a user created with CREATE USER may do, decided before it
 * reaches the engine: its settings (settings-check.ts), how many of its
 * queries may run at once (`max_concurrent_queries_for_user`), its quotas
 * (quota.ts) and what it reads (read-access.ts).
 */
import type { Profile, User } from "./access-store.js";
import type { SettingCatalog } from "./engine-catalog.js";
import { ClickHouseException, Codes } from "./errors.js";
import type { EngineParser, Lru } from "./parser.js";
import { authorizeRead, readShape, type FunctionCatalog, type ReadShape } from "./read-access.js";
import type { RequestSpec } from "./request.js";
import { checkSettings, type CheckedSettings } from "./settings-check.js";
import { quoteString } from "./sql.js";
import type { Statement } from "./statement.js";

/** Statements up to this size get their read shape cached. */
const CACHEABLE_BYTES = 64 * 1024;

export interface UserPlan {
  user: User;
  settings: CheckedSettings;
  /** The database unqualified names resolve in (the request's, else the user's default). */
  database: string;
}

export function planUser(user: User, profile: Profile | undefined, spec: RequestSpec, catalog: SettingCatalog): UserPlan {
  const settings = checkSettings(profile, spec.settings, catalog, spec.method);
  return { user, settings, database: spec.database ?? user.defaultDatabase ?? "default" };
}

/** Throws TOO_MANY_SIMULTANEOUS_QUERIES when `running` of the user's queries already run. */
export function assertConcurrency(plan: UserPlan, running: number): void {
  const max = Number(plan.settings.value("max_concurrent_queries_for_user") ?? "0");
  if (Number.isFinite(max) && max > 0 && running >= max) {
    throw new ClickHouseException(
      Codes.TOO_MANY_SIMULTANEOUS_QUERIES,
      `Too many simultaneous queries for user ${plan.user.name}. Current: ${running}, maximum: ${max}`,
    );
  }
}

export function readonlyStatement(plan: UserPlan): ClickHouseException {
  return new ClickHouseException(Codes.READONLY, `${plan.user.name}: Cannot execute query in readonly mode`);
}

export interface AuthorizeContext {
  parser: EngineParser;
  shapes: Lru<ReadShape>;
  functions: FunctionCatalog;
  withParamLock<T>(fn: () => Promise<T>): Promise<T>;
}

function uncheckable(user: string): ClickHouseException {
  return new ClickHouseException(
    Codes.ACCESS_DENIED,
    `${user}: Not enough privileges. The statement could not be checked: names with control characters, backslashes or back-quotes are not allowed`,
  );
}

/**
 * `EXPLAIN AST` prints names raw, one node per line: a name holding a line
 * break could forge lines of the dump. The engine's canonical form escapes
 * such a name inside back-quotes, so its lexer finds them there; a name bound
 * from an `Identifier` query parameter is checked as sent.
 */
async function assertPlainNames(ctx: AuthorizeContext, user: string, sql: string, params: Record<string, string> | undefined): Promise<void> {
  const check = String.raw`WITH formatQuerySingleLine(${quoteString(sql)}) AS f
    SELECT arrayExists(t -> t.type = 'QuotedIdentifier' AND match(substring(f, t.begin + 1, t.end - t.begin), '[\\x00-\\x1F\\x7F\\\\]'), tokenizeQuery(f)) AS bad,
           extractAll(f, '\\{([A-Za-z_][A-Za-z0-9_]*):Identifier\\}') AS identifierParams`;
  let out: Uint8Array;
  try {
    out = await ctx.parser.query(check, "JSONEachRow");
  } catch {
    // Not parseable: the engine's own error, positioned in the client's text.
    await ctx.parser.canonical(sql);
    throw uncheckable(user);
  }
  const r = JSON.parse(Buffer.from(out).toString("utf8")) as { bad: number; identifierParams: string[] };
  const unsafe = (v: string | undefined) => v !== undefined && /[\\\x00-\x1f\x7f]/.test(v);
  if (r.bad || r.identifierParams.some((name) => unsafe(params?.[name]))) throw uncheckable(user);
}

async function shapeOf(ctx: AuthorizeContext, user: string, sql: string, params: Record<string, string> | undefined): Promise<ReadShape> {
  const key = params ? `${sql}\u0000${JSON.stringify(params)}` : sql;
  const cacheable = sql.length <= CACHEABLE_BYTES;
  const hit = cacheable ? ctx.shapes.get(key) : undefined;
  if (hit) return hit;
  await assertPlainNames(ctx, user, sql, params);
  let dump: string;
  try {
    dump = await (params ? ctx.withParamLock(() => ctx.parser.explainAst(sql, params)) : ctx.parser.explainAst(sql));
  } catch (e) {
    // A syntax error's position counts from `EXPLAIN AST `; report the one for the client's own text.
    if (e instanceof Error && e.message.startsWith("Code: 62.")) await ctx.parser.canonical(sql);
    throw e;
  }
  const shape = readShape(dump);
  if (cacheable) ctx.shapes.set(key, shape);
  return shape;
}

/** Throws unless the statement only reads what the user was granted. */
export async function authorize(ctx: AuthorizeContext, plan: UserPlan, stmt: Statement, spec: RequestSpec): Promise<void> {
  if (stmt.kind === "insert") throw readonlyStatement(plan);
  const params = Object.keys(spec.params).length > 0 ? spec.params : undefined;
  const shape = await shapeOf(ctx, plan.user.name, stmt.sql, params);
  await authorizeRead(shape, { user: plan.user.name, grants: plan.user.grants, currentDatabase: plan.database }, ctx.functions);
}
