/**
 * @module catalog/client
 * The one way role code reaches the catalogs: a workspace's `WorkspaceCatalog`
 * Durable Object, the deployment's `Directory`, the live deployment (hot-path
 * cache in `live-manifest.ts`) and the name of a workspace's ClickHouse
 * database. Built from the bindings by `platform/`.
 */
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { Bindings } from "../env.js";
import type { Directory } from "./directory.js";
import type { WorkspaceCatalog } from "./workspace-catalog.js";
import { liveManifest, publishLive, type LiveDeployment } from "./live-manifest.js";

export type { LiveDeployment };
export type WorkspaceCatalogStub = DurableObjectStub<WorkspaceCatalog>;
export type DirectoryStub = DurableObjectStub<Directory>;

export interface CatalogClient {
  /** The workspace's catalog: workspace, tokens, jobs, deployments. */
  workspace(workspaceId: string): WorkspaceCatalogStub;
  /** Every workspace and its owner (one object for the deployment). */
  directory(): DirectoryStub;
  /** The live deployment of a workspace, if any (isolate memory → KV → catalog). */
  liveDeployment(workspaceId: string): Promise<LiveDeployment | undefined>;
  /** Makes `id` the live deployment everywhere the hot paths look (after promote or rollback). */
  publishLive(workspaceId: string, id: string, manifest: DeploymentManifest): Promise<void>;
}

/**
 * The user of TERN_CREDENTIALS (the deployment's first user). A constant rather
 * than something derived from the credentials, so the workspaces it created keep
 * their owner if the credentials are ever re-minted.
 */
export const DEFAULT_USER_ID = "default";

/** ClickHouse database of a workspace: ids are UUIDs, databases need plain names. */
export function workspaceDatabase(workspaceId: string): string {
  return `tern_${workspaceId.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}`;
}

export function catalogClient(bindings: Pick<Bindings, "WORKSPACE" | "DIRECTORY" | "CACHE">): CatalogClient {
  return {
    workspace: (workspaceId) => bindings.WORKSPACE.get(bindings.WORKSPACE.idFromName(workspaceId)),
    directory: () => bindings.DIRECTORY.get(bindings.DIRECTORY.idFromName("global")),
    liveDeployment: (workspaceId) => liveManifest(bindings, workspaceId),
    publishLive: (workspaceId, id, manifest) => publishLive(bindings, workspaceId, id, manifest),
  };
}
