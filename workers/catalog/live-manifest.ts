/**
 * @module catalog/live-manifest
 * The hot paths' view of a workspace's live deployment: isolate memory first,
 * then KV (written on every promote), the catalog Durable Object last.
 * Manifests never change once created, so they are cached by id until evicted;
 * only "which id is live" is re-checked, at most every second per isolate
 * (`liveDeployments` in platform/caches.ts). The live pointer also says when
 * that deployment went live: a rollback makes an older id live again, and what
 * was cached under that id before (endpoint answers) must not come back.
 */
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { Bindings } from "../env.js";
import { isolateCache } from "../platform/caches.js";

/** A deployment that is live, with its (immutable) manifest. */
export interface LiveDeployment {
  id: string;
  manifest: DeploymentManifest;
  /** When it went live (the deployment's `updated_at` at promote or rollback); "" when not known. */
  since: string;
}

type Stores = Pick<Bindings, "WORKSPACE" | "CACHE">;

const liveIds = isolateCache<{ id: string; since: string } | null>("liveDeployments");
const manifests = isolateCache<DeploymentManifest>("manifests");

const liveKey = (ws: string) => `live:${ws}`;
const manifestKey = (ws: string, id: string) => `manifest:${ws}:${id}`;

/** The KV value of the live pointer: `<id> <since>` (a bare id, as written before `since`, reads as since ""). */
function parseLive(value: string): { id: string; since: string } {
  const space = value.indexOf(" ");
  return space < 0 ? { id: value, since: "" } : { id: value.slice(0, space), since: value.slice(space + 1) };
}

/** Called by the deploy service after a promote or rollback. */
export async function publishLive(stores: Stores, workspaceId: string, id: string, manifest: DeploymentManifest, since: string): Promise<void> {
  manifests.set(manifestKey(workspaceId, id), manifest);
  liveIds.set(workspaceId, { id, since });
  await stores.CACHE.put(manifestKey(workspaceId, id), JSON.stringify(manifest));
  await stores.CACHE.put(liveKey(workspaceId), `${id} ${since}`);
}

export async function liveManifest(stores: Stores, workspaceId: string): Promise<LiveDeployment | undefined> {
  let live = liveIds.entry(workspaceId)?.value;
  if (live === undefined) {
    const value = await stores.CACHE.get(liveKey(workspaceId));
    live = value === null ? null : parseLive(value);
    if (live === null) {
      const record = await stores.WORKSPACE.get(stores.WORKSPACE.idFromName(workspaceId)).live();
      if (record?.manifest) {
        manifests.set(manifestKey(workspaceId, record.id), record.manifest);
        live = { id: record.id, since: record.updated_at };
      }
    }
    liveIds.set(workspaceId, live);
  }
  if (live === null) return undefined;
  const { id, since } = live;
  const key = manifestKey(workspaceId, id);
  let manifest = manifests.get(key);
  if (!manifest) {
    const text = await stores.CACHE.get(key);
    if (text) manifest = JSON.parse(text) as DeploymentManifest;
    else manifest = (await stores.WORKSPACE.get(stores.WORKSPACE.idFromName(workspaceId)).getDeployment(id, true))?.manifest ?? undefined;
    if (!manifest) return undefined;
    manifests.set(key, manifest);
  }
  return { id, manifest, since };
}
