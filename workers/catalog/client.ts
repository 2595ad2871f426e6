/**
 * @module catalog/client
 * The one way role code reaches the catalogs: a workspace's `WorkspaceCatalog`
 * Durable Object, the deployment's `Directory`, the live deployment (hot-path
 * cache in `live-manifest.ts`) and the name of a workspace's ClickHouse
 * database. Built from the bindings by `platform/`.
 *
 * The objects answer refusals as values (result.ts: RPC would lose the error
 * class); here, and only here, they become TernErrors, so callers get the
 * value or a thrown 400/404/409.
 */
import type { DurableObject } from "cloudflare:workers";
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { Bindings } from "../env.js";
import type { Directory } from "./directory.js";
import type { WorkspaceCatalog } from "./workspace-catalog.js";
import { liveManifest, publishLive, type LiveDeployment } from "./live-manifest.js";
import { unwrap, type CatalogResult } from "./result.js";

export type { LiveDeployment };
export type WorkspaceCatalogStub = DurableObjectStub<WorkspaceCatalog>;
export type DirectoryStub = DurableObjectStub<Directory>;

/** What a call answers once a refusal is thrown: `CatalogResult<T>` becomes `T`. */
type Settled<R> = Awaited<R> extends CatalogResult<infer T> ? T : Awaited<R>;

/** A Durable Object's RPC methods as the client offers them: asynchronous, refusals thrown. */
type ClientOf<O> = {
  [K in Exclude<keyof O, keyof DurableObject>]: O[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Settled<R>> : never;
};

export type WorkspaceCatalogClient = ClientOf<WorkspaceCatalog>;
export type DirectoryClient = ClientOf<Directory>;

export interface CatalogClient {
  /** The workspace's catalog: workspace, tokens, jobs, deployments. */
  workspace(workspaceId: string): WorkspaceCatalogClient;
  /** Every workspace and its owner (one object for the deployment). */
  directory(): DirectoryClient;
  /** The live deployment of a workspace, if any (isolate memory → KV → catalog). */
  liveDeployment(workspaceId: string): Promise<LiveDeployment | undefined>;
  /** Makes `id` the live deployment everywhere the hot paths look (after promote or rollback). */
  publishLive(workspaceId: string, id: string, manifest: DeploymentManifest, since: string): Promise<void>;
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
    workspace: (workspaceId) => workspaceCatalogClient(bindings.WORKSPACE.get(bindings.WORKSPACE.idFromName(workspaceId))),
    directory: () => directoryClient(bindings.DIRECTORY.get(bindings.DIRECTORY.idFromName("global"))),
    liveDeployment: (workspaceId) => liveManifest(bindings, workspaceId),
    publishLive: (workspaceId, id, manifest, since) => publishLive(bindings, workspaceId, id, manifest, since),
  };
}

function workspaceCatalogClient(stub: WorkspaceCatalogStub): WorkspaceCatalogClient {
  return {
    ensureWorkspace: (input) => stub.ensureWorkspace(input),
    info: () => stub.info(),
    destroy: () => stub.destroy(),
    signingSecret: () => stub.signingSecret(),

    resolveToken: (token) => stub.resolveToken(token),
    listTokens: () => stub.listTokens(),
    getToken: (nameOrId) => stub.getToken(nameOrId),
    upsertToken: (input) => stub.upsertToken(input),
    replaceTokenSecret: async (nameOrId, token) => unwrap(await stub.replaceTokenSecret(nameOrId, token)),
    deleteToken: async (nameOrId) => unwrap(await stub.deleteToken(nameOrId)),

    createJob: (input) => stub.createJob(input),
    updateJob: (id, patch) => stub.updateJob(id, patch),
    getJob: (id) => stub.getJob(id),
    listJobs: (filter) => stub.listJobs(filter),
    beginRun: async (run, limits) => unwrap(await stub.beginRun(run, limits)),
    claimScheduledRuns: (pipes, nowIso, limits, details) => stub.claimScheduledRuns(pipes, nowIso, limits, details),
    startJob: (id) => stub.startJob(id),
    heartbeat: (id) => stub.heartbeat(id),
    endJob: (id, patch) => stub.endJob(id, patch),
    cancelJob: async (id) => unwrap(await stub.cancelJob(id)),
    setPipePaused: (pipe, paused, nowIso) => stub.setPipePaused(pipe, paused, nowIso),
    pipeSchedules: () => stub.pipeSchedules(),
    upstreamFinished: (upstream, downstreams, atIso, limits) => stub.upstreamFinished(upstream, downstreams, atIso, limits),
    startReadyDownstreams: (downstreams, atIso, limits, after) => stub.startReadyDownstreams(downstreams, atIso, limits, after),

    listDeployments: () => stub.listDeployments(),
    getDeployment: (id, withManifest) => stub.getDeployment(id, withManifest),
    live: () => stub.live(),
    activeManifests: () => stub.activeManifests(),
    beginDeployment: async (manifest, changes) => unwrap(await stub.beginDeployment(manifest, changes)),
    setDeploymentStatus: async (id, status, feedback) => unwrap(await stub.setDeploymentStatus(id, status, feedback)),
    promote: async (id, newTokens) => unwrap(await stub.promote(id, newTokens)),
    markDeleted: async (id) => unwrap(await stub.markDeleted(id)),
    rollbackTarget: () => stub.rollbackTarget(),
    rollback: async () => unwrap(await stub.rollback()),

    listSecrets: () => stub.listSecrets(),
    getSecret: (name) => stub.getSecret(name),
    secretValues: () => stub.secretValues(),
    createSecret: async (name, value) => unwrap(await stub.createSecret(name, value)),
    updateSecret: async (name, value) => unwrap(await stub.updateSecret(name, value)),
    deleteSecret: async (name) => unwrap(await stub.deleteSecret(name)),
    copySecrets: (values) => stub.copySecrets(values),
  };
}

function directoryClient(stub: DirectoryStub): DirectoryClient {
  return {
    register: async (id, name, owner) => unwrap(await stub.register(id, name, owner)),
    byId: (id) => stub.byId(id),
    owned: (owner, idOrName) => stub.owned(owner, idOrName),
    list: (owner) => stub.list(owner),
    all: () => stub.all(),
    remove: (id) => stub.remove(id),
  };
}
