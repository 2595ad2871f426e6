/**
 * @module catalog/live-manifest
 * The hot paths' view of a workspace's live deployment: isolate memory first,
 * then KV (written on every promote), the catalog Durable Object last.
 * Manifests never change once created, so they are cached by id until evicted;
 * only "which id is live" is re-checked, at most every second per isolate
 * (`liveDeployments` in platform/caches.ts).
 */
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { Bindings } from "../env.js";
import { isolateCache } from "../platform/caches.js";

/** A deployment that is live, with its (immutable) manifest. */
export interface LiveDeployment {
  id: string;
  manifest: DeploymentManifest;
}

type Stores = Pick<Bindings, "WORKSPACE" | "CACHE">;

const liveIds = isolateCache<string | null>("liveDeployments");
const manifests = isolateCache<DeploymentManifest>("manifests");

const liveKey = (ws: string) => `live:${ws}`;
const manifestKey = (ws: string, id: string) => `manifest:${ws}:${id}`;

/** Called by the deploy service after a promote or rollback. */
export async function publishLive(stores: Stores, workspaceId: string, id: string, manifest: DeploymentManifest): Promise<void> {
  manifests.set(manifestKey(workspaceId, id), manifest);
  liveIds.set(workspaceId, id);
  await stores.CACHE.put(manifestKey(workspaceId, id), JSON.stringify(manifest));
  await stores.CACHE.put(liveKey(workspaceId), id);
}

export async function liveManifest(stores: Stores, workspaceId: string): Promise<LiveDeployment | undefined> {
  let id = liveIds.entry(workspaceId)?.value;
  if (id === undefined) {
    id = await stores.CACHE.get(liveKey(workspaceId));
    if (id === null) {
      const record = await stores.WORKSPACE.get(stores.WORKSPACE.idFromName(workspaceId)).live();
      if (record?.manifest) {
        manifests.set(manifestKey(workspaceId, record.id), record.manifest);
        id = record.id;
      }
    }
    liveIds.set(workspaceId, id);
  }
  if (id === null) return undefined;
  const key = manifestKey(workspaceId, id);
  let manifest = manifests.get(key);
  if (!manifest) {
    const text = await stores.CACHE.get(key);
    if (text) manifest = JSON.parse(text) as DeploymentManifest;
    else manifest = (await stores.WORKSPACE.get(stores.WORKSPACE.idFromName(workspaceId)).getDeployment(id, true))?.manifest ?? undefined;
    if (!manifest) return undefined;
    manifests.set(key, manifest);
  }
  return { id, manifest };
}
