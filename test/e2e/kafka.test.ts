// Kafka through the platform (issue 17's "done when"): `npm run dev -- --kafka`
// with a local ClickHouse of this file's own (so it can be stopped and started
// again), a project with a .connection and a Kafka datasource deployed through
// /v1/deploy, 100,000 messages produced with kafkajs. Every message lands
// exactly once (the bad ones in quarantine with a reason), across a deploy
// that changes the schema mid-stream and across the broker and the local
// ClickHouse restarted mid-stream; deploy --check names what is wrong with a
// broker or a topic (over HTTP and through `tern deploy --check`);
// tinybird.kafka_ops_log records the partitions at a scheduler tick; Kafka sinks produce into topics.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import avro from "avsc";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnLocalClickHouse, type SpawnedClickHouse } from "../../clickhouse-local/spawn.js";
import type { KafkaBroker } from "../../kafka-local/broker.js";
import { startDevPlatform, type DevPlatform } from "./helpers/dev-platform.js";
import { restartDevKafka } from "./helpers/dev-kafka.js";
import { runTern } from "./helpers/tern.js";
import { freePort } from "./helpers/processes.js";

const TOPIC = "orders";
const credentials = { user: "kafka-e2e", password: "kafka-e2e-password" };

const CONNECTION = `TYPE kafka
KAFKA_BOOTSTRAP_SERVERS {{ tb_secret("KAFKA_SERVERS") }}
`;
function datasource(extra = ""): string {
  return `SCHEMA >
    \`id\` UInt64 \`json:$.id\`,
    \`name\` String \`json:$.user.name\`,
    \`ts\` DateTime \`json:$.ts\`${extra}

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
KAFKA_CONNECTION_NAME local_kafka
KAFKA_TOPIC ${TOPIC}
KAFKA_GROUP_ID {{ tb_secret("ORDERS_GROUP", "tern_e2e_orders") }}
KAFKA_AUTO_OFFSET_RESET earliest
KAFKA_STORE_RAW_VALUE True
KAFKA_STORE_HEADERS True
`;
}

let chDir: string;
let chPort: number;
let ch: SpawnedClickHouse;
let kafkaPort: number;
let registryPort: number;
let broker: KafkaBroker | undefined;
let platform: DevPlatform;
let kafka: Kafka;
let producer: Producer;

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${platform.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${platform.adminToken}`, ...init.headers } });
}
async function deploy(files: Record<string, string>, query = "auto_promote=true"): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [name, text] of Object.entries(files)) form.append("data_project://", new File([text], name, { type: "text/plain" }));
  const res = await api(`/v1/deploy?${query}`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function sql(query: string): Promise<string> {
  const res = await api(`/v0/sql?q=${encodeURIComponent(`${query} FORMAT TSV`)}`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status} ${text}`);
  return text.trim();
}
async function waitFor(query: string, want: string, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  let got = "";
  while (Date.now() < deadline) {
    got = await sql(query).catch((e: Error) => e.message);
    if (got === want) return got;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return got;
}
const ts = () => new Date(Date.now() - 3600_000).toISOString().slice(0, 19).replace("T", " ");
function good(from: number, n: number, extra = "") {
  return Array.from({ length: n }, (_, i) => ({
    key: `k${from + i}`, value: `{"id":${from + i},"user":{"name":"u${from + i}"},"ts":"${ts()}"${extra}}`, headers: { batch: String(from) },
  }));
}
async function produce(messages: Array<{ key: string; value: string; headers?: Record<string, string> }>): Promise<void> {
  for (let i = 0; i < messages.length; i += 5000) await producer.send({ topic: TOPIC, messages: messages.slice(i, i + 5000) });
}
async function connectProducer(): Promise<void> {
  kafka = new Kafka({ clientId: "tern-e2e", brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 30 } });
  producer = kafka.producer();
  await producer.connect();
}
async function startClickHouse(): Promise<void> {
  ch = await spawnLocalClickHouse({ port: chPort, dataDir: chDir, ...credentials });
}

beforeAll(async () => {
  chDir = await mkdtemp(join(tmpdir(), "tern-kafka-e2e-ch-"));
  chPort = await freePort();
  kafkaPort = await freePort();
  registryPort = await freePort();
  await startClickHouse();
  platform = await startDevPlatform([
    "--clickhouse-url", ch.url, "--clickhouse-user", credentials.user, "--clickhouse-password", credentials.password,
    "--kafka", "--kafka-port", String(kafkaPort), "--schema-registry-port", String(registryPort),
  ]);
  expect(platform.output()).toContain(`Kafka:       127.0.0.1:${kafkaPort}`);
  expect(platform.output()).toContain(`Registry:    http://127.0.0.1:${registryPort}/apis/ccompat/v6`);
  await connectProducer();
  const admin = kafka.admin();
  await admin.connect();
  // The sinks' topics too: a sink run first reads its topic, which answers at once when it exists.
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }, { topic: "orders_out" }, { topic: "orders_hourly" }], waitForLeaders: true });
  await admin.disconnect();
  // The connection's broker list is a workspace secret, as a project keeps it per environment.
  const res = await api("/v0/variables", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "KAFKA_SERVERS", value: `127.0.0.1:${kafkaPort}` }) });
  expect(res.status, await res.text()).toBe(200);
}, 300_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await platform?.stop();
  await broker?.stop().catch(() => undefined);
  await ch?.stop().catch(() => undefined);
  if (chDir) await rm(chDir, { recursive: true, force: true });
}, 120_000);

const sink = (topic: string, where: string, schedule: string) =>
  `NODE out\nSQL >\n    SELECT id, name FROM orders WHERE ${where}\n\nTYPE sink\nEXPORT_CONNECTION_NAME local_kafka\nEXPORT_KAFKA_TOPIC ${topic}\nEXPORT_SCHEDULE ${schedule}\n`;
const SINK_PROJECT = {
  "local_kafka.connection": CONNECTION,
  "orders.datasource": datasource(",\n    `country` LowCardinality(String) `json:$.country`"),
  "orders_out.pipe": sink("orders_out", "id < 1000", "@on-demand"),
  "orders_hourly.pipe": sink("orders_hourly", "id >= 1000 AND id < 1500", "0 * * * *"),
};

describe("Kafka datasources through the platform", () => {
  it("deploy --check reaches each broker and topic and says what is wrong before anything is deployed", { timeout: 120_000 }, async () => {
    const down = await freePort(); // nothing listens there
    const project = {
      "connections/local_kafka.connection": CONNECTION,
      "connections/gone_kafka.connection": `TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS 127.0.0.1:${down}\n`,
      "datasources/orders.datasource": datasource(),
      "datasources/missing.datasource": datasource().replace("KAFKA_TOPIC orders", "KAFKA_TOPIC no_such_topic").replace("tern_e2e_orders", "tern_e2e_missing"),
      "datasources/unreachable.datasource": datasource().replace("KAFKA_CONNECTION_NAME local_kafka", "KAFKA_CONNECTION_NAME gone_kafka"),
      // Avro: the broker answers, the connection's schema registry does not.
      "connections/no_registry.connection": `TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS 127.0.0.1:${kafkaPort}\nKAFKA_SCHEMA_REGISTRY_URL http://user:pw@127.0.0.1:${down}/apis/ccompat/v6\n`,
      "datasources/avro_down.datasource": datasource().replace("KAFKA_CONNECTION_NAME local_kafka", "KAFKA_CONNECTION_NAME no_registry").replace("tern_e2e_orders", "tern_e2e_avro_down") +
        "KAFKA_VALUE_FORMAT avro\n",
    };
    // The same project through `tern deploy --check`, side by side with the HTTP call.
    const dir = await mkdtemp(join(tmpdir(), "tern-kafka-e2e-project-"));
    for (const [name, text] of Object.entries(project)) {
      await mkdir(join(dir, dirname(name)), { recursive: true });
      await writeFile(join(dir, name), text);
    }
    await mkdir(join(dir, "home"));
    const [{ status, body }, cli] = await Promise.all([
      deploy(Object.fromEntries(Object.entries(project).map(([k, v]) => [k.split("/")[1]!, v])), "check=true"),
      runTern(["deploy", "--check"], { cwd: dir, home: join(dir, "home"), env: { TERN_HOST: platform.baseUrl, TERN_TOKEN: platform.adminToken } }),
    ]);
    await rm(dir, { recursive: true, force: true });
    expect(cli.code, cli.out + cli.err).toBe(1);
    expect(cli.err).toContain(`Datasource missing.datasource: Datasource 'missing': topic 'no_such_topic' does not exist on 127.0.0.1:${kafkaPort}\n`);
    expect(cli.err).toContain(`Datasource unreachable.datasource: Datasource 'unreachable': cannot reach the Kafka broker at 127.0.0.1:${down} (`);
    expect(status).toBe(400);
    const errors = ((body.feedback as Array<{ resource: string; level: string; message: string }>) ?? []).filter((f) => f.level === "ERROR");
    expect(errors.map((f) => f.resource).sort()).toEqual(["Datasource avro_down.datasource", "Datasource missing.datasource", "Datasource unreachable.datasource"]);
    // The registry's URL is shown without the credentials in it.
    expect(errors.find((f) => f.resource === "Datasource avro_down.datasource")!.message)
      .toMatch(new RegExp(`^Datasource 'avro_down': cannot read the schema registry at http://127\\.0\\.0\\.1:${down}/apis/ccompat/v6 \\((?!.*pw@).*Connection refused.*\\)$`));
    expect(errors.find((f) => f.resource === "Datasource missing.datasource")!.message)
      .toBe(`Datasource 'missing': topic 'no_such_topic' does not exist on 127.0.0.1:${kafkaPort}`);
    expect(errors.find((f) => f.resource === "Datasource unreachable.datasource")!.message)
      .toMatch(new RegExp(`^Datasource 'unreachable': cannot reach the Kafka broker at 127\\.0\\.0\\.1:${down} \\(.*brokers are down\\)$`));
    // Nothing was deployed.
    const list = (await (await api("/v1/deployments")).json()) as { deployments: unknown[] };
    expect(list.deployments).toEqual([]);

    // Passes, with an Avro datasource whose registry (npm run dev's) answers.
    const ok = await deploy({
      "local_kafka.connection": CONNECTION,
      "orders.datasource": datasource(),
      "registry_kafka.connection": `TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS 127.0.0.1:${kafkaPort}\nKAFKA_SCHEMA_REGISTRY_URL http://127.0.0.1:${registryPort}/apis/ccompat/v6\n`,
      "avro_ok.datasource": datasource().replace("KAFKA_CONNECTION_NAME local_kafka", "KAFKA_CONNECTION_NAME registry_kafka").replace("tern_e2e_orders", "tern_e2e_avro_ok") +
        "KAFKA_VALUE_FORMAT avro\n",
    }, "check=true");
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it("a deployed Kafka datasource lands every message once, with the meta columns and headers; bad messages go to quarantine with a reason", { timeout: 180_000 }, async () => {
    const { status, body } = await deploy({ "local_kafka.connection": CONNECTION, "orders.datasource": datasource() });
    expect(status, JSON.stringify(body)).toBe(200);
    await produce(good(0, 30_000));
    await produce([
      { key: "bad1", value: "not json at all" },
      { key: "bad2", value: `{"id":"abc","user":{"name":"x"},"ts":"${ts()}"}` },
    ]);
    expect(await waitFor("SELECT (SELECT count() FROM orders) + (SELECT count() FROM orders_quarantine)", "30002", 150_000)).toBe("30002");
    expect(await sql("SELECT count(), uniqExact(id), min(id), max(id) FROM orders")).toBe("30000\t30000\t0\t29999");
    expect(await sql("SELECT name, __topic, __key, __value LIKE '{\"id\":42,%', __partition IN (0, 1, 2), __offset >= 0, __headers['batch'] FROM orders WHERE id = 42"))
      .toBe(`u42\t${TOPIC}\tk42\t1\t1\t1\t0`);
    expect(await sql("SELECT __key, c__error FROM orders_quarantine ORDER BY __key")).toBe(
      "bad1\t['the message value is not a JSON object']\n" + "bad2\t['value \\'abc\\' on column \\'id\\' is not UInt64']",
    );
  });

  it("a scheduler tick records each partition of the datasource's consumer in tinybird.kafka_ops_log: the messages it read and committed, lag 0", { timeout: 90_000 }, async () => {
    // One tick a minute apart each try (a tick's rows carry its time); librdkafka's statistics come every 3 s.
    const want = `orders\t${TOPIC}\t3\t30002\t30002\t3\t['info']`;
    const first = Math.floor(Date.now() / 60_000) * 60_000;
    let got = "";
    for (let i = 0; i < 40 && got !== want; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 1000));
      const at = first + i * 60_000;
      const tick = await fetch(`${platform.baseUrl}/local/scheduled?time=${at}`, { method: "POST" });
      expect(tick.status, await tick.text()).toBe(200);
      got = await sql(`SELECT datasource_name, topic, count(), sum(processed_messages), sum(committed_messages), countIf(lag = 0), groupUniqArray(msg_type) FROM tinybird.kafka_ops_log WHERE timestamp = fromUnixTimestamp64Milli(toInt64(${at})) GROUP BY datasource_name, topic`);
    }
    expect(got).toBe(want);
  });

  it("a deploy that changes the schema mid-stream keeps the committed offsets: no message read twice or skipped", { timeout: 180_000 }, async () => {
    const sending = produce(good(30_000, 20_000));
    const { status, body } = await deploy({
      "local_kafka.connection": CONNECTION,
      "orders.datasource": datasource(",\n    `country` LowCardinality(String) `json:$.country`"),
    });
    expect(status, JSON.stringify(body)).toBe(200);
    await sending;
    await produce(good(50_000, 10_000, ',"country":"fr"'));
    expect(await waitFor("SELECT uniqExact(id) FROM orders", "60000", 150_000)).toBe("60000");
    expect(await sql("SELECT count(), uniqExact(id), countIf(country = 'fr') FROM orders")).toBe("60000\t60000\t10000");
    // A new column gives the datasource a new quarantine table (as any deploy does): the earlier bad messages stay in the old one.
    expect(await sql("SELECT count() FROM orders_quarantine")).toBe("0");
  });

  it("the broker and the local ClickHouse restarted mid-stream: 100,000 messages, each landed exactly once", { timeout: 300_000 }, async () => {
    const sending = produce(good(60_000, 30_000));
    await new Promise((r) => setTimeout(r, 1500));
    await ch.stop();
    await sending;
    await producer.disconnect();
    broker = await restartDevKafka(platform, kafkaPort);
    await connectProducer();
    await produce([...good(90_000, 10_000), { key: "bad3", value: "[1, 2, 3]" }]);
    await startClickHouse();
    expect(await waitFor("SELECT uniqExact(id) FROM orders", "100000", 240_000)).toBe("100000");
    await new Promise((r) => setTimeout(r, 8_000)); // a block written twice would have landed by now
    expect(await sql("SELECT count(), uniqExact(id) FROM orders")).toBe("100000\t100000");
    expect(await waitFor("SELECT __key, c__error FROM orders_quarantine", "bad3\t['the message value is not a JSON object']", 30_000))
      .toBe("bad3\t['the message value is not a JSON object']");
  });

  it("Kafka sinks run on demand and on their schedule as sink jobs: one JSON message per row in the topic, a sinks_ops_log row each", { timeout: 180_000 }, async () => {
    const { status, body } = await deploy(SINK_PROJECT);
    expect(status, JSON.stringify(body)).toBe(200);

    const run = await api("/v0/pipes/orders_out/sink", { method: "POST" });
    const job = (await run.json()) as { id: string };
    expect(run.status, JSON.stringify(job)).toBe(200);
    const tick = await fetch(`${platform.baseUrl}/local/scheduled?time=${Date.parse("2026-12-07T23:00:00Z")}`, { method: "POST" });
    expect(tick.status, await tick.text()).toBe(200);
    const ended = async (pipe: string) => {
      for (let i = 0; i < 120; i++) {
        const { jobs } = (await (await api(`/v0/jobs?pipe_name=${pipe}`)).json()) as { jobs: Array<{ pipe_name: string; status: string; error?: string }> };
        const mine = jobs.filter((j) => j.pipe_name === pipe);
        if (mine.length > 0 && mine.every((j) => j.status !== "waiting" && j.status !== "working")) return mine.map((j) => [j.status, j.error ?? ""]);
        await new Promise((r) => setTimeout(r, 1000));
      }
      return "still running";
    };
    expect(await ended("orders_out")).toEqual([["done", ""]]);
    expect(await ended("orders_hourly")).toEqual([["done", ""]]);

    // The topics hold one message per row, each the row as JSON.
    const read = async (topic: string, n: number) => {
      const ids = new Set<string>();
      let messages = 0;
      const consumer = kafka.consumer({ groupId: `e2e_read_${topic}` });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          messages++;
          ids.add(String((JSON.parse(message.value!.toString()) as { id: string | number }).id));
        },
      });
      const deadline = Date.now() + 60_000;
      while (messages < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      await new Promise((r) => setTimeout(r, 2000)); // more than n would show by now
      await consumer.disconnect();
      return { messages, distinct: ids.size, min: Math.min(...[...ids].map(Number)), max: Math.max(...[...ids].map(Number)) };
    };
    expect(await read("orders_out", 1000)).toEqual({ messages: 1000, distinct: 1000, min: 0, max: 999 });
    expect(await read("orders_hourly", 500)).toEqual({ messages: 500, distinct: 500, min: 1000, max: 1499 });
    expect(await waitFor("SELECT pipe_name, trigger, service, bucket, result, written_rows FROM tinybird.sinks_ops_log ORDER BY pipe_name", [
      "orders_hourly\tschedule\tkafka\torders_hourly\tok\t500",
      "orders_out\trequest\tkafka\torders_out\tok\t1000",
    ].join("\n"), 30_000)).toBe(["orders_hourly\tschedule\tkafka\torders_hourly\tok\t500", "orders_out\trequest\tkafka\torders_out\tok\t1000"].join("\n"));
  });
  it("an Avro datasource reads its topic through the schema registry npm run dev started: rows by schema id, an unreadable message in quarantine", { timeout: 120_000 }, async () => {
    const schema = { type: "record", name: "Click", fields: [{ name: "id", type: "long" }, { name: "page", type: { type: "record", name: "Page", fields: [{ name: "path", type: "string" }] } }] };
    const registered = await fetch(`http://127.0.0.1:${registryPort}/apis/ccompat/v6/subjects/clicks-value/versions`, {
      method: "POST", headers: { "content-type": "application/vnd.schemaregistry.v1+json" }, body: JSON.stringify({ schema: JSON.stringify(schema) }),
    });
    expect(registered.status).toBe(200);
    const { id: schemaId } = (await registered.json()) as { id: number };
    const secret = await api("/v0/variables", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "SCHEMA_REGISTRY_URL", value: `http://127.0.0.1:${registryPort}/apis/ccompat/v6` }),
    });
    expect(secret.status, await secret.text()).toBe(200);
    const { status, body } = await deploy({
      ...SINK_PROJECT,
      "local_kafka.connection": `${CONNECTION}KAFKA_SCHEMA_REGISTRY_URL {{ tb_secret("SCHEMA_REGISTRY_URL") }}\n`,
      "clicks.datasource": `SCHEMA >\n    \`id\` UInt64 \`json:$.id\`,\n    \`path\` String \`json:$.page.path\`\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "id"\n` +
        "KAFKA_CONNECTION_NAME local_kafka\nKAFKA_TOPIC clicks\nKAFKA_GROUP_ID tern_e2e_clicks\nKAFKA_AUTO_OFFSET_RESET earliest\nKAFKA_VALUE_FORMAT avro\n",
    });
    expect(status, JSON.stringify(body)).toBe(200);
    const type = avro.Type.forSchema(schema as avro.Schema);
    // The registry's wire format: magic byte 0, the schema id (4 bytes, big-endian), the Avro body.
    const framed = (avroBody: Buffer) => {
      const header = Buffer.alloc(5);
      header.writeUInt32BE(schemaId, 1);
      return Buffer.concat([header, avroBody]);
    };
    await producer.send({
      topic: "clicks",
      messages: [
        { key: "1", value: framed(type.toBuffer({ id: 1, page: { path: "/" } })) },
        { key: "2", value: framed(type.toBuffer({ id: 2, page: { path: "/pricing" } })) },
        { key: "bad", value: "not avro" },
      ],
    });
    expect(await waitFor("SELECT (SELECT count() FROM clicks) + (SELECT count() FROM clicks_quarantine)", "3", 90_000)).toBe("3");
    expect(await sql("SELECT id, path, __key FROM clicks ORDER BY id")).toBe("1\t/\t1\n2\t/pricing\t2");
    expect(await sql("SELECT __key, c__error, __value FROM clicks_quarantine")).toBe(
      "bad\t['the message value could not be read as Avro: Invalid magic byte before AvroConfluent schema identifier. Must be zero byte, found 110 instead']\tnot avro",
    );
  });
});
