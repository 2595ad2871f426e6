/**
 * What a request by a user created with CREATE USER may do, decided before it
 * reaches the engine: its settings (settings-check.ts), how many of its
 * queries may run at once (`max_concurrent_queries_for_user`), its quotas
 * (quota.ts) and what it reads (read-access.ts).
 */
import type { Profile, User } from "./access-store.js";
import { ClickHouseException, Codes } from "./errors.js";
import type { EngineParser, Lru } from "./parser.js";
import { authorizeRead, readShape, type FunctionCatalog, type ReadShape } from "./read-access.js";
import type { RequestSpec } from "./request.js";
import { checkSettings, type CheckedSettings } from "./settings-check.js";
import type { Statement } from "./statement.js";

/** Statements up to this size get their read shape cached. */
const CACHEABLE_BYTES = 64 * 1024;

export interface UserPlan {
  user: User;
  settings: CheckedSettings;
  /** The database unqualified names resolve in (the request's, else the user's default). */
  database: string;
}

export function planUser(user: User, profile: Profile | undefined, spec: RequestSpec, defaults: ReadonlyMap<string, string>): UserPlan {
  const settings = checkSettings(profile, spec.settings, defaults, spec.method);
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

async function shapeOf(ctx: AuthorizeContext, sql: string, params: Record<string, string> | undefined): Promise<ReadShape> {
  const key = params ? `${sql}\u0000${JSON.stringify(params)}` : sql;
  const cacheable = sql.length <= CACHEABLE_BYTES;
  const hit = cacheable ? ctx.shapes.get(key) : undefined;
  if (hit) return hit;
  let dump: string;
  try {
    dump = await (params ? ctx.withParamLock(() => ctx.parser.explainAst(sql, params)) : ctx.parser.explainAst(sql));
  } catch (e) {
    // A syntax error's position counts from `EXPLAIN AST `; report the one for the client's own text.
    if (e instanceof Error && /^Code: 62\./.test(e.message)) await ctx.parser.canonical(sql);
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
  const shape = await shapeOf(ctx, stmt.sql, params);
  await authorizeRead(shape, { user: plan.user.name, grants: plan.user.grants, currentDatabase: plan.database }, ctx.functions);
}
