/**
 * Step one of the connectors (docs/connectors.md): does the local engine (chDB
 * 3.4.0 = ClickHouse 26.7, in-process) run the two table engines the design
 * builds on?
 * - `Kafka` against a real Apache Kafka broker (kafka-local/, KRaft), through
 *   the real local ClickHouse server over HTTP: consumes, a materialized view
 *   lands every message in a MergeTree exactly once, a malformed message comes
 *   out with its error and raw bytes (kafka_handle_error_mode='stream'), the
 *   offsets are committed in the broker, and a broker killed and started again
 *   mid-stream loses and doubles nothing.
 * - `S3Queue` against the local S3 server: refused without a Keeper config; with
 *   the in-memory `testkeeper` it loads; what it does after an engine restart.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import { Kafka, logLevel, type Admin, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startKafkaBroker, type KafkaBroker } from "../../../kafka-local/broker.js";
import { kafkaSinkSql } from "../../../shared/connectors/kafka-sql.js";

const run = promisify(execFile);
const DB = "t_connectors_engines";
const TOPIC = "engines_events";

let dir: string;
let broker: KafkaBroker;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
let ch: ClickHouseClient;

async function connectAdmin(): Promise<Admin> {
  for (let i = 0; ; i++) {
    const a = kafka.admin();
    try {
      await a.connect();
      await a.listTopics();
      return a;
    } catch (e) {
      await a.disconnect().catch(() => {});
      if (i > 120) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function scalar(sql: string): Promise<string> {
  const r = await ch.query({ query: sql, format: "TabSeparated" });
  return (await r.text()).trim();
}

async function waitFor(sql: string, want: string, ms = 120_000): Promise<string> {
  const deadline = Date.now() + ms;
  let got = "";
  while (Date.now() < deadline) {
    got = await scalar(sql);
    if (got === want) return got;
    await new Promise((r) => setTimeout(r, 500));
  }
  return got;
}

function batch(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: JSON.stringify({ id: from + i, name: `n${from + i}` }) }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tern-kafka-engines-"));
  broker = await startKafkaBroker({ dataDir: join(dir, "kafka") });
  kafka = new Kafka({ clientId: "tern-test", brokers: [broker.address], logLevel: logLevel.NOTHING, retry: { retries: 20 } });
  admin = await connectAdmin();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }], waitForLeaders: true });
  producer = kafka.producer();
  await producer.connect();
  ch = createClient({ url: inject("clickhouseUrl"), username: inject("clickhouseUser"), password: inject("clickhousePassword"), request_timeout: 120_000 });
  await ch.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` });
  await ch.command({ query: `CREATE DATABASE ${DB}` });
}, 300_000);

afterAll(async () => {
  await ch?.command({ query: `DROP DATABASE IF EXISTS ${DB} SYNC` }).catch(() => {});
  await ch?.close();
  await producer?.disconnect().catch(() => {});
  await admin?.disconnect().catch(() => {});
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe("the Kafka table engine on the local engine", () => {
  it("consumes a real broker into a MergeTree through a materialized view, each message once, bad ones with their error", async () => {
    await producer.send({ topic: TOPIC, messages: batch(0, 3000) });
    await producer.send({ topic: TOPIC, messages: [{ key: "bad", value: "this is not json" }] });

    await ch.command({
      query: `CREATE TABLE ${DB}.rows (id UInt64, name String, __topic String, __partition UInt64, __offset UInt64, __key String, __timestamp DateTime, __error String, __value String)
              ENGINE MergeTree ORDER BY (__partition, __offset)`,
    });
    await ch.command({
      query: `CREATE TABLE ${DB}.queue (id UInt64, name String) ENGINE Kafka SETTINGS
              kafka_broker_list = '${broker.address}', kafka_topic_list = '${TOPIC}', kafka_group_name = 'tern_engines',
              kafka_format = 'JSONEachRow', kafka_handle_error_mode = 'stream', kafka_num_consumers = 1`,
    });
    await ch.command({
      query: `CREATE MATERIALIZED VIEW ${DB}.queue_mv TO ${DB}.rows AS
              SELECT id, name, _topic AS __topic, _partition AS __partition, _offset AS __offset, _key AS __key, _timestamp AS __timestamp,
                     _error AS __error, _raw_message AS __value FROM ${DB}.queue`,
    });

    expect(await waitFor(`SELECT count() FROM ${DB}.rows`, "3001")).toBe("3001");
    // Exactly once: 3000 distinct ids, no (partition, offset) twice, offsets dense from 0 per partition.
    expect(await scalar(`SELECT uniqExact(id), count() FROM ${DB}.rows WHERE __error = ''`)).toBe("3000\t3000");
    expect(await scalar(`SELECT count() = uniqExact(__partition, __offset) FROM ${DB}.rows`)).toBe("1");
    expect(await scalar(`SELECT sum(max_off + 1 = n) = count() FROM (SELECT __partition, max(__offset) AS max_off, count() AS n FROM ${DB}.rows GROUP BY __partition)`)).toBe("1");
    expect(await scalar(`SELECT __key, __value, __error LIKE '%Cannot parse input%' FROM ${DB}.rows WHERE __error != ''`)).toBe("bad\tthis is not json\t1");
    expect(await scalar(`SELECT countIf(__topic = '${TOPIC}' AND __key = concat('k', toString(id))) FROM ${DB}.rows WHERE __error = ''`)).toBe("3000");

    // The consumer group's offsets are committed in the broker: the sums of
    // committed offsets equal the rows per partition.
    const perPartition = new Map((await scalar(`SELECT __partition, count() FROM ${DB}.rows GROUP BY __partition ORDER BY __partition`)).split("\n").map((l) => l.split("\t").map(Number) as [number, number]));
    const deadline = Date.now() + 60_000;
    let committed: Array<{ partition: number; offset: string }> = [];
    while (Date.now() < deadline) {
      committed = (await admin.fetchOffsets({ groupId: "tern_engines", topics: [TOPIC] }))[0]!.partitions;
      if (committed.every((p) => Number(p.offset) === (perPartition.get(p.partition) ?? 0))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(committed.map((p) => [p.partition, Number(p.offset)]).sort()).toEqual([...perPartition.entries()].sort());

    // system.kafka_consumers shows the consumer, its assignments and messages read.
    expect(Number(await scalar(`SELECT sum(num_messages_read) FROM system.kafka_consumers WHERE database = '${DB}' AND table = 'queue'`))).toBe(3001);
  });

  it("keeps consuming after the broker is killed and started again, nothing lost or doubled", async () => {
    await producer.send({ topic: TOPIC, messages: batch(3000, 1000) });
    expect(await waitFor(`SELECT count() FROM ${DB}.rows`, "4001")).toBe("4001");
    await producer.disconnect();
    await admin.disconnect();
    await broker.kill();
    await new Promise((r) => setTimeout(r, 2000));
    await broker.start();
    admin = await connectAdmin();
    producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, messages: batch(4000, 1000) });
    expect(await waitFor(`SELECT count() FROM ${DB}.rows`, "5001", 180_000)).toBe("5001");
    expect(await scalar(`SELECT uniqExact(id), min(id), max(id) FROM ${DB}.rows WHERE __error = ''`)).toBe("5000\t0\t4999");
    expect(await scalar(`SELECT count() = uniqExact(__partition, __offset) FROM ${DB}.rows`)).toBe("1");
  });
});

describe("the Kafka table engine as a producer (Kafka sinks)", () => {
  it("INSERT … SELECT into a Kafka table produces one JSON message per row to the topic", async () => {
    const topic = "engines_sink";
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const sink = kafkaSinkSql({
      database: DB, table: "sink_run_1", topic, connection: { bootstrapServers: broker.address },
      columns: [{ name: "n", type: "UInt64" }, { name: "label", type: "String" }],
      select: "SELECT number AS n, concat('row-', toString(number)) AS label FROM numbers(5000)",
    });
    await ch.command({ query: sink.create });
    await ch.command({ query: sink.insert });
    await ch.command({ query: sink.drop });

    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId: "engines_sink_reader" });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length >= 5000) resolve();
        },
      });
    });
    await Promise.race([done, new Promise((r) => setTimeout(r, 90_000))]);
    await consumer.disconnect();
    expect(seen.length).toBe(5000);
    const rows = seen.map((v) => JSON.parse(v) as { n: string | number; label: string });
    expect(new Set(rows.map((r) => Number(r.n))).size).toBe(5000);
    expect(rows.every((r) => r.label === `row-${r.n}`)).toBe(true);
  });
});

describe("the S3Queue table engine on the local engine", () => {
  // The probe prints its answer, then exits; with an S3Queue table attached the
  // embedded engine crashes on the way out (exit 139, SIGSEGV in its shutdown),
  // which is recorded, not hidden: `exit` says how the process ended.
  async function probe(input: object): Promise<{ results: Array<{ ok: boolean; text: string }>; waited?: string; final: string[]; exit: number }> {
    let stdout: string;
    let exit = 0;
    try {
      stdout = (await run("npx", ["tsx", join(import.meta.dirname, "chdb-engine-probe.ts"), JSON.stringify(input)], { timeout: 120_000, maxBuffer: 8 << 20 })).stdout;
    } catch (e) {
      const err = e as { stdout?: string; code?: number };
      if (!err.stdout?.trim()) throw e;
      stdout = err.stdout;
      exit = err.code ?? -1;
    }
    return { ...(JSON.parse(stdout.trim().split("\n").at(-1)!) as { results: Array<{ ok: boolean; text: string }>; waited?: string; final: string[] }), exit };
  }
  const s3 = () => ({ url: inject("s3Url"), key: inject("s3AccessKey"), secret: inject("s3SecretKey"), bucket: inject("s3Bucket") });

  it("needs a Keeper: refused without one (139), loads each file once through a view with the in-memory testkeeper, and forgets what it loaded when the engine restarts", async () => {
    const { url, key, secret, bucket } = s3();
    const prefix = `connectors-engines-${Date.now()}`;
    const src = (f: string) => `s3('${url}/${bucket}/${prefix}/${f}', '${key}', '${secret}', 'CSVWithNames', 'id UInt64, name String')`;
    const queueDdl = `CREATE TABLE q (id UInt64, name String) ENGINE S3Queue('${url}/${bucket}/${prefix}/*.csv', '${key}', '${secret}', 'CSVWithNames')
                      SETTINGS mode = 'unordered', keeper_path = '/tern/${prefix}'`;

    const without = await probe({ dataDir: join(dir, "chdb-nokeeper"), args: [], statements: [queueDdl] });
    expect(without.results[0]!.ok).toBe(false);
    expect(without.results[0]!.text).toContain("There is no Zookeeper configuration in server config. (NO_ELEMENTS_IN_CONFIG)");

    const config = join(dir, "testkeeper.xml");
    await writeFile(config, "<clickhouse><zookeeper><implementation>testkeeper</implementation></zookeeper></clickhouse>\n");
    const dataDir = join(dir, "chdb-testkeeper");
    const first = await probe({
      dataDir, args: [`--config-file=${config}`],
      statements: [
        `INSERT INTO FUNCTION ${src("a.csv")} SELECT number, 'a' FROM numbers(100)`,
        `INSERT INTO FUNCTION ${src("b.csv")} SELECT number + 100, 'b' FROM numbers(50)`,
        `CREATE TABLE dst (id UInt64, name String, file String) ENGINE MergeTree ORDER BY id`,
        queueDdl,
        `CREATE MATERIALIZED VIEW mv TO dst AS SELECT id, name, _file AS file FROM q`,
      ],
      waitQuery: "SELECT count(), uniqExact(id) FROM dst", waitFor: "150\t150", waitMs: 60_000,
      finalQueries: ["SELECT file_name, status, rows_processed FROM system.s3queue_metadata_cache ORDER BY file_name"],
    });
    expect(first.results.every((r) => r.ok)).toBe(true);
    expect(first.waited).toBe("150\t150");
    expect(first.final[0]).toBe("a.csv\tProcessed\t100\nb.csv\tProcessed\t50");

    // The same data dir after a restart: the tables come back, but testkeeper
    // kept its state in memory only, so the queue loads both files again.
    const second = await probe({
      dataDir, args: [`--config-file=${config}`], statements: [],
      waitQuery: "SELECT count(), uniqExact(id) FROM dst", waitFor: "300\t150", waitMs: 60_000,
    });
    expect(second.waited).toBe("300\t150");
  });
});
