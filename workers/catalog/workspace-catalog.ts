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
import { fail, type CatalogResult } from "./result.js";
import { now, type Store } from "./stores/sql.js";
import { WorkspaceStore, type NewWorkspace, type WorkspaceInfo } from "./stores/workspace.js";
import { TokenStore, type DefaultToken, type MintedTokens, type TokenOrigin, type TokenRecord } from "./stores/tokens.js";
import { ENDED, JobStore, type JobFilter, type JobPatch, type JobRecord, type JobStatus, type NewJob } from "./stores/jobs.js";
import { ScheduleStore, type ScheduleState } from "./stores/schedules.js";
import { decideScheduledRuns, firstSightWindowStart, type ScheduleDecision, type ScheduledPipe } from "../../shared/deploy/schedule.js";
import { upstreamsReady } from "../../shared/deploy/copy-dag.js";
import { DeploymentStore, type DeploymentRecord, type Promotion } from "./stores/deployments.js";
import { SecretStore, type SecretRecord } from "./stores/secrets.js";

// The records of the RPC surface, where its callers have always found them.
export type { SecretRecord };
export type { WorkspaceInfo, TokenOrigin, TokenRecord, JobStatus, JobRecord, JobFilter, NewJob, DeploymentRecord, Promotion, ScheduleState, ScheduleDecision, ScheduledPipe };

/** The bounds on a workspace's runs (copies, sinks) that the catalog enforces. */
export interface RunLimits {
  /** Job kinds that count as runs. */
  kinds: string[];
  /** Runs one workspace may have waiting or working at once. */
  maxUnfinished: number;
  /** A waiting or working run not updated for this long is abandoned: its job becomes `error` and its pipe is free. */
  staleAfterMs: number;
}

/**
 * A run to start: its job (waiting) and the lock it holds: its pipe's, or
 * `lock` for a run that holds no pipe (an import: `import:<datasource>`).
 */
export type NewRun = NewJob & ({ pipe: string; lock?: string } | { lock: string });

export class WorkspaceCatalog extends DurableObject<Env> {
  private readonly workspace: WorkspaceStore;
  private readonly tokens: TokenStore;
  private readonly jobs: JobStore;
  private readonly deployments: DeploymentStore;
  private readonly schedules: ScheduleStore;
  private readonly secrets: SecretStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    this.workspace = new WorkspaceStore(sql);
    this.tokens = new TokenStore(sql);
    this.jobs = new JobStore(sql);
    this.deployments = new DeploymentStore(sql);
    this.schedules = new ScheduleStore(sql);
    this.secrets = new SecretStore(sql);
    const stores: Store[] = [this.workspace, this.tokens, this.jobs, this.deployments, this.schedules, this.secrets];
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

  createJob(input: NewJob): JobRecord {
    return this.jobs.create(input);
  }

  updateJob(id: string, patch: JobPatch): JobRecord | undefined {
    return this.jobs.update(id, patch);
  }

  getJob(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  listJobs(filter: JobFilter | number = 100): JobRecord[] {
    return this.jobs.list(filter);
  }

  // ----------------------------------------------------- runs (copy, sink)
  // A run is a job that holds its pipe: created with the pipe's lock, which
  // it keeps until it ends, so two runs of one pipe never overlap.

  /** Starts a run on request: 409 while the pipe's previous run is unfinished, 429 past the workspace's cap. */
  beginRun(run: NewRun, limits: RunLimits): CatalogResult<JobRecord> {
    return this.ctx.storage.transactionSync(() => {
      this.freeAbandoned(limits);
      const lock = this.schedules.lock(lockOf(run));
      if (lock) return fail(409, `A run of '${run.pipe ?? run.datasource ?? lockOf(run)}' is already in progress (job ${lock.job_id}); runs of a pipe never overlap. Wait for it to finish, or cancel it with POST /v0/jobs/${lock.job_id}/cancel`);
      if (this.jobs.unfinished(limits.kinds).length >= limits.maxUnfinished) {
        return fail(429, `This workspace already has ${limits.maxUnfinished} copy, sink or import runs waiting or working; try again when one has finished`);
      }
      return { ok: true, value: this.createRun(run) };
    });
  }

  /**
   * One cron tick for this workspace: which of its scheduled pipes run now
   * (shared/deploy/schedule.ts decides), their jobs created and pipes locked,
   * windows advanced, all in one transaction.
   */
  claimScheduledRuns(pipes: ScheduledPipe[], nowIso: string, limits: RunLimits, details: Record<string, Record<string, string>> = {}): { runs: JobRecord[]; decisions: ScheduleDecision[] } {
    return this.ctx.storage.transactionSync(() => {
      this.freeAbandoned(limits);
      const states = new Map(
        pipes.map((p) => {
          const state = this.schedules.state(p.pipe);
          return [p.pipe, { lastFireAt: state?.last_fire_at ?? undefined, paused: state?.paused ?? false, locked: this.schedules.lock(p.pipe) !== undefined }] as const;
        }),
      );
      const free = limits.maxUnfinished - this.jobs.unfinished(limits.kinds).length;
      const decisions = decideScheduledRuns(pipes, states, new Date(nowIso), free);
      const byKey = new Map(pipes.map((p) => [p.pipe, p] as const));
      const runs: JobRecord[] = [];
      for (const d of decisions) {
        const scheduled = byKey.get(d.pipe);
        if (d.action === "run" || d.action === "skip") this.schedules.setLastFire(d.pipe, d.fireAt);
        // First sight and nothing run: the window it was given is kept, so what falls due after it is not lost
        // (a @once schedule has no window: it stays due until it runs).
        else if (states.get(d.pipe)?.lastFireAt === undefined && !scheduled?.once) this.schedules.setLastFire(d.pipe, firstSightWindowStart(new Date(nowIso)).toISOString());
        if (d.action !== "run") continue;
        const datasource = scheduled?.import ?? details[d.pipe]?.datasource;
        runs.push(
          this.createRun({
            id: crypto.randomUUID(),
            kind: d.kind,
            // An import's job names its datasource and holds the import's key as its lock.
            ...(scheduled?.import ? { lock: d.pipe } : { pipe: d.pipe }),
            ...(datasource ? { datasource } : {}),
            details: { trigger: "schedule", job_timestamp: d.fireAt, params: "{}", options: "{}" },
          }),
        );
      }
      return { runs, decisions };
    });
  }

  /** waiting → working (the consumer took it); an ended job is answered as it is. */
  startJob(id: string): JobRecord | undefined {
    const job = this.jobs.get(id);
    if (!job || job.status !== "waiting") return job;
    return this.jobs.update(id, { status: "working" });
  }

  /** A working run is alive (the runtime calls this while it runs); answers the job, so a runner learns it was cancelled. */
  heartbeat(id: string): JobRecord | undefined {
    const job = this.jobs.get(id);
    if (!job || ENDED.has(job.status)) return job;
    return this.jobs.update(id, {});
  }

  /** Ends a job (unless it already ended, e.g. cancelled) and frees the pipe it held. */
  endJob(id: string, patch: JobPatch & { status: "done" | "error" | "cancelled" }): JobRecord | undefined {
    return this.ctx.storage.transactionSync(() => {
      const job = this.jobs.update(id, patch);
      this.schedules.releaseLockOf(id);
      return job;
    });
  }

  /** Cancels a waiting or working job and frees its pipe: 404 for no such job, 409 for one that already ended. */
  cancelJob(id: string): CatalogResult<JobRecord> {
    return this.ctx.storage.transactionSync(() => {
      const job = this.jobs.get(id);
      if (!job) return fail(404, `Job '${id}' not found`);
      if (ENDED.has(job.status)) return fail(409, `Job '${id}' has already ended (${job.status}) and cannot be cancelled`);
      const cancelled = this.jobs.update(id, { status: "cancelled", error: "Cancelled by request (POST /v0/jobs/<id>/cancel)" })!;
      this.schedules.releaseLockOf(id);
      return { ok: true, value: cancelled };
    });
  }

  /** Pauses or resumes a pipe's schedule (missed runs are not caught up on resume). */
  setPipePaused(pipe: string, paused: boolean, nowIso: string): ScheduleState {
    return this.ctx.storage.transactionSync(() => {
      // Resuming starts the window now: what was missed while paused stays missed.
      if (!paused) this.schedules.setLastFire(pipe, nowIso);
      return this.schedules.setPaused(pipe, paused);
    });
  }

  pipeSchedules(): ScheduleState[] {
    return this.schedules.states();
  }

  /**
   * `upstream` finished a run at `atIso`: each copy that runs after it
   * (`COPY_AFTER`) and now has all its upstreams done since its own last run
   * gets a run, unless its previous run is unfinished (it is looked at again
   * when that run ends) or the workspace is at its cap.
   */
  upstreamFinished(upstream: string, downstreams: Array<{ pipe: string; after: string[]; datasource?: string }>, atIso: string, limits: RunLimits): JobRecord[] {
    return this.ctx.storage.transactionSync(() => {
      this.schedules.upstreamDone(downstreams.map((d) => d.pipe), upstream, atIso);
      return this.startReadyDownstreams(downstreams, atIso, limits, upstream);
    });
  }

  /** Downstream copies whose upstreams are all done, started now (also asked when a downstream run ends). */
  startReadyDownstreams(downstreams: Array<{ pipe: string; after: string[]; datasource?: string }>, atIso: string, limits: RunLimits, after = ""): JobRecord[] {
    return this.ctx.storage.transactionSync(() => {
      this.freeAbandoned(limits);
      const runs: JobRecord[] = [];
      for (const d of downstreams) {
        if (!upstreamsReady(d.after, this.schedules.upstreams(d.pipe))) continue;
        if (this.schedules.lock(d.pipe) || this.schedules.state(d.pipe)?.paused) continue;
        if (this.jobs.unfinished(limits.kinds).length >= limits.maxUnfinished) break;
        this.schedules.consumeUpstreams(d.pipe);
        runs.push(
          this.createRun({
            id: crypto.randomUUID(),
            kind: "copy",
            pipe: d.pipe,
            ...(d.datasource ? { datasource: d.datasource } : {}),
            details: { trigger: "after", after, job_timestamp: atIso, params: "{}", options: "{}" },
          }),
        );
      }
      return runs;
    });
  }

  private createRun(run: NewRun): JobRecord {
    const { lock: _lock, ...job } = run as NewJob & { lock?: string };
    const created = this.jobs.create({ ...job, status: "waiting" });
    this.schedules.takeLock(lockOf(run), created.id);
    return created;
  }

  /** Runs whose Worker stopped reporting (crashed, or its message was lost) end as `error` and free their pipes. */
  private freeAbandoned(limits: RunLimits): void {
    const before = new Date(Date.now() - limits.staleAfterMs).toISOString();
    for (const job of this.jobs.unfinished(limits.kinds)) {
      if (job.updated_at >= before) continue;
      this.jobs.update(job.id, { status: "error", error: `The run stopped reporting for over ${Math.round(limits.staleAfterMs / 1000)} s (the Worker running it stopped) and was abandoned; run it again` });
      this.schedules.releaseLockOf(job.id);
    }
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

  // -------------------------------------------------------------- secrets

  /** Names and dates, never values. */
  listSecrets(): SecretRecord[] {
    return this.secrets.list();
  }

  getSecret(name: string): SecretRecord | undefined {
    return this.secrets.get(name);
  }

  /** The values by name, for resolving `tb_secret` (deploy, sinks); never for an answer. */
  secretValues(): Record<string, string> {
    return this.secrets.values();
  }

  createSecret(name: string, value: string): CatalogResult<SecretRecord> {
    return this.secrets.create(name, value);
  }

  updateSecret(name: string, value: string): CatalogResult<SecretRecord> {
    return this.secrets.update(name, value);
  }

  deleteSecret(name: string): CatalogResult<SecretRecord> {
    return this.secrets.delete(name);
  }

  /** Sets secrets from `values` (a branch starts with its parent's). */
  copySecrets(values: Record<string, string>): void {
    this.secrets.copyFrom(values);
  }
}

/** The lock a run holds: its own `lock`, else its pipe's. */
function lockOf(run: NewRun): string {
  return ("lock" in run && run.lock) || (run as { pipe: string }).pipe;
}
