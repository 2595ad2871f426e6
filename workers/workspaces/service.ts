/**
 * @module workspaces/service
 * Creating, listing and deleting workspaces, and creating users. Each workspace
 * gets a catalog, a ClickHouse database, a signing secret and a workspace admin
 * token in Tinybird's format, and belongs to one user (the Directory records it).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { signToken } from "../../shared/tokens/format.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";
import type { Env } from "../env.js";
import { dropReaderStatements, forgetReader } from "../clickhouse/workspace-users.js";
import { catalogStub, evictToken, workspaceDatabase } from "../auth/principal.js";
import { evictJwtKey, WORKSPACE_ADMIN_TOKEN } from "../auth/jwt.js";
import { forgetWorkspace } from "../auth/known-workspaces.js";
import type { DirectoryEntry } from "../catalog/directory.js";
import { unwrap } from "../catalog/result.js";

export const WORKSPACE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Names of the default tokens a user's home workspace holds, as in TERN_CREDENTIALS. */
export const USER_TOKEN = "user token";
export const USER_ADMIN_TOKEN = "admin token";

export function directoryStub(env: Env) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("global"));
}

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
async function provision(env: Env, ch: ClickHouseClient, name: string, owner: string, tokens: NewToken[]) {
  const id = crypto.randomUUID();
  const signingSecret = randomSecret();
  const minted = await Promise.all(
    tokens.map(async (t) => {
      const tokenId = crypto.randomUUID();
      return { ...t, id: tokenId, token: await signToken({ u: id, id: tokenId }, signingSecret) };
    }),
  );
  unwrap(await directoryStub(env).register(id, name, owner));
  const database = workspaceDatabase(id);
  await catalogStub(env, id).ensureWorkspace({ id, name, database, signingSecret, tokens: minted });
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
  const secretOf = (tokenName: string) => minted.find((t) => t.name === tokenName)!.token;
  return { id, name, secretOf };
}

/** A workspace owned by `owner`, with one token: its workspace admin token (ADMIN, bound to no user). */
export async function createWorkspace(env: Env, ch: ClickHouseClient, name: string, owner: string): Promise<{ id: string; name: string; token: string }> {
  const ws = await provision(env, ch, name, owner, [{ name: WORKSPACE_ADMIN_TOKEN, scopes: ["ADMIN"] }]);
  return { id: ws.id, name: ws.name, token: ws.secretOf(WORKSPACE_ADMIN_TOKEN) };
}

/**
 * A new user and their home workspace, shaped like the default workspace of
 * TERN_CREDENTIALS: a workspace admin token, the user's admin token and the
 * user token, the last two carrying the new user id. No route calls this yet
 * (Tinybird has no API to create users); it is what a sign-up would run.
 */
export async function createUser(
  env: Env,
  ch: ClickHouseClient,
  homeName: string,
): Promise<{ userId: string; workspace: { id: string; name: string; token: string }; adminToken: string; userToken: string }> {
  const userId = crypto.randomUUID();
  const ws = await provision(env, ch, homeName, userId, [
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
export async function withAdminTokens(env: Env, entries: DirectoryEntry[]): Promise<Array<{ id: string; name: string; token: string; created_at: string }>> {
  return Promise.all(
    entries.map(async (e) => {
      const admin = await catalogStub(env, e.id).getToken(WORKSPACE_ADMIN_TOKEN);
      return { id: e.id, name: e.name, token: admin?.token ?? "", created_at: e.created_at };
    }),
  );
}

/**
 * Drops the database, makes every token of the workspace stop working (KV and
 * this isolate's caches; other isolates' memory lasts at most seconds and finds
 * no workspace behind it), then forgets the catalog and the Directory entry.
 */
export async function deleteWorkspace(env: Env, ch: ClickHouseClient, id: string): Promise<void> {
  const catalog = catalogStub(env, id);
  const info = await catalog.info();
  if (info) {
    await ch.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(info.database)}` });
    for (const query of dropReaderStatements(info.database)) await ch.command({ query });
    forgetReader(info.database);
  }
  for (const t of await catalog.listTokens()) await evictToken(env, t.token);
  evictJwtKey(id);
  await catalog.destroy();
  await directoryStub(env).remove(id);
  forgetWorkspace(id);
}
