/**
 * @module catalog/live-manifest
 * The hot paths' view of a workspace's live deployment: isolate memory first,
 * then KV (written on every promote), the catalog Durable Object last.
 * Manifests never change once created, so they are cached by id forever; only
 * "which id is live" is re-checked, at most every LIVE_TTL_MS per isolate.
 */
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { Env } from "../env.js";

const LIVE_TTL_MS = 1_000;
const liveIds = new Map<string, { id: string | null; at: number }>();
const manifests = new Map<string, DeploymentManifest>();

const liveKey = (ws: string) => `live:${ws}`;
const manifestKey = (ws: string, id: string) => `manifest:${ws}:${id}`;

/** Called by the deploy service after a promote or rollback. */
export async function publishLive(env: Env, workspaceId: string, id: string, manifest: DeploymentManifest): Promise<void> {
  manifests.set(manifestKey(workspaceId, id), manifest);
  liveIds.set(workspaceId, { id, at: Date.now() });
  await env.CACHE.put(manifestKey(workspaceId, id), JSON.stringify(manifest));
  await env.CACHE.put(liveKey(workspaceId), id);
}

export async function liveManifest(env: Env, workspaceId: string): Promise<{ id: string; manifest: DeploymentManifest } | undefined> {
  let live = liveIds.get(workspaceId);
  if (!live || Date.now() - live.at > LIVE_TTL_MS) {
    const fromKv = await env.CACHE.get(liveKey(workspaceId));
    live = { id: fromKv, at: Date.now() };
    if (fromKv === null) {
      const record = await env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId)).live();
      if (record?.manifest) {
        manifests.set(manifestKey(workspaceId, record.id), record.manifest);
        live = { id: record.id, at: Date.now() };
      }
    }
    liveIds.set(workspaceId, live);
  }
  if (live.id === null) return undefined;
  const key = manifestKey(workspaceId, live.id);
  let manifest = manifests.get(key);
  if (!manifest) {
    const text = await env.CACHE.get(key);
    if (text) manifest = JSON.parse(text) as DeploymentManifest;
    else manifest = (await env.WORKSPACE.get(env.WORKSPACE.idFromName(workspaceId)).getDeployment(live.id, true))?.manifest ?? undefined;
    if (!manifest) return undefined;
    manifests.set(key, manifest);
  }
  return { id: live.id, manifest };
}
