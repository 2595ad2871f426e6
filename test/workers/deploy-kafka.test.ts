// Kafka datasources through /v1/deploy in workerd against the test run's local
// ClickHouse (no broker here: creating a consumer does not need one; messages
// flowing end to end are test/e2e/kafka.test.ts): the meta columns, no consumer
// while a deployment stages, the consumer at promote targeting live's tables, a
// branch that does not consume with its parent's group, warnings for what
// cannot consume; the scheduler's ticks writing tinybird.kafka_ops_log's
// history (a broker's lag is test/node/connectors/kafka-ops-log.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace, credentials, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";

const CONNECTION = "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS 127.0.0.1:9\n";
const DS = (extra = "") => `SCHEMA >
    \`id\` UInt64 \`json:$.id\`${extra}

ENGINE "MergeTree"
ENGINE_SORTING_KEY "id"
KAFKA_CONNECTION_NAME local_kafka
KAFKA_TOPIC orders
KAFKA_GROUP_ID {{ tb_secret("ORDERS_GROUP", "g_main") }}
`;

let ws: { id: string; token: string };
const databases: string[] = [];
const dbOf = (id: string) => `tern_${id.replace(/[^A-Za-z0-9]/g, "").toLowerCase()}`;

async function rows(query: string, params: Record<string, string>): Promise<string[]> {
  const rs = await testClickHouse().query({ query, query_params: params, format: "JSONEachRow" });
  return ((await rs.json()) as Array<{ r: string }>).map((x) => x.r);
}
const consumerObjects = (db: string) =>
  rows("SELECT concat(name, ' ', engine) AS r FROM system.tables WHERE database = {db:String} AND name LIKE 'orders\\\\_\\\\_kafka%' ORDER BY name", { db });
const liveTable = async (db: string) =>
  (await rows("SELECT name AS r FROM system.tables WHERE database = {db:String} AND match(name, '^orders__[0-9a-f]+_[0-9a-f]+$') ORDER BY metadata_modification_time DESC LIMIT 1", { db }))[0]!;

// The ticks' times: the minutes from this file's start (kafka_ops_log keeps 30 days, so a row older than that is never stored).
const start = Math.floor(Date.now() / 60_000) * 60_000;
const minute = (n: number) => start + n * 60_000;
/** A tick's time as ClickHouse shows `timestamp` (DateTime64(3), UTC). */
const shown = (n: number) => new Date(minute(n)).toISOString().replace("T", " ").replace("Z", "");

/** One scheduler tick as if the clock read `ms` (local mode's route to the cron handler). */
async function tick(ms: number): Promise<void> {
  const res = await api(`/local/scheduled?time=${ms}`, { method: "POST" });
  expect(res.status, await res.text()).toBe(200);
}

/** `tinybird.kafka_ops_log` through the Query API with the workspace's token, rows as TSV lines in time order. */
async function opsLog(token: string, columns: string): Promise<string[]> {
  const res = await api(`/v0/sql?q=${encodeURIComponent(`SELECT ${columns} FROM tinybird.kafka_ops_log ORDER BY timestamp FORMAT TSV`)}`, { token });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return text.split("\n").filter((l) => l !== "");
}

beforeAll(async () => {
  ws = await createWorkspace("deploy_kafka");
  databases.push(dbOf(ws.id));
});

afterAll(async () => {
  // The consumers retry an address nothing listens on: drop them with their databases.
  for (const db of databases) await testClickHouse().command({ query: `DROP DATABASE IF EXISTS \`${db}\`` });
});

describe("Kafka datasources in deployments", () => {
  let staged: string;

  it("a staged deployment creates the datasource's table with the meta columns, but no consumer", async () => {
    const res = await deploy({ "local_kafka.connection": CONNECTION, "orders.datasource": DS() }, "", ws.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    staged = res.body.deployment.id;
    const db = dbOf(ws.id);
    const columns = await rows("SELECT concat(name, ' ', type) AS r FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position", { db, t: await liveTable(db) });
    expect(columns).toEqual([
      "id UInt64", "__value String", "__topic LowCardinality(String)", "__partition Int16", "__offset Int64", "__timestamp DateTime", "__key String",
    ]);
    expect(await consumerObjects(db)).toEqual([]);
  });

  it("promoting it creates the consumer: the Kafka engine table and its two views into the live table and its quarantine", async () => {
    const res = await api(`/v1/deployments/${staged}/set-live`, { method: "POST", token: ws.token });
    expect(res.status, await res.text()).toBe(200);
    const db = dbOf(ws.id);
    expect(await consumerObjects(db)).toEqual(["orders__kafka Kafka", "orders__kafka_quarantine MaterializedView", "orders__kafka_rows MaterializedView"]);
    const table = await liveTable(db);
    const targets = await rows(
      "SELECT concat(name, ' ', arrayStringConcat(dependencies_table, ',')) AS r FROM system.tables WHERE database = {db:String} AND name = 'orders__kafka'", { db },
    );
    expect(targets).toEqual(["orders__kafka orders__kafka_quarantine,orders__kafka_rows"]);
    const rowsView = await rows("SELECT create_table_query AS r FROM system.tables WHERE database = {db:String} AND name = 'orders__kafka_rows'", { db });
    expect(rowsView[0]).toContain(`TO ${db}.${table}`);
    expect(rowsView[0]).toMatch(/kafka_group_name|FROM .*orders__kafka/);
  });

  it("each scheduler tick adds the consumer's state to tinybird.kafka_ops_log at the tick's time: its errors while the broker cannot be reached", { timeout: 60_000 }, async () => {
    // librdkafka reports the unreachable broker within seconds: wait for it, then tick.
    const db = dbOf(ws.id);
    for (let i = 0; i < 80 && (await rows("SELECT toString(length(exceptions.text) > 0) AS r FROM system.kafka_consumers WHERE database = {db:String}", { db }))[0] !== "1"; i++) {
      await new Promise((r) => setTimeout(r, 500));
    }
    const columns = "timestamp, datasource_name, topic, partition, msg_type, msg LIKE '%127.0.0.1:9%brokers are down%', lag IS NULL, processed_messages, processed_bytes IS NULL, committed_messages IS NULL";
    const row = (minute: number) => `${shown(minute)}\torders\t\t0\terror\t1\t1\t0\t1\t1`;
    await tick(minute(0));
    expect(await opsLog(ws.token, columns)).toEqual([row(0)]);
    await tick(minute(1));
    expect(await opsLog(ws.token, columns)).toEqual([row(0), row(1)]);
  });

  it("a workspace reads only its own consumers' rows of tinybird.kafka_ops_log", { timeout: 60_000 }, async () => {
    const other = await createWorkspace("deploy_kafka_ops");
    databases.push(dbOf(other.id));
    const res = await deploy({ "local_kafka.connection": CONNECTION, "events.datasource": DS().replace("KAFKA_TOPIC orders", "KAFKA_TOPIC events") }, "auto_promote=true", other.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // The engine starts its consumer in the background once the views are attached.
    for (let i = 0; i < 80 && (await rows("SELECT toString(count()) AS r FROM system.kafka_consumers WHERE database = {db:String}", { db: dbOf(other.id) }))[0] !== "1"; i++) {
      await new Promise((r) => setTimeout(r, 500));
    }
    await tick(minute(2));
    expect(await opsLog(other.token, "timestamp, datasource_name")).toEqual([`${shown(2)}\tevents`]);
    expect(await opsLog(ws.token, "timestamp, datasource_name")).toEqual([`${shown(0)}\torders`, `${shown(1)}\torders`, `${shown(2)}\torders`]);
  });

  it("a deployment that changes the schema moves the consumer to the new table at promote, in the same group", async () => {
    const res = await deploy({ "local_kafka.connection": CONNECTION, "orders.datasource": DS(",\n    `name` String `json:$.name`") }, "auto_promote=true", ws.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const db = dbOf(ws.id);
    const table = await liveTable(db);
    expect((await rows("SELECT create_table_query AS r FROM system.tables WHERE database = {db:String} AND name = 'orders__kafka_rows'", { db }))[0]).toContain(`TO ${db}.${table}`);
    expect((await rows("SELECT create_table_query AS r FROM system.tables WHERE database = {db:String} AND name = 'orders__kafka'", { db }))[0]).toContain("kafka_group_name = 'g_main'");
    expect(await consumerObjects(db)).toHaveLength(3);
  });

  it("rolling back moves the consumer back to the previous deployment's table", async () => {
    const db = dbOf(ws.id);
    const rowsViewTarget = async () =>
      /TO (\S+)/.exec((await rows("SELECT create_table_query AS r FROM system.tables WHERE database = {db:String} AND name = 'orders__kafka_rows'", { db }))[0]!)![1];
    const before = await rowsViewTarget();
    const res = await api("/v1/deployments/rollback", { method: "POST", token: ws.token });
    expect(res.status, await res.text()).toBe(200);
    const after = await rowsViewTarget();
    expect(after).not.toBe(before);
    const columns = await rows("SELECT name AS r FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position", { db, t: after!.split(".")[1]! });
    expect(columns).not.toContain("name");
    expect(await consumerObjects(db)).toHaveLength(3);
  });

  it("a live consumer left stopped (a deploy interrupted while it paused it) is back after the next deploy, on live's table", async () => {
    const db = dbOf(ws.id);
    const target = async () =>
      /TO (\S+)/.exec((await rows("SELECT create_table_query AS r FROM system.tables WHERE database = {db:String} AND name = 'orders__kafka_rows'", { db }))[0] ?? "")?.[1];
    const live = await target();
    for (const q of ["DROP VIEW orders__kafka_rows", "DROP VIEW orders__kafka_quarantine", "DROP TABLE orders__kafka"]) {
      await testClickHouse().command({ query: `${q.replace(/orders__kafka\w*/, (n) => `\`${db}\`.${n}`)}` });
    }
    expect(await consumerObjects(db)).toEqual([]);
    // The datasource unchanged (its table shared with live, so nothing pauses the consumer): only the heal brings it back.
    const res = await deploy({ "local_kafka.connection": CONNECTION, "orders.datasource": DS(), "n.pipe": "NODE n\nSQL >\n    SELECT count() AS c FROM orders\n\nTYPE endpoint\n" }, "", ws.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.deployment.live).toBe(false);
    expect(await consumerObjects(db)).toHaveLength(3);
    expect(await target()).toBe(live);
    const discard = await api(`/v1/deployments/${res.body.deployment.id}`, { method: "DELETE", token: ws.token });
    expect(discard.status, await discard.text()).toBe(200);
    expect(await target()).toBe(live);
  });

  it("a branch does not consume with its parent's group, and its deployment says so", async () => {
    const created = await api("/v1/environments?name=kafka_branch", { method: "POST", token: ws.token });
    const body = (await created.json()) as { workspace: { id: string } };
    expect(created.status, JSON.stringify(body)).toBe(200);
    const db = dbOf(body.workspace.id);
    databases.push(db);
    expect(await liveTable(db)).toMatch(/^orders__/);
    expect(await consumerObjects(db)).toEqual([]);
    const got = (await (await api("/v0/environments/kafka_branch?with_token=true", { token: ws.token })).json()) as { token: string };
    const list = (await (await api("/v1/deployments", { token: got.token })).json()) as { deployments: Array<{ feedback: Array<{ level: string; message: string }> }> };
    expect(list.deployments.at(-1)!.feedback.filter((f) => f.level === "WARNING").map((f) => f.message)).toContain(
      "Datasource 'orders' does not consume in this branch: its consumer group 'g_main' is the main workspace's, and sharing it would split the topic's partitions; give the branch its own KAFKA_GROUP_ID (e.g. {{ tb_secret(\"KAFKA_GROUP_ID\", \"...\") }} set per branch)",
    );
    // The parent still consumes.
    expect(await consumerObjects(dbOf(ws.id))).toHaveLength(3);
  });

  it("deleting a workspace stops its consumers: no Kafka consumer of its database, nor its named collection, is left in ClickHouse", async () => {
    const db = dbOf(ws.id);
    const consumers = () => rows("SELECT concat(database, '.', table) AS r FROM system.kafka_consumers WHERE database = {db:String}", { db });
    expect(await consumers()).toEqual([`${db}.orders__kafka`]);
    const collections = () => rows("SELECT name AS r FROM system.named_collections WHERE startsWith(name, {p:String})", { p: `${db}__` });
    expect(await collections()).toEqual([`${db}__orders__kafka`]);
    const gone = await api(`/v1/workspaces/${ws.id}`, { method: "DELETE", token: credentials().userToken });
    expect(gone.status, await gone.clone().text()).toBe(200);
    expect(await consumerObjects(db)).toEqual([]);
    expect(await consumers()).toEqual([]);
    expect(await collections()).toEqual([]);
  });

  it("a datasource that cannot consume deploys with a warning naming why, and gets no consumer", async () => {
    const other = await createWorkspace("deploy_kafka_unset");
    databases.push(dbOf(other.id));
    const res = await deploy(
      { "local_kafka.connection": 'TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS {{ tb_secret("NO_SUCH_SERVERS") }}\n', "orders.datasource": DS() }, "auto_promote=true", other.token,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.deployment.feedback.filter((f: { level: string }) => f.level === "WARNING").map((f: { message: string }) => f.message)).toContain(
      "Datasource 'orders': secret \"NO_SUCH_SERVERS\" with no value and no default (tb secret set, POST /v0/variables); it does not consume its topic",
    );
    expect(await consumerObjects(dbOf(other.id))).toEqual([]);

    // The secret set, the same project deployed again: nothing changes, and the datasource consumes now.
    const set = await api("/v0/variables", { method: "POST", token: other.token, headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "NO_SUCH_SERVERS", value: "127.0.0.1:9" }) });
    expect(set.status, await set.text()).toBe(200);
    const again = await deploy(
      { "local_kafka.connection": 'TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS {{ tb_secret("NO_SUCH_SERVERS") }}\n', "orders.datasource": DS() }, "auto_promote=true", other.token,
    );
    expect(again.body).toEqual({ result: "no_changes" });
    expect(await consumerObjects(dbOf(other.id))).toEqual(["orders__kafka Kafka", "orders__kafka_quarantine MaterializedView", "orders__kafka_rows MaterializedView"]);
  });
});
