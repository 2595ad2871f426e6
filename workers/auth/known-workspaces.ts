/**
 * @module auth/known-workspaces
 * A static token or a JWT names its workspace before anything about it is
 * proven. Two checks come before the token itself is looked up: the workspace
 * must be in the Directory (asking a catalog Durable Object by a made-up id
 * would bring one into being), and a static token's signature must verify with
 * that workspace's secret, so a forged or unsigned payload never reaches KV or
 * the catalog's token table. Both answers are kept per isolate for a minute
 * (`knownWorkspaces` in platform/caches.ts).
 */
import type { Platform } from "../platform/platform.js";
import { isolateCache } from "../platform/caches.js";

const known = isolateCache<{ exists: boolean; secret?: string | undefined }>("knownWorkspaces");

/** True when the Directory lists the workspace, or it is the configured default workspace. */
export async function isKnownWorkspace(platform: Platform, workspaceId: string): Promise<boolean> {
  const hit = known.get(workspaceId);
  if (hit) return hit.exists;
  // The default workspace needs no Directory entry: its listing can fail (a name
  // its user already gave another workspace) and its tokens must still work.
  if (platform.config.credentials?.workspaceId === workspaceId) return known.set(workspaceId, { exists: true }).exists;
  const entry = await platform.catalog.directory().byId(workspaceId);
  return known.set(workspaceId, { exists: entry !== undefined }).exists;
}

/** The HMAC secret of a listed workspace's static tokens; undefined for an unknown workspace. */
export async function signingSecretOf(platform: Platform, workspaceId: string): Promise<string | undefined> {
  const hit = known.get(workspaceId);
  if (hit && (!hit.exists || hit.secret !== undefined)) return hit.secret;
  if (!(await isKnownWorkspace(platform, workspaceId))) return undefined;
  const secret = await platform.catalog.workspace(workspaceId).signingSecret();
  return known.set(workspaceId, { exists: secret !== undefined, secret }).secret;
}

/** Forgets a workspace in this isolate (it was deleted). */
export function forgetWorkspace(workspaceId: string): void {
  known.delete(workspaceId);
}
