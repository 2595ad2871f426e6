// Kafka sinks whose broker cannot be reached, through the real Worker, queue and
// local ClickHouse (no broker here; a sink producing into a real broker is
// test/e2e/kafka.test.ts): the run fails saying which broker, instead of the
// producer's silent drop (an insert into a Kafka table whose broker is down
// returns "ok" after librdkafka's delivery timeout), and sinks_ops_log says so.
import { beforeAll, describe, expect, it } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { EVENTS_DATASOURCE, sinkPipe, sinkRun } from "./helpers/sinks.js";

let ws: { id: string; token: string };

beforeAll(async () => {
  ws = await createWorkspace("sinks_kafka");
  const res = await deploy({
    "events.datasource": EVENTS_DATASOURCE,
    "dead_kafka.connection": "TYPE kafka\nKAFKA_BOOTSTRAP_SERVERS 127.0.0.1:9\n",
    "to_dead.pipe": sinkPipe("SELECT customer, n FROM events", ["EXPORT_CONNECTION_NAME dead_kafka", "EXPORT_KAFKA_TOPIC out"]),
  }, "auto_promote=true", ws.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
});

describe("a Kafka sink whose broker is down", () => {
  it("fails its job naming the broker, and logs the run as an error", { timeout: 60_000 }, async () => {
    const job = await sinkRun("to_dead", ws.token);
    expect(job.status).toBe("error");
    expect(job.error).toMatch(/^The sink could not produce to Kafka: cannot reach the Kafka broker at 127\.0\.0\.1:9 \(.*brokers are down\)$/);
    // The ops log row is written in a batch after the job ends: wait for it.
    const query = encodeURIComponent("SELECT pipe_name, service, bucket, result, written_rows FROM tinybird.sinks_ops_log FORMAT TSV");
    let waited = "";
    for (let i = 0; i < 40 && waited === ""; i++) {
      const res = await api(`/v0/sql?q=${query}`, { token: ws.token });
      expect(res.status).toBe(200);
      waited = (await res.text()).trim();
      if (waited === "") await new Promise((r) => setTimeout(r, 250));
    }
    expect(waited).toBe("to_dead\tkafka\tout\terror\t0");
  });
});
