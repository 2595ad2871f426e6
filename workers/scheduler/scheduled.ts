/**
 * @module scheduler/scheduled
 * The Worker's `scheduled` handler (cron `* * * * *`): at each tick, for
 * every workspace the Directory lists (and the configured default one; not
 * branches), the live deployment's copy and sink pipes whose schedule is a
 * cron and its S3/GCS imports (./imports.ts) are offered
 * to the workspace's catalog, which decides in one transaction which run now
 * (shared/deploy/schedule.ts: the latest fire time since the last one run,
 * so missed runs are caught up once; never over a run of the same pipe still
 * going; within the workspace's cap) and creates their jobs; their messages
 * go to Queue `tern-jobs`. Copies with COPY_AFTER have no cron: they start
 * when the copies they name finish (workers/copies/after.ts). After the
 * workspaces, one statement snapshots the Kafka consumers of those whose live
 * deployment has Kafka datasources into `tinybird.kafka_ops_log`
 * (./kafka-ops-log.ts).
 */
import { isScheduled } from "../../shared/cron/cron.js";
import type { ScheduleDecision, ScheduledPipe } from "../catalog/workspace-catalog.js";
import { sendRuns } from "../jobs/enqueue.js";
import { runLimits } from "../jobs/limits.js";
import { runnableKinds } from "../jobs/runners.js";
import type { Platform } from "../platform/platform.js";
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import { branchParent } from "../catalog/branches.js";
import { scheduledImports } from "./imports.js";
import { snapshotKafkaConsumers } from "./kafka-ops-log.js";
import type { KafkaOpsLogSource } from "../../shared/connectors/kafka-ops-log.js";

export interface TickResult {
  enqueued: number;
  /** Every decision taken, per workspace (runs, skips and waits; pipes with nothing due are left out). */
  decisions: Array<ScheduleDecision & { workspaceId: string }>;
  /** Workspaces whose live deployment consumes Kafka (their consumers are snapshotted after the tick). */
  kafka?: KafkaOpsLogSource[];
}

/** The pipes of a manifest that run on a cron, with the job kind that runs each and the datasource it writes. */
export function scheduledPipes(manifest: DeploymentManifest, kinds: readonly string[]): Array<ScheduledPipe & { datasource?: string }> {
  const out: Array<ScheduledPipe & { datasource?: string }> = [];
  for (const { name, file } of Object.values(manifest.pipes)) {
    const p = file.publication;
    if (p.type === "copy" && !p.after?.length && isScheduled(p.schedule) && kinds.includes("copy")) {
      out.push({ pipe: name, kind: "copy", cron: p.schedule, datasource: p.targetDatasource });
    } else if (p.type === "sink" && isScheduled(p.schedule) && kinds.includes("sink")) {
      out.push({ pipe: name, kind: "sink", cron: p.schedule });
    }
  }
  return out;
}

async function workspaceIds(platform: Platform): Promise<string[]> {
  // Branches are left out: as in Tinybird, a branch's copies, sinks and imports do not run on schedule
  // (they run on request: POST /v0/pipes/<pipe>/copy|sink, POST /v0/datasources/<ds>/scheduling/runs).
  const listed = (await platform.catalog.directory().all()).filter((w) => branchParent(w) === undefined).map((w) => w.id);
  const fallback = platform.config.credentials?.workspaceId;
  return fallback && !listed.includes(fallback) ? [fallback, ...listed] : listed;
}

/** One tick at `at` for one workspace: its due runs created and queued. */
export async function tickWorkspace(platform: Platform, workspaceId: string, at: Date): Promise<TickResult> {
  const live = await platform.catalog.liveDeployment(workspaceId);
  if (!live) return { enqueued: 0, decisions: [] };
  const consumesKafka = Object.values(live.manifest.datasources).some((d) => d.file.kafka);
  const kafka = consumesKafka ? [{ workspaceId, database: live.manifest.database }] : [];
  const kinds = runnableKinds();
  const pipes = [...scheduledPipes(live.manifest, kinds), ...scheduledImports(live.manifest, kinds)];
  if (pipes.length === 0) return { enqueued: 0, decisions: [], kafka };
  const details = Object.fromEntries(pipes.flatMap((p) => (p.datasource ? [[p.pipe, { datasource: p.datasource }]] : [])));
  const { runs, decisions } = await platform.catalog
    .workspace(workspaceId)
    .claimScheduledRuns(pipes.map(({ datasource: _datasource, ...p }) => p), at.toISOString(), runLimits(platform), details);
  await sendRuns(platform, workspaceId, runs);
  return { enqueued: runs.length, decisions: decisions.filter((d) => d.action !== "none").map((d) => ({ ...d, workspaceId })), kafka };
}

/** The `scheduled` handler's work: every workspace, a few at a time; one failing workspace does not stop the others. */
export async function runScheduler(platform: Platform, controller: Pick<ScheduledController, "scheduledTime">): Promise<TickResult> {
  const at = new Date(controller.scheduledTime);
  const ids = await workspaceIds(platform);
  const total: TickResult = { enqueued: 0, decisions: [], kafka: [] };
  const PARALLEL = 4;
  for (let i = 0; i < ids.length; i += PARALLEL) {
    const results = await Promise.allSettled(ids.slice(i, i + PARALLEL).map((id) => tickWorkspace(platform, id, at)));
    results.forEach((r, j) => {
      if (r.status === "fulfilled") {
        total.enqueued += r.value.enqueued;
        total.decisions.push(...r.value.decisions);
        total.kafka!.push(...(r.value.kafka ?? []));
      } else {
        console.error(`scheduler: workspace ${ids[i + j]}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
      }
    });
  }
  // A failed snapshot leaves a gap in the history; it never stops the runs above.
  await snapshotKafkaConsumers(platform, total.kafka!, at).catch((e: unknown) => {
    console.error(`scheduler: kafka_ops_log snapshot: ${e instanceof Error ? e.message : String(e)}`);
  });
  return total;
}
