/**
 * @module auth/known-workspaces
 * A static token or a JWT names its workspace before anything about it is
 * proven. Two checks come before the token itself is looked up: the workspace
 * must be in the Directory (asking a catalog Durable Object by a made-up id
 * would bring one into being), and a static token's signature must verify with
 * that workspace's secret, so a forged or unsigned payload never reaches KV or
 * the catalog's token table. Both answers are kept per isolate for a minute.
 */
import { readConfig, type Env } from "../env.js";

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;
const known = new Map<string, { exists: boolean; secret?: string | undefined; at: number }>();

function fresh(workspaceId: string) {
  const hit = known.get(workspaceId);
  return hit && Date.now() - hit.at < TTL_MS ? hit : undefined;
}

function remember(workspaceId: string, value: { exists: boolean; secret?: string | undefined }) {
  if (known.size >= MAX_ENTRIES) known.clear(); // made-up ids must not grow the map without bound
  const entry = { ...value, at: Date.now() };
  known.set(workspaceId, entry);
  return entry;
}

/** True when the Directory lists the workspace, or it is the configured default workspace. */
export async function isKnownWorkspace(env: Env, workspaceId: string): Promise<boolean> {
  const hit = fresh(workspaceId);
  if (hit) return hit.exists;
  // The default workspace needs no Directory entry: its listing can fail (a name
  // its user already gave another workspace) and its tokens must still work.
  if (readConfig(env).credentials?.workspaceId === workspaceId) return remember(workspaceId, { exists: true }).exists;
  const entry = await env.DIRECTORY.get(env.DIRECTORY.idFromName("global")).byId(workspaceId);
  return remember(workspaceId, { exists: entry !== undefined }).exists;
}

/** The HMAC secret of a listed workspace's static tokens; undefined for an unknown workspace. */
export async function signingSecretOf(env: Env, workspaceId: string): Promise<string | undefined> {
  const hit = fresh(workspaceId);
  if (hit && (!hit.exists || hit.secret !== undefined)) return hit.secret;
  if (!(await isKnownWorkspace(env, workspaceId))) return undefined;
  const secret = await env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId)).signingSecret();
  return remember(workspaceId, { exists: secret !== undefined, secret }).secret;
}

/** Forgets a workspace in this isolate (it was deleted). */
export function forgetWorkspace(workspaceId: string): void {
  known.delete(workspaceId);
}
