/**
 * @module deploy/kafka-check
 * `deploy --check` reaches each Kafka datasource's broker and topic before
 * anything changes, through ClickHouse (where the consumers run; the Worker
 * cannot open TCP to a broker everywhere): a throwaway `Kafka` table in the
 * check's scratch database, in a group of its own, read once; what its
 * consumer saw becomes the feedback (`kafkaProbeProblem`): host unreachable,
 * topic missing, credentials refused; and each Avro datasource's schema
 * registry, read once with `url()`. One probe per broker list, topic and
 * user; probes run side by side, each answered as soon as ClickHouse's
 * consumer saw the partitions or librdkafka's errors (../clickhouse/kafka-probe.ts).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import type { PlannedKafkaConsumer } from "../../shared/connectors/kafka-consumers.js";
import type { DeploymentFeedback } from "../../shared/deploy/manifest.js";
import { quoteIdentifier } from "../../shared/sql/ddl/index.js";
import { clickhouseMessage } from "../clickhouse/errors.js";
import { probeKafka } from "../clickhouse/kafka-probe.js";
import { redactedRegistryUrl, schemaRegistryCheckSql } from "../../shared/connectors/kafka-sql.js";

function randomTag(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function probe(ch: ClickHouseClient, database: string, c: PlannedKafkaConsumer, index: number): Promise<string | undefined> {
  const tag = randomTag();
  try {
    return await probeKafka(
      ch,
      { database, table: `kafka_probe_${index}_${tag}`, topic: c.topic, groupId: `tern_check_${tag}`, connection: c.connection },
      { servers: c.bootstrapServers, topic: c.topic },
    );
  } catch (e) {
    return `Kafka at ${c.bootstrapServers}: ${clickhouseMessage(e)}`;
  }
}

/** An Avro datasource's schema registry, reached from ClickHouse; what is wrong, or undefined. */
async function checkRegistry(ch: ClickHouseClient, url: string): Promise<string | undefined> {
  const shown = redactedRegistryUrl(url);
  try {
    const rows = await (await ch.query({ query: schemaRegistryCheckSql(url), format: "JSONEachRow" })).json<{ value: string }>();
    const answer = rows[0]?.value ?? "";
    if (answer.trimStart().startsWith("[")) return undefined;
    return `the schema registry at ${shown} did not answer GET /subjects with a subject list (it answered '${answer.slice(0, 100)}'); KAFKA_SCHEMA_REGISTRY_URL is the Confluent-compatible API's base URL`;
  } catch (e) {
    // ClickHouse's text may repeat the URL with its credentials: only the redacted URL is shown.
    return `cannot read the schema registry at ${shown} (${clickhouseMessage(e).split(url).join(shown)})`;
  }
}

export async function checkKafkaBrokers(ch: ClickHouseClient, scratchDatabase: string, consumers: PlannedKafkaConsumer[]): Promise<DeploymentFeedback[]> {
  if (consumers.length === 0) return [];
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(scratchDatabase)}` });
  const byTarget = new Map<string, PlannedKafkaConsumer[]>();
  for (const c of consumers) {
    const key = JSON.stringify([c.bootstrapServers, c.topic, c.connection.key ?? "", c.connection.secret ?? ""]);
    byTarget.set(key, [...(byTarget.get(key) ?? []), c]);
  }
  const groups = [...byTarget.values()];
  const registries = [...new Set(consumers.flatMap((c) => (c.schemaRegistryUrl ? [c.schemaRegistryUrl] : [])))];
  const [problems, registryProblems] = await Promise.all([
    Promise.all(groups.map((g, i) => probe(ch, scratchDatabase, g[0]!, i))),
    Promise.all(registries.map((url) => checkRegistry(ch, url))),
  ]);
  const error = (c: PlannedKafkaConsumer, problem: string): DeploymentFeedback =>
    ({ resource: `Datasource ${c.datasource}.datasource`, level: "ERROR", message: `Datasource '${c.datasource}': ${problem}` });
  return [
    ...groups.flatMap((g, i) => (problems[i] === undefined ? [] : g.map((c) => error(c, problems[i]!)))),
    ...consumers.flatMap((c) => {
      const problem = c.schemaRegistryUrl ? registryProblems[registries.indexOf(c.schemaRegistryUrl)] : undefined;
      return problem === undefined ? [] : [error(c, problem)];
    }),
  ];
}
