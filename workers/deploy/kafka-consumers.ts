/**
 * @module deploy/kafka-consumers
 * Kafka datasources' consumers follow the live deployment: created when a
 * deployment is promoted (or rolled back to), never while it stages (two
 * consumers in one group would split the topic's partitions between the live
 * and the staged tables). A switch drops the old consumer first, then creates
 * the new one in the same group: the group's committed offsets stay in the
 * broker, so the new consumer reads on from the last message written, none
 * twice and none skipped, whatever the new schema.
 *
 * A branch (a workspace with a parent) does not consume with a group its
 * parent's live deployment consumes with: the two would split the partitions
 * and each see part of the topic. Such a datasource gets no consumer in the
 * branch and its deployment says so (Tinybird advises its own connection or
 * `KAFKA_GROUP_ID`, through `tb_secret`, per environment).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import {
  dropKafkaConsumerSql, kafkaConsumerNames, kafkaDatasources, planKafkaConsumers, type PlannedKafkaConsumer,
} from "../../shared/connectors/kafka-consumers.js";
import type { DeploymentFeedback, DeploymentManifest } from "../../shared/deploy/manifest.js";
import { branchParent } from "../catalog/branches.js";
import { clickhouseMessage } from "../clickhouse/errors.js";
import type { Platform } from "../platform/platform.js";

export interface KafkaConsumerPlan {
  consumers: PlannedKafkaConsumer[];
  /**
   * WARNINGs: why a Kafka datasource will not consume once live (a secret
   * unset, a schema the connector cannot read yet, a branch sharing its
   * parent's group). Its table is deployed all the same, as before consumers
   * existed; the datasource consumes from the next deployment that fixes it.
   */
  feedback: DeploymentFeedback[];
}

async function secretsOf(platform: Platform, workspaceId: string): Promise<Record<string, string>> {
  // As sinks resolve them: the workspace's secrets first, the operator's TERN_SECRET_<NAME> vars as the fallback.
  return { ...platform.config.secrets, ...(await platform.catalog.workspace(workspaceId).secretValues()) };
}

/** The consumers `manifest` runs once live in `workspaceId`, and what keeps any from running. */
export async function kafkaConsumerPlan(platform: Platform, workspaceId: string, manifest: DeploymentManifest): Promise<KafkaConsumerPlan> {
  if (kafkaDatasources(manifest).length === 0) return { consumers: [], feedback: [] };
  const planned = planKafkaConsumers(manifest, await secretsOf(platform, workspaceId), workspaceId);
  const feedback: DeploymentFeedback[] = planned.refusals.map((r) => ({
    resource: `Datasource ${r.datasource}.datasource`, level: "WARNING", message: `${r.message}; it does not consume its topic`,
  }));
  const parent = branchParent(await platform.catalog.directory().byId(workspaceId));
  if (parent === undefined) return { consumers: planned.consumers, feedback };

  const parentLive = await platform.catalog.liveDeployment(parent);
  const parentGroups = new Set(
    parentLive ? planKafkaConsumers(parentLive.manifest, await secretsOf(platform, parent), parent).consumers.map((c) => c.groupId) : [],
  );
  const consumers: PlannedKafkaConsumer[] = [];
  for (const c of planned.consumers) {
    if (!parentGroups.has(c.groupId)) { consumers.push(c); continue; }
    feedback.push({
      resource: `Datasource ${c.datasource}.datasource`,
      level: "WARNING",
      message: `Datasource '${c.datasource}' does not consume in this branch: its consumer group '${c.groupId}' is the main workspace's, and sharing it would split the topic's partitions; give the branch its own KAFKA_GROUP_ID (e.g. {{ tb_secret("KAFKA_GROUP_ID", "...") }} set per branch)`,
    });
  }
  return { consumers, feedback };
}

/**
 * Stops the consumers of `before` (every Kafka datasource it has, by name) and
 * starts `after`'s. Called after the catalog switched live, so a consumer never
 * writes into tables of a deployment that is not live. A consumer ClickHouse
 * refuses to create does not undo the switch (the deployment is live by then):
 * its datasource stays idle, and the failures are answered for the log.
 */
export async function switchKafkaConsumers(
  ch: ClickHouseClient,
  database: string,
  before: DeploymentManifest | undefined,
  after: KafkaConsumerPlan,
): Promise<string[]> {
  const stop = new Set([...(before ? kafkaDatasources(before) : []), ...after.consumers.map((c) => c.datasource)]);
  for (const ds of stop) for (const query of dropKafkaConsumerSql(database, ds)) await ch.command({ query });
  const failures: string[] = [];
  for (const c of after.consumers) {
    try {
      for (const query of c.sql.create) await ch.command({ query });
    } catch (e) {
      // Half a consumer (an engine table without its views) would hold the group: drop what was made.
      for (const query of dropKafkaConsumerSql(database, c.datasource)) await ch.command({ query }).catch(() => undefined);
      failures.push(`Datasource '${c.datasource}': its Kafka consumer could not be created: ${clickhouseMessage(e)}`);
    }
  }
  if (failures.length > 0) console.error(`kafka consumers of ${database}: ${failures.join("; ")}`);
  return failures;
}

/** Stops every consumer of `manifest` (a workspace's live deployment going away). */
export async function stopKafkaConsumers(ch: ClickHouseClient, database: string, manifest: DeploymentManifest): Promise<void> {
  for (const ds of kafkaDatasources(manifest)) for (const query of dropKafkaConsumerSql(database, ds)) await ch.command({ query });
}

/**
 * Stops live's consumers when `next` gives one of live's Kafka datasources a new
 * table (filled from live's by a backfill and a forward view, which a concurrent
 * block could reach both of). Messages wait in the topic meanwhile; the caller
 * starts consumers again (live's, or the new deployment's at promote). Returns
 * whether it stopped any.
 */
export async function pauseKafkaConsumersFor(
  ch: ClickHouseClient,
  database: string,
  live: DeploymentManifest | undefined,
  next: DeploymentManifest,
): Promise<boolean> {
  if (!live) return false;
  const replaced = kafkaDatasources(live).filter((ds) => next.datasources[ds] && next.datasources[ds].table !== live.datasources[ds]!.table);
  if (replaced.length === 0) return false;
  await stopKafkaConsumers(ch, database, live);
  return true;
}

/** Whether a Kafka datasource of `manifest` has no consumer in `database` (a deploy interrupted while it was paused, say). */
export async function kafkaConsumersMissing(ch: ClickHouseClient, database: string, manifest: DeploymentManifest | undefined): Promise<boolean> {
  const names = manifest ? kafkaDatasources(manifest).map((ds) => kafkaConsumerNames(ds).queue) : [];
  if (names.length === 0) return false;
  const rs = await ch.query({
    query: "SELECT count() AS c FROM system.tables WHERE database = {db:String} AND has({names:Array(String)}, name)",
    query_params: { db: database, names },
    format: "JSONEachRow",
  });
  return Number(((await rs.json()) as Array<{ c: string | number }>)[0]?.c ?? 0) < names.length;
}
