/**
 * @module
 * Which Kafka consumers a deployment runs, decided without I/O: for each
 * datasource with `KAFKA_*` of a manifest, the connection and group with
 * `tb_secret` resolved, and the SQL of its consumer (`kafkaConsumerSql`), or
 * the reason it cannot run. The Worker creates them when the deployment goes
 * live (workers/deploy/kafka-consumers.ts).
 *
 * Names are per datasource, not per deployment (`<datasource>__kafka`,
 * `…__kafka_rows`, `…__kafka_quarantine`): one workspace database holds one
 * consumer per datasource at most (only the live deployment consumes), so a
 * switch drops the old one by name and creates the new one, whatever tables
 * either targets.
 */
import type { ConnectionFile, DatasourceFile } from "../datafiles/ast.js";
import { secretResolver, type Env } from "../datafiles/values.js";
import { kafkaCollectionName, kafkaConsumerProblem, kafkaConsumerSql, type KafkaConsumerInput, type KafkaConsumerSql } from "./kafka-sql.js";
import { quoteIdentifier, quoteQualifiedName } from "../sql/ddl/quote.js";

/** What a manifest gives for one datasource: its file, tables and the connections of its deployment. */
export interface KafkaManifestView {
  database: string;
  datasources: Record<string, { name: string; table: string; quarantineTable: string; file: DatasourceFile }>;
  connections: Record<string, ConnectionFile>;
}

export interface PlannedKafkaConsumer {
  datasource: string;
  topic: string;
  groupId: string;
  bootstrapServers: string;
  /** The connection with its secrets resolved (for `deploy --check`'s probe). */
  connection: KafkaConsumerInput["connection"];
  /** The registry `deploy --check` reaches too: set for KAFKA_VALUE_FORMAT avro only. */
  schemaRegistryUrl?: string;
  sql: KafkaConsumerSql;
}

export interface KafkaConsumerRefusal {
  datasource: string;
  message: string;
}

export const KAFKA_QUEUE_SUFFIX = "__kafka";

export function kafkaConsumerNames(datasource: string): { queue: string; rowsView: string; quarantineView: string } {
  const queue = `${datasource}${KAFKA_QUEUE_SUFFIX}`;
  return { queue, rowsView: `${queue}_rows`, quarantineView: `${queue}_quarantine` };
}

/** Drops a datasource's consumer by name: views first (consuming stops, committed offsets stay in the broker), then the engine table, then its named collection. */
export function dropKafkaConsumerSql(database: string, datasource: string): string[] {
  const n = kafkaConsumerNames(datasource);
  return [
    `DROP VIEW IF EXISTS ${quoteQualifiedName(database, n.rowsView)}`,
    `DROP VIEW IF EXISTS ${quoteQualifiedName(database, n.quarantineView)}`,
    `DROP TABLE IF EXISTS ${quoteQualifiedName(database, n.queue)}`,
    `DROP NAMED COLLECTION IF EXISTS ${quoteIdentifier(kafkaCollectionName(database, n.queue))}`,
  ];
}

/** The group when KAFKA_GROUP_ID is absent: fixed per workspace and datasource, never per deployment. */
export function defaultKafkaGroup(workspaceId: string, datasource: string): string {
  return `tern_${workspaceId}_${datasource}`;
}

export function kafkaDatasources(manifest: KafkaManifestView): string[] {
  return Object.values(manifest.datasources).filter((d) => d.file.kafka).map((d) => d.name);
}

/**
 * Every Kafka datasource's consumer, or why it cannot run (a secret with no
 * value, a connection that is not Kafka, a schema the connector cannot read).
 */
export function planKafkaConsumers(
  manifest: KafkaManifestView,
  secrets: Env,
  workspaceId: string,
): { consumers: PlannedKafkaConsumer[]; refusals: KafkaConsumerRefusal[] } {
  const consumers: PlannedKafkaConsumer[] = [];
  const refusals: KafkaConsumerRefusal[] = [];
  for (const ds of Object.values(manifest.datasources)) {
    const settings = ds.file.kafka;
    if (!settings) continue;
    const refuse = (message: string) => refusals.push({ datasource: ds.name, message: `Datasource '${ds.name}': ${message}` });
    const connection = manifest.connections[settings.connectionName];
    if (!connection) { refuse(`KAFKA_CONNECTION_NAME '${settings.connectionName}' is not a connection of this deployment`); continue; }
    const c = connection.connection;
    if (c.type !== "kafka") { refuse(`connection '${connection.name}' is TYPE ${c.type}; KAFKA_CONNECTION_NAME needs a TYPE kafka connection`); continue; }
    const problem = kafkaConsumerProblem({ columns: ds.file.columns, settings });
    if (problem) { refuse(problem); continue; }

    const { resolve, missing } = secretResolver(secrets);
    const resolved = {
      bootstrapServers: resolve(c.bootstrapServers) ?? "",
      ...(c.securityProtocol ? { securityProtocol: resolve(c.securityProtocol) as typeof c.securityProtocol } : {}),
      ...(c.saslMechanism ? { saslMechanism: resolve(c.saslMechanism) as typeof c.saslMechanism } : {}),
      ...(c.key !== undefined ? { key: resolve(c.key)! } : {}),
      ...(c.secret !== undefined ? { secret: resolve(c.secret)! } : {}),
      ...(c.schemaRegistryUrl !== undefined ? { schemaRegistryUrl: resolve(c.schemaRegistryUrl)! } : {}),
    };
    const topic = resolve(settings.topic) ?? "";
    const groupId = settings.groupId !== undefined ? resolve(settings.groupId)! : defaultKafkaGroup(workspaceId, ds.name);
    if (missing.length > 0) {
      refuse(`secret${missing.length > 1 ? "s" : ""} ${[...new Set(missing)].map((m) => `"${m}"`).join(", ")} with no value and no default (tb secret set, POST /v0/variables)`);
      continue;
    }
    if (resolved.bootstrapServers.trim() === "") { refuse(`connection '${connection.name}' has an empty KAFKA_BOOTSTRAP_SERVERS`); continue; }
    if (groupId.trim() === "") { refuse("KAFKA_GROUP_ID is empty"); continue; }
    const registryProblem = kafkaConsumerProblem({ columns: ds.file.columns, settings, connection: resolved });
    if (registryProblem) { refuse(registryProblem.replace("its connection", `connection '${connection.name}'`)); continue; }
    const sql = kafkaConsumerSql({
      columns: ds.file.columns,
      settings: { ...settings, topic },
      connection: resolved,
      groupId,
      target: { database: manifest.database, table: ds.table, quarantineTable: ds.quarantineTable },
      names: kafkaConsumerNames(ds.name),
    });
    consumers.push({
      datasource: ds.name, topic, groupId, bootstrapServers: resolved.bootstrapServers, connection: resolved, sql,
      ...(settings.valueFormat === "avro" && resolved.schemaRegistryUrl ? { schemaRegistryUrl: resolved.schemaRegistryUrl } : {}),
    });
  }
  return { consumers, refusals };
}
