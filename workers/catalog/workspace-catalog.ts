/**
 * @module catalog/workspace-catalog
 * One SQLite-backed Durable Object per workspace: the strongly consistent home
 * of its catalog. The data lives in four stores (stores/), each owning its
 * tables and their upgrades: the workspace, its tokens, its jobs, its
 * deployments and their manifests. This class only composes them into the
 * RPC surface role code reaches through `client.ts`.
 *
 * Each method runs alone (a DO handles one call at a time between awaits, and
 * these methods do not await), so check-then-write sequences are atomic; the
 * ones that write to more than one store also run in one transaction, so a
 * failure midway leaves neither written.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import type { DeploymentChanges, DeploymentFeedback, DeploymentManifest, DeploymentStatus } from "../../shared/deploy/manifest.js";
import type { CatalogResult } from "./result.js";
import { now, type Store } from "./stores/sql.js";
import { WorkspaceStore, type NewWorkspace, type WorkspaceInfo } from "./stores/workspace.js";
import { TokenStore, type DefaultToken, type MintedTokens, type TokenOrigin, type TokenRecord } from "./stores/tokens.js";
import { JobStore, type JobPatch, type JobRecord, type JobStatus } from "./stores/jobs.js";
import { DeploymentStore, type DeploymentRecord, type Promotion } from "./stores/deployments.js";

// The records of the RPC surface, where its callers have always found them.
export type { WorkspaceInfo, TokenOrigin, TokenRecord, JobStatus, JobRecord, DeploymentRecord, Promotion };

export class WorkspaceCatalog extends DurableObject<Env> {
  private readonly workspace: WorkspaceStore;
  private readonly tokens: TokenStore;
  private readonly jobs: JobStore;
  private readonly deployments: DeploymentStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    this.workspace = new WorkspaceStore(sql);
    this.tokens = new TokenStore(sql);
    this.jobs = new JobStore(sql);
    this.deployments = new DeploymentStore(sql);
    const stores: Store[] = [this.workspace, this.tokens, this.jobs, this.deployments];
    ctx.storage.transactionSync(() => stores.forEach((store) => store.migrate()));
  }

  // ------------------------------------------------------------ workspace

  /**
   * Creates the workspace and its default tokens once; later calls return it
   * unchanged, except that a default token given with a `userId` that has none
   * yet (a catalog older than users) is bound to that user.
   */
  ensureWorkspace(input: NewWorkspace & { tokens: DefaultToken[] }): WorkspaceInfo {
    return this.ctx.storage.transactionSync(() => {
      const existing = this.workspace.info();
      if (existing) {
        this.tokens.bindToUsers(input.tokens);
        return existing;
      }
      const at = now();
      this.workspace.create(input, at);
      this.tokens.addDefaults(input.tokens, at);
      return this.workspace.info()!;
    });
  }

  info(): WorkspaceInfo | undefined {
    return this.workspace.info();
  }

  /** Forgets everything (the workspace was deleted). */
  async destroy(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  signingSecret(): string | undefined {
    return this.workspace.signingSecret();
  }

  // --------------------------------------------------------------- tokens

  resolveToken(token: string): TokenRecord | undefined {
    return this.tokens.resolve(token);
  }

  listTokens(): TokenRecord[] {
    return this.tokens.list();
  }

  getToken(nameOrId: string): TokenRecord | undefined {
    return this.tokens.get(nameOrId);
  }

  /** Inserts a token, or replaces the scopes of the one with that name (keeping its secret). */
  upsertToken(input: { id: string; name: string; token: string; scopes: string[]; origin: TokenOrigin; description?: string }): TokenRecord {
    return this.tokens.upsert(input);
  }

  /** Replaces a token's secret; returns the old and new records. */
  replaceTokenSecret(nameOrId: string, token: string): CatalogResult<{ before: TokenRecord; after: TokenRecord }> {
    return this.tokens.replaceSecret(nameOrId, token);
  }

  deleteToken(nameOrId: string): CatalogResult<TokenRecord> {
    return this.tokens.delete(nameOrId);
  }

  // ----------------------------------------------------------------- jobs

  createJob(input: { id: string; kind: string; datasource?: string; status?: JobStatus }): JobRecord {
    return this.jobs.create(input);
  }

  updateJob(id: string, patch: JobPatch): JobRecord | undefined {
    return this.jobs.update(id, patch);
  }

  getJob(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  listJobs(limit = 100): JobRecord[] {
    return this.jobs.list(limit);
  }

  // ---------------------------------------------------------- deployments

  listDeployments(): DeploymentRecord[] {
    return this.deployments.list();
  }

  getDeployment(id: string, withManifest = false): DeploymentRecord | undefined {
    return this.deployments.get(id, withManifest);
  }

  live(): DeploymentRecord | undefined {
    return this.deployments.live();
  }

  /** Every deployment that still owns ClickHouse objects (not deleted, not failed). */
  activeManifests(): Array<{ id: string; manifest: DeploymentManifest }> {
    return this.deployments.activeManifests();
  }

  /** Opens a new deployment; only one may be in progress or staging at a time. */
  beginDeployment(manifest: DeploymentManifest, changes: DeploymentChanges): CatalogResult<DeploymentRecord> {
    return this.deployments.begin(manifest, changes);
  }

  setDeploymentStatus(id: string, status: DeploymentStatus, feedback?: DeploymentFeedback[]): CatalogResult<DeploymentRecord> {
    return this.deployments.setStatus(id, status, feedback);
  }

  /**
   * Makes `id` live atomically; the previous live deployment is retired but
   * kept for `rollback`. Tokens declared by TOKEN lines follow the live
   * manifest: `newTokens` gives the secret of new ones.
   */
  promote(id: string, newTokens: MintedTokens): CatalogResult<Promotion> {
    return this.ctx.storage.transactionSync(() => this.deployments.promote(id, (manifest) => this.tokens.followManifest(manifest.tokens, newTokens)));
  }

  /** Marks a deployment deleted (its tables are dropped by the caller first). Live ones cannot be. */
  markDeleted(id: string): CatalogResult<DeploymentRecord> {
    return this.deployments.markDeleted(id);
  }

  /** The most recent retired deployment that still has its tables: the rollback target. */
  rollbackTarget(): DeploymentRecord | undefined {
    return this.deployments.rollbackTarget();
  }

  /** Rollback: the rollback target goes live again; the current live one is retired. */
  rollback(): CatalogResult<Promotion> {
    return this.ctx.storage.transactionSync(() => this.deployments.rollback((manifest) => this.tokens.followManifest(manifest.tokens, {})));
  }
}
