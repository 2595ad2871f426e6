/**
 * @module deploy/kafka
 * Validator step for Kafka datasources (`KAFKA_*`), each problem at its
 * directive: the connection `KAFKA_CONNECTION_NAME` names must be `TYPE
 * kafka`. (Its KAFKA_BOOTSTRAP_SERVERS is the connection parser's; reaching the
 * broker and topic is the Worker's `deploy --check`, workers/deploy/kafka-check.ts.)
 */
import type { ConnectionFile, Datafile, SourcePosition } from "../datafiles/index.js";
import type { Problems } from "./problems.js";

export function checkKafka(file: Datafile, text: string, connection: (name: string) => ConnectionFile | undefined, problems: Problems): void {
  if (file.kind !== "datasource" || !file.kafka) return;
  const conn = connection(file.kafka.connectionName);
  if (!conn || conn.connection.type === "kafka") return; // a missing connection is the references step's problem
  // The parser keeps no position for the directive; the first line that starts with it is it.
  const index = text.split("\n").findIndex((l) => /^\s*KAFKA_CONNECTION_NAME\b/.test(l));
  const at: SourcePosition = { file: file.path, line: index < 0 ? 1 : index + 1, column: 1 };
  problems.add(file.path, at, `connection '${conn.name}' is TYPE ${conn.connection.type}; KAFKA_CONNECTION_NAME needs a TYPE kafka connection`);
}
