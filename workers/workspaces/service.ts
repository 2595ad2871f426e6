/**
 * @module workspaces/service
 * Creating, listing and deleting workspaces, and creating users. Each workspace
 * gets a catalog, a ClickHouse database, a signing secret and a workspace admin
 * token in Tinybird's format, and belongs to one user (the Directory records it).
 */
import { z } from "zod";
import { signToken } from "../../shared/tokens/format.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";
import { kafkaCollectionName } from "../../shared/connectors/kafka-sql.js";
import type { ScopeType } from "../../shared/tokens/scopes.js";
import { BadRequestError, ForbiddenError, invalidRequest, NotFoundError } from "../../shared/errors.js";
import { dropReaderStatements } from "../clickhouse/workspace-users.js";
import { evictToken, type Principal } from "../auth/principal.js";
import { evictJwtKey, WORKSPACE_ADMIN_TOKEN } from "../auth/jwt.js";
import { forgetWorkspace } from "../auth/known-workspaces.js";
import type { DirectoryEntry } from "../catalog/directory.js";
import { branchOwner } from "../catalog/branches.js";
import { workspaceDatabase } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";

/** Up to 128: Tinybird's CLI names its local build workspaces `Tinybird_Local_Build_<sha256 of the folder>` (85). */
export const WORKSPACE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Names of the default tokens a user's home workspace holds, as in TERN_CREDENTIALS. */
export const USER_TOKEN = "user token";
export const USER_ADMIN_TOKEN = "admin token";

function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("");
}

interface NewToken {
  name: string;
  scopes: string[];
  /** Set for the tokens that identify a user. */
  userId?: string;
}

/** Registers the workspace for `owner`, then creates its catalog, default tokens and database. */
async function provision(platform: Platform, name: string, owner: string, tokens: NewToken[]) {
  const id = crypto.randomUUID();
  const signingSecret = randomSecret();
  const minted = await Promise.all(
    tokens.map(async (t) => {
      const tokenId = crypto.randomUUID();
      return { ...t, id: tokenId, token: await signToken({ u: id, id: tokenId }, signingSecret) };
    }),
  );
  await platform.catalog.directory().register(id, name, owner);
  const database = workspaceDatabase(id);
  await platform.catalog.workspace(id).ensureWorkspace({ id, name, database, signingSecret, tokens: minted });
  await platform.clickhouse.admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
  const secretOf = (tokenName: string) => minted.find((t) => t.name === tokenName)!.token;
  return { id, name, secretOf };
}

/** A workspace owned by `owner`, with one token: its workspace admin token (ADMIN, bound to no user). */
export async function createWorkspace(platform: Platform, name: string, owner: string): Promise<{ id: string; name: string; token: string }> {
  const ws = await provision(platform, name, owner, [{ name: WORKSPACE_ADMIN_TOKEN, scopes: ["ADMIN"] }]);
  return { id: ws.id, name: ws.name, token: ws.secretOf(WORKSPACE_ADMIN_TOKEN) };
}

/**
 * A new user and their home workspace, shaped like the default workspace of
 * TERN_CREDENTIALS: a workspace admin token, the user's admin token and the
 * user token, the last two carrying the new user id. No route calls this yet
 * (Tinybird has no API to create users); it is what a sign-up would run.
 */
export async function createUser(
  platform: Platform,
  homeName: string,
): Promise<{ userId: string; workspace: { id: string; name: string; token: string }; adminToken: string; userToken: string }> {
  const userId = crypto.randomUUID();
  const ws = await provision(platform, homeName, userId, [
    { name: WORKSPACE_ADMIN_TOKEN, scopes: ["ADMIN"] },
    { name: USER_ADMIN_TOKEN, scopes: ["ADMIN"], userId },
    { name: USER_TOKEN, scopes: ["ADMIN_USER"], userId },
  ]);
  return {
    userId,
    workspace: { id: ws.id, name: ws.name, token: ws.secretOf(WORKSPACE_ADMIN_TOKEN) },
    adminToken: ws.secretOf(USER_ADMIN_TOKEN),
    userToken: ws.secretOf(USER_TOKEN),
  };
}

/** Directory entries with each workspace's admin token (what Tinybird Local's workspace list answers). */
export async function withAdminTokens(platform: Platform, entries: DirectoryEntry[]): Promise<Array<{ id: string; name: string; token: string; created_at: string }>> {
  return Promise.all(
    entries.map(async (e) => {
      const admin = await platform.catalog.workspace(e.id).getToken(WORKSPACE_ADMIN_TOKEN);
      return { id: e.id, name: e.name, token: admin?.token ?? "", created_at: e.created_at };
    }),
  );
}

/**
 * Deletes its branches, drops the database, makes every token of the workspace stop working (KV and
 * this isolate's caches; other isolates' memory lasts at most seconds and finds
 * no workspace behind it), then forgets the catalog and the Directory entry.
 */
export async function deleteWorkspace(platform: Platform, id: string): Promise<void> {
  // Its branches first (workspaces of their own, docs/branches.md): nothing of it outlives it.
  for (const branch of await platform.catalog.directory().list(branchOwner(id))) await deleteWorkspace(platform, branch.id);
  const catalog = platform.catalog.workspace(id);
  const ch = platform.clickhouse.admin;
  const info = await catalog.info();
  if (info) {
    // Named collections are server-wide: DROP DATABASE leaves the Kafka consumers' ones behind.
    const queues = await ch.query({
      query: "SELECT name FROM system.tables WHERE database = {db:String} AND engine = 'Kafka'",
      query_params: { db: info.database },
      format: "JSONEachRow",
    });
    const collections = ((await queues.json()) as Array<{ name: string }>).map((t) => kafkaCollectionName(info.database, t.name));
    await ch.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(info.database)}` });
    for (const c of collections) await ch.command({ query: `DROP NAMED COLLECTION IF EXISTS ${quoteIdentifier(c)}` });
    for (const query of dropReaderStatements(info.database)) await ch.command({ query });
    platform.clickhouse.forgetReader(info.database);
  }
  for (const t of await catalog.listTokens()) await evictToken(platform, t.token);
  evictJwtKey(id);
  await catalog.destroy();
  await platform.catalog.directory().remove(id);
  forgetWorkspace(id);
}

// ------------------------------------------------ what a caller may do (routes.ts)

const holds = (p: Principal, type: ScopeType) => p.scopes.some((s) => s.type === type);

/** The user id of a user token (ADMIN_USER, bound to a user); only it creates and deletes workspaces. */
export function userTokenOwner(principal: Principal, doing: "creating" | "deleting"): string {
  if (principal.userId === undefined || !holds(principal, "ADMIN_USER")) {
    throw new ForbiddenError(`Permission denied: ${doing} a workspace needs a user token (scope ADMIN_USER); a workspace admin token acts on its own workspace only`);
  }
  return principal.userId;
}

const CreateWorkspace = z.object({
  name: z.string({ error: "The workspace 'name' is required" }).regex(WORKSPACE_NAME, "Workspace names start with a letter or _ and use only letters, digits and _ (at most 128)"),
});

/** A new workspace of the caller's user; `params` as sent (`name`). */
export async function createOwnWorkspace(platform: Platform, principal: Principal, params: Record<string, string>) {
  const owner = userTokenOwner(principal, "creating");
  const parsed = CreateWorkspace.safeParse(params);
  if (!parsed.success) throw invalidRequest(parsed.error);
  return createWorkspace(platform, parsed.data.name, owner);
}

/**
 * A user's tokens (the user token, and the user's admin token, which Tinybird's
 * SDK lists with) get every workspace of that user; any other ADMIN token gets
 * its own workspace only, so a workspace admin token never learns another
 * workspace's token.
 */
/** Which workspaces a list holds (Tinybird's `with_environments`, `only_environments`): branches are left out by default. */
export interface ListOptions {
  withEnvironments?: boolean;
  onlyEnvironments?: boolean;
}

export async function listWorkspaces(platform: Platform, principal: Principal, options: ListOptions = {}) {
  const directory = platform.catalog.directory();
  let entries;
  if (principal.userId !== undefined && (holds(principal, "ADMIN_USER") || holds(principal, "ADMIN"))) entries = await directory.list(principal.userId);
  else if (holds(principal, "ADMIN")) entries = [await directory.byId(principal.workspaceId)].filter((e) => e !== undefined);
  else throw new ForbiddenError("Permission denied: listing workspaces needs a user token or an admin token");
  // Tinybird's fields that its CLI reads (`tb workspace ls|current`, `tb branch`): the caller's workspace `id` beside the
  // list, each workspace's `role` and `plan`, and whether it is a branch (`is_branch`, its workspace in `main`).
  // `organization`: every workspace is in the one local organization (`tb workspace create` picks it).
  const shaped = async (list: DirectoryEntry[], main: string | null) =>
    (await withAdminTokens(platform, list)).map((w) => ({
      ...w,
      role: "admin",
      plan: "dev",
      is_branch: main !== null,
      main,
      organization: { ...LOCAL_ORGANIZATION, role: "admin" },
    }));
  const mains = options.onlyEnvironments ? [] : await shaped(entries, null);
  // A branch is a workspace of its own, owned in the Directory by `branch:<its workspace's id>`.
  const branches = options.withEnvironments || options.onlyEnvironments
    ? (await Promise.all(entries.map(async (e) => shaped(await directory.list(branchOwner(e.id)), e.id)))).flat()
    : [];
  return { id: principal.workspaceId, organization_id: LOCAL_ORGANIZATION.id, workspaces: [...mains, ...branches] };
}

/** The one organization every workspace belongs to. */
const LOCAL_ORGANIZATION = { id: "local", name: "local" };

/** `GET /v0/auth`: whether the token is valid (it is, once resolved) and whether it is a user token (`tb workspace create|delete` check it). */
export function authInfo(principal: Principal) {
  return { is_valid: true, is_user: principal.userId !== undefined && holds(principal, "ADMIN_USER") };
}

/** Deletes a workspace of the caller's user, by id or name (never the caller's own). */
export async function deleteOwnWorkspace(platform: Platform, principal: Principal, idOrName: string) {
  const owner = userTokenOwner(principal, "deleting");
  // Another user's workspace answers exactly like a missing one, so ids cannot be probed.
  const entry = await platform.catalog.directory().owned(owner, idOrName);
  if (!entry) throw new NotFoundError(`Workspace '${idOrName}' not found`);
  if (entry.id === principal.workspaceId) throw new BadRequestError("A token cannot delete its own workspace");
  await deleteWorkspace(platform, entry.id);
  return { result: "success", id: entry.id, name: entry.name };
}
