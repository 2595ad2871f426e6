/**
 * @module workspaces/service
 * Creating and listing workspaces: each gets a catalog, a ClickHouse database,
 * a signing secret and a workspace admin token in Tinybird's format.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { signToken } from "../../shared/tokens/format.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";
import type { Env } from "../env.js";
import { catalogStub, workspaceDatabase } from "../auth/principal.js";
import { unwrap } from "../catalog/result.js";

export const WORKSPACE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function directoryStub(env: Env) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("global"));
}

function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function createWorkspace(env: Env, ch: ClickHouseClient, name: string): Promise<{ id: string; name: string; token: string }> {
  const id = crypto.randomUUID();
  const signingSecret = randomSecret();
  const tokenId = crypto.randomUUID();
  const token = await signToken({ u: id, id: tokenId }, signingSecret);
  unwrap(await directoryStub(env).register(id, name));
  const database = workspaceDatabase(id);
  await catalogStub(env, id).ensureWorkspace({
    id,
    name,
    database,
    signingSecret,
    tokens: [{ id: tokenId, name: "workspace admin token", token, scopes: ["ADMIN"] }],
  });
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
  return { id, name, token };
}

/** Every workspace with its admin token (what Tinybird Local's workspace list answers). */
export async function listWorkspaces(env: Env): Promise<Array<{ id: string; name: string; token: string; created_at: string }>> {
  const entries = await directoryStub(env).list();
  return Promise.all(
    entries.map(async (e) => {
      const admin = await catalogStub(env, e.id).getToken("workspace admin token");
      return { id: e.id, name: e.name, token: admin?.token ?? "", created_at: e.created_at };
    }),
  );
}

export async function deleteWorkspace(env: Env, ch: ClickHouseClient, id: string): Promise<void> {
  const info = await catalogStub(env, id).info();
  if (info) await ch.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(info.database)}` });
  await catalogStub(env, id).destroy();
  await directoryStub(env).remove(id);
}
