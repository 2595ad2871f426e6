/**
 * @module deploy/service
 * Deployments of one workspace: create (plan, apply, record), promote, roll
 * back and delete. Routes in routes.ts stay thin; this is where the catalog,
 * the plan and ClickHouse meet.
 */
import { loadProject, type Project, type UploadedFile, type ProjectProblem } from "../../shared/deploy/project.js";
import { planDeployment, type Plan } from "../../shared/deploy/plan.js";
import type { DeploymentFeedback, DeploymentManifest } from "../../shared/deploy/manifest.js";
import { signToken } from "../../shared/tokens/format.js";
import { quoteIdentifier } from "../../shared/sql/rewrite/index.js";
import type { DeploymentRecord } from "../catalog/workspace-catalog.js";
import type { WorkspaceCatalogClient } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";
import { BadRequestError, NotFoundError } from "../../shared/errors.js";
import { applyPlan, DeploymentFailed, destructiveProblems, dropObjects, objectsToDrop } from "./apply.js";
import { guardPlan } from "./ddl-guard.js";
import { clickhouseMessage } from "../clickhouse/errors.js";
import { evictToken, type Principal } from "../auth/principal.js";
import { ensureDeployGrants } from "../tokens/power.js";
import { checkImportBuckets } from "./s3-imports.js";
import {
  kafkaConsumerPlan, kafkaConsumersMissing, pauseKafkaConsumersFor, switchKafkaConsumers, type KafkaConsumerPlan,
} from "./kafka-consumers.js";
import { checkKafkaBrokers } from "./kafka-check.js";

export interface DeployOptions {
  check: boolean;
  /** With `check`: reach each S3/GCS import's bucket (`deploy --check`; `/v1/build` does not). */
  reachBuckets?: boolean;
  autoPromote: boolean;
  allowDestructive: boolean;
}

export type DeployOutcome =
  | { kind: "no_changes" }
  | { kind: "invalid"; errors: ProjectProblem[] }
  | { kind: "failed"; deployment?: DeploymentRecord; feedback: DeploymentFeedback[] }
  | { kind: "checked"; plan: Plan; feedback: DeploymentFeedback[] }
  | { kind: "deployed"; deployment: DeploymentRecord };

function randomTag(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The deploy service of the caller's workspace (404 when its catalog has no workspace). */
export async function deployServiceFor(platform: Platform, caller: Principal): Promise<DeployService> {
  const catalog = platform.catalog.workspace(caller.workspaceId);
  const info = await catalog.info();
  if (!info) throw new NotFoundError("Workspace not found");
  return new DeployService(platform, catalog, { id: info.id, database: info.database }, caller);
}

export class DeployService {
  constructor(
    private readonly platform: Platform,
    private readonly catalog: WorkspaceCatalogClient,
    private readonly workspace: { id: string; database: string },
    /** Who deploys: TOKEN lines may widen existing tokens only within its scopes. */
    private readonly caller?: Principal,
  ) {}

  private get ch() {
    return this.platform.clickhouse.admin;
  }

  private async checkTokenGrants(manifest: DeploymentManifest | null | undefined): Promise<void> {
    if (this.caller && manifest) ensureDeployGrants(this.caller, await this.catalog.listTokens(), manifest.tokens);
  }

  /**
   * Parses and plans `files` for `database`, then checks on ClickHouse's own
   * parse everything the plan would run (`./ddl-guard.ts`): nothing is
   * created for a project that fails.
   */
  private async plan(
    files: UploadedFile[], live: DeploymentManifest | undefined, database: string,
  ): Promise<{ ok: true; plan: Plan; project: Project } | { ok: false; errors: ProjectProblem[] }> {
    const loaded = loadProject(files);
    if (!loaded.ok) return loaded;
    const planned = planDeployment({ project: loaded.project, ...(live ? { live } : {}), database, tag: randomTag() });
    if (!planned.ok) return planned;
    const refused = await guardPlan(this.ch, planned.plan, loaded.project, database);
    if (refused.length > 0) return { ok: false, errors: refused };
    return { ok: true, plan: planned.plan, project: loaded.project };
  }

  /**
   * `tb_secret`s with neither a value nor a default, named in the deployment's
   * feedback as warnings (a sink using one fails its run until it is set): the
   * workspace's secrets (`/v0/variables`) count first, then the operator's
   * `TERN_SECRET_<NAME>` vars. Files keep the references as written, so no
   * value lands in a manifest; each value is read where it is used (sinks).
   */
  private async unsetSecrets(project: Project): Promise<DeploymentFeedback[]> {
    const files = [...project.datasources.values(), ...project.pipes.values(), ...project.connections.values()];
    const refs = files.flatMap((f) => f.secrets.filter((r) => r.default === undefined));
    if (refs.length === 0) return [];
    const known = { ...this.platform.config.secrets, ...(await this.catalog.secretValues()) };
    const unset = [...new Set(refs.filter((r) => known[r.name] === undefined).map((r) => `${r.name}\u0000${r.file}`))];
    return unset.map((key) => {
      const [name, file] = key.split("\u0000") as [string, string];
      return {
        resource: file,
        level: "WARNING" as const,
        message: `secret "${name}" is not set and has no default; set it (tb secret set ${name}, POST /v0/variables) or write tb_secret("${name}", "<default>")`,
      };
    });
  }

  private applyOptions(database: string, allowDestructive: boolean) {
    return { database, allowDestructive, workspaceId: this.workspace.id };
  }

  async deploy(files: UploadedFile[], opts: DeployOptions): Promise<DeployOutcome> {
    const live = await this.catalog.live();
    const planned = await this.plan(files, live?.manifest ?? undefined, this.workspace.database);
    if (!planned.ok) return { kind: "invalid", errors: planned.errors };
    const plan = planned.plan;
    if (plan.identical && !opts.check) {
      // Nothing to deploy, but a Kafka datasource of live that does not consume may now (a secret set since).
      await this.healLiveKafkaConsumers(live?.manifest ?? undefined, false);
      return { kind: "no_changes" };
    }
    // Kafka datasources that will not consume once live (secret unset, …) are named in the feedback.
    const kafkaPlan = await kafkaConsumerPlan(this.platform, this.workspace.id, plan.manifest);
    const kafka = kafkaPlan.feedback;
    if (opts.check) return this.check(files, plan, opts, live?.manifest ?? undefined, kafkaPlan);
    if (opts.autoPromote) await this.checkTokenGrants(plan.manifest); // refuse before anything is built

    const deployment = await this.catalog.beginDeployment(plan.manifest, plan.changes);
    // Live's Kafka consumers pause while a new table takes live's rows (backfill + forward): a block written
    // between the forward view and the backfill's snapshot would land twice. They resume below, or at promote.
    let pausedKafka = false;
    let promoted = false;
    try {
      pausedKafka = await pauseKafkaConsumersFor(this.ch, this.workspace.database, live?.manifest ?? undefined, plan.manifest);
      const { feedback } = await applyPlan(this.ch, plan, this.applyOptions(this.workspace.database, opts.allowDestructive));
      let record = await this.catalog.setDeploymentStatus(deployment.id, "data_ready", [...feedback, ...(await this.unsetSecrets(planned.project)), ...kafka]);
      if (opts.autoPromote) {
        record = await this.promote(record.id);
        promoted = true;
      }
      return { kind: "deployed", deployment: record };
    } catch (e) {
      const feedback =
        e instanceof DeploymentFailed
          ? e.feedback
          : [{ resource: null, level: "ERROR" as const, message: `Deployment failed: ${clickhouseMessage(e)}` }];
      const failed = await this.catalog.setDeploymentStatus(deployment.id, "failed", feedback);
      return { kind: "failed", deployment: failed, feedback };
    } finally {
      // Also heals a live consumer left stopped by a deploy that was interrupted while it paused it.
      if (!promoted) await this.healLiveKafkaConsumers(live?.manifest ?? undefined, pausedKafka);
    }
  }

  /**
   * Live's consumers again when this deploy paused them (`paused`) or any is
   * missing. Never fails the deploy it ends: what it could not do is logged,
   * and the next deploy, promote or rollback tries again.
   */
  private async healLiveKafkaConsumers(manifest: DeploymentManifest | undefined, paused: boolean): Promise<void> {
    try {
      if (!paused && !(await kafkaConsumersMissing(this.ch, this.workspace.database, manifest))) return;
      const live = (await this.catalog.live())?.manifest;
      if (!live) return;
      await switchKafkaConsumers(this.ch, this.workspace.database, live, await kafkaConsumerPlan(this.platform, this.workspace.id, live));
    } catch (e) {
      console.error(`kafka consumers of ${this.workspace.database} not restarted: ${clickhouseMessage(e)}`);
    }
  }

  /**
   * Validation without touching live: the project is built in a scratch
   * database (tables, views, every served query), then the scratch is dropped.
   */
  private async check(
    files: UploadedFile[], plan: Plan, opts: DeployOptions, live: DeploymentManifest | undefined, kafka: KafkaConsumerPlan,
  ): Promise<DeployOutcome> {
    const feedback: DeploymentFeedback[] = [...kafka.feedback];
    if (!opts.allowDestructive && live) feedback.push(...(await destructiveProblems(this.ch, plan, this.workspace.database)));
    // S3/GCS imports: each bucket reached with its connection's keys (./s3-imports.ts).
    if (opts.reachBuckets) feedback.push(...(await checkImportBuckets(this.platform, this.workspace.id, plan.manifest)));
    const scratch = `${this.workspace.database}_check_${randomTag()}`;
    const scratchPlan = await this.plan(files, undefined, scratch);
    if (!scratchPlan.ok) return { kind: "invalid", errors: scratchPlan.errors };
    try {
      // Each Kafka datasource's broker and topic, reached through ClickHouse (./kafka-check.ts).
      feedback.push(...(await checkKafkaBrokers(this.ch, scratch, kafka.consumers)));
      await applyPlan(this.ch, scratchPlan.plan, this.applyOptions(scratch, true));
    } catch (e) {
      if (e instanceof DeploymentFailed) feedback.push(...e.feedback);
      else feedback.push({ resource: null, level: "ERROR", message: clickhouseMessage(e) });
    } finally {
      await this.ch.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(scratch)}` }).catch(() => undefined);
    }
    return feedback.some((f) => f.level === "ERROR") ? { kind: "failed", feedback } : { kind: "checked", plan, feedback };
  }

  async promote(id: string): Promise<DeploymentRecord> {
    const target = await this.catalog.getDeployment(id, true);
    await this.checkTokenGrants(target?.manifest);
    // Kafka consumers follow live (./kafka-consumers.ts).
    const consumers = target?.manifest ? await kafkaConsumerPlan(this.platform, this.workspace.id, target.manifest) : { consumers: [], feedback: [] };
    const before = (await this.catalog.live())?.manifest ?? undefined;
    const secret = await this.catalog.signingSecret();
    const newTokens: Record<string, { id: string; token: string }> = {};
    if (target?.manifest && secret) {
      for (const t of target.manifest.tokens) {
        const tokenId = crypto.randomUUID();
        newTokens[t.name] = { id: tokenId, token: await signToken({ u: this.workspace.id, id: tokenId }, secret) };
      }
    }
    const tokensBefore = await this.catalog.listTokens();
    const { live, previous } = await this.catalog.promote(id, newTokens);
    await this.evictResourceTokens(tokensBefore);
    await switchKafkaConsumers(this.ch, this.workspace.database, before, consumers);
    await this.platform.catalog.publishLive(this.workspace.id, live.id, (await this.catalog.getDeployment(live.id, true))!.manifest!, live.updated_at);
    // Keep one previous deployment for rollback; older retired ones go.
    await this.pruneRetired(previous?.id);
    return live;
  }

  async rollback(): Promise<DeploymentRecord> {
    const target = (await this.catalog.rollbackTarget())?.manifest;
    await this.checkTokenGrants(target);
    const consumers = target ? await kafkaConsumerPlan(this.platform, this.workspace.id, target) : { consumers: [], feedback: [] };
    const manifestBefore = (await this.catalog.live())?.manifest ?? undefined;
    const before = await this.catalog.listTokens();
    const { live, previous } = await this.catalog.rollback();
    await this.evictResourceTokens(before);
    await switchKafkaConsumers(this.ch, this.workspace.database, manifestBefore, consumers);
    await this.platform.catalog.publishLive(this.workspace.id, live.id, (await this.catalog.getDeployment(live.id, true))!.manifest!, live.updated_at);
    void previous;
    return live;
  }

  /**
   * TOKEN lines follow the live deployment: on a switch, cached scopes of the
   * resource tokens that existed before or after it are stale.
   */
  private async evictResourceTokens(before: Array<{ token: string; origin: string; scopes: string[] }>): Promise<void> {
    const after = await this.catalog.listTokens();
    // Hand-made tokens that gained declared scopes are stale too.
    const scopesBefore = new Map(before.map((t) => [t.token, t.scopes.join("\n")]));
    const stale = new Set(
      [...before, ...after].filter((t) => t.origin === "resource" || scopesBefore.get(t.token) !== t.scopes.join("\n")).map((t) => t.token),
    );
    for (const token of stale) await evictToken(this.platform, token);
  }

  private async pruneRetired(keep: string | undefined): Promise<void> {
    for (const d of await this.catalog.listDeployments()) {
      if (d.retired && d.id !== keep && !d.live && d.status === "data_ready") await this.delete(d.id);
    }
  }

  /** Drops what only this deployment uses, then marks it deleted. */
  async delete(id: string): Promise<DeploymentRecord> {
    const record = await this.catalog.getDeployment(id, true);
    if (!record) throw new NotFoundError(`Deployment ${id} not found`);
    if (record.live) throw new BadRequestError(`Deployment ${id} is live; promote another one before deleting it`);
    if (record.manifest) {
      const others = (await this.catalog.activeManifests()).filter((m) => m.id !== id).map((m) => m.manifest);
      const { views, tables } = objectsToDrop(record.manifest, others);
      await dropObjects(this.ch, this.workspace.database, views, tables);
    }
    return this.catalog.markDeleted(id);
  }
}
