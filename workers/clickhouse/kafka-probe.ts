/**
 * @module clickhouse/kafka-probe
 * Reaching a Kafka broker and topic through ClickHouse (`deploy --check`, and a
 * Kafka sink before it produces): a throwaway `Kafka` table (`kafkaProbeSql`)
 * read once with a direct SELECT. That read waits up to 15 s for a partition
 * assignment inside ClickHouse whenever the broker or the topic is missing (a
 * constant of ClickHouse's consumer), while librdkafka's errors show in
 * `system.kafka_consumers` within a second. So the report is polled beside the
 * read and the answer taken as soon as it is settled; dropping the table then
 * stops the consumer, which ends the read.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { kafkaProbeProblem, kafkaProbeSettled, kafkaProbeSql, type KafkaProbeInput, type KafkaProbeReport } from "../../shared/connectors/kafka-sql.js";

const POLL_MS = 250;
/** librdkafka reports a refused connection, then "brokers are down": a moment more gathers the whole burst. */
const SETTLE_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What is wrong with reaching `input`'s topic (kafkaProbeProblem's words), or undefined when its partitions were assigned. Errors of ClickHouse itself are thrown. */
export async function probeKafka(ch: ClickHouseClient, input: KafkaProbeInput, where: { servers: string; topic: string }): Promise<string | undefined> {
  const sql = kafkaProbeSql(input);
  const report = async () => (await ch.query({ query: sql.report, format: "JSONEachRow" })).json<KafkaProbeReport[number]>();
  await ch.command({ query: sql.drop });
  await ch.command({ query: sql.create });
  let readEnded = false;
  let readError: unknown;
  const read = ch.query({ query: sql.read, format: "TabSeparated" })
    .then((rs) => rs.text())
    .catch((e: unknown) => { readError = e; })
    .finally(() => { readEnded = true; });
  try {
    let seen: KafkaProbeReport;
    for (;;) {
      const ended = readEnded; // read before the report: a report taken after the read ended is its last word
      seen = await report();
      if (ended || kafkaProbeSettled(seen)) break;
      await sleep(POLL_MS);
    }
    if (seen.some((r) => r.errors.length > 0) && !seen.some((r) => Number(r.partitions) > 0) && !readEnded) {
      await sleep(SETTLE_MS);
      seen = await report();
    }
    if (readEnded && readError !== undefined && !kafkaProbeSettled(seen)) throw readError;
    return kafkaProbeProblem(seen, where);
  } finally {
    await ch.command({ query: sql.drop }).catch(() => undefined);
    await read;
  }
}
