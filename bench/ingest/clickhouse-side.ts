/**
 * bench/ingest/clickhouse-side.ts: what ClickHouse spends per MB when it, not
 * the Worker, turns NDJSON lines into typed columns (the direction of issue 19
 * for a Worker that forwards bytes without parsing them). The bench's body
 * (run.ts's 5,000 events, 10 columns) goes into one local ClickHouse three
 * ways, interleaved (a block of each per round, shuffled), each block 16
 * inserts of one body:
 *
 * - `JSONEachRow`: `INSERT INTO t FORMAT JSONEachRow`, the direct baseline;
 * - `lines, one JSONExtract`: `FORMAT LineAsString` into a Null table whose
 *   materialized view reads each line once, `JSONExtract(line, 'Tuple(…)')`;
 * - `lines, json-columns.ts`: the same landing, with the views the Kafka and S3
 *   imports use (shared/connectors/json-columns.ts: a JSONExtract per column,
 *   rows that fit → t, the others → a quarantine with their reasons; its
 *   `Nullable(Array(…))` is refused by ClickHouse, so arrays are read apart).
 *
 * Prints ClickHouse's CPU ms per MB of each block (from /proc; inserts only,
 * merges not waited for: every variant writes the same rows into the same
 * table layout) and the load. Not part of the test suite.
 *
 *   npx tsx bench/ingest/clickhouse-side.ts [--rounds 5]
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@clickhouse/client-web";
import { spawnLocalClickHouse } from "../../clickhouse-local/spawn.js";
import { freePort } from "../../test/e2e/helpers/processes.js";
import { parseDatafile } from "../../shared/datafiles/index.js";
import { jsonColumnsSql } from "../../shared/connectors/json-columns.js";
import { cpuSeconds, formatSpread, interleave, load1, loadLine, machineLine, spread } from "../lib/measure.js";
import { DATASOURCE, makeBody } from "./body.js";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "5" } } });
const ROUNDS = Number(args.rounds);
const INSERTS = 16;

const parsed = parseDatafile({ path: "bench_events.datasource", text: DATASOURCE });
if (!parsed.ok || parsed.file.kind !== "datasource") throw new Error("datasource did not parse");
const columns = parsed.file.columns;
const columnDefs = columns.map((c) => `\`${c.name}\` ${c.type}`).join(", ");
const tupleType = `Tuple(${columns.map((c) => `${c.name} ${c.type.startsWith("Array(") || c.type.startsWith("Nullable(") ? c.type : `Nullable(${c.type.replace(/^LowCardinality\((.*)\)$/, "$1")})`}`).join(", ")})`;
const fromTuple = columns.map((c) => {
  const v = `tupleElement(j, '${c.name}')`;
  return c.type.startsWith("Array(") || c.type.startsWith("Nullable(") ? `${v} AS \`${c.name}\`` : `ifNull(${v}, defaultValueOfTypeName('${c.type}')) AS \`${c.name}\``;
});
// json-columns.ts asks for Nullable(<type>), which ClickHouse refuses for arrays: the Array column is read apart.
const sql = jsonColumnsSql(columns.filter((c) => !c.type.startsWith("Array(")), "line");
const arrays = columns.filter((c) => c.type.startsWith("Array(")).map((c) => `JSONExtract(line, '${c.name}', '${c.type}') AS \`${c.name}\``);

type Variant = "JSONEachRow" | "lines, one JSONExtract" | "lines, json-columns.ts";
const VARIANTS: readonly Variant[] = ["JSONEachRow", "lines, one JSONExtract", "lines, json-columns.ts"];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "tern-bench-ch-side-"));
  const ch = await spawnLocalClickHouse({ port: await freePort(), dataDir: dir, user: "bench", password: "bench-password" });
  try {
    const c = createClient({ url: ch.url, username: "bench", password: "bench-password" });
    const table = (name: string) => c.command({ query: `CREATE TABLE default.${name} (${columnDefs}) ENGINE MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (action, timestamp)` });
    await table("t_direct");
    await table("t_tuple");
    await table("t_columns");
    await c.command({ query: "CREATE TABLE default.q_columns (c__error Array(String), line String) ENGINE MergeTree ORDER BY tuple()" });
    await c.command({ query: "CREATE TABLE default.land_tuple (line String) ENGINE Null" });
    await c.command({ query: "CREATE TABLE default.land_columns (line String) ENGINE Null" });
    await c.command({ query: `CREATE MATERIALIZED VIEW default.mv_tuple TO default.t_tuple AS SELECT ${fromTuple.join(", ")} FROM (SELECT JSONExtract(line, '${tupleType}') AS j FROM default.land_tuple)` });
    await c.command({ query: `CREATE MATERIALIZED VIEW default.mv_columns TO default.t_columns AS SELECT ${[...sql.values, ...arrays].join(", ")} FROM default.land_columns WHERE ${sql.isObject} AND NOT (${sql.anyBad})` });
    await c.command({ query: `CREATE MATERIALIZED VIEW default.mv_columns_q TO default.q_columns AS SELECT ${sql.errors[1]}, line FROM default.land_columns WHERE NOT (${sql.isObject} AND NOT (${sql.anyBad}))` });

    const bodies = Array.from({ length: 8 }, (_, i) => makeBody(i, 5000));
    const mb = Buffer.byteLength(bodies[0]!) / 1048576;
    const insert: Record<Variant, (body: string) => Promise<unknown>> = {
      JSONEachRow: (body) => c.command({ query: `INSERT INTO default.t_direct FORMAT JSONEachRow\n${body}`, clickhouse_settings: { date_time_input_format: "best_effort", insert_deduplication_token: randomUUID() } }),
      "lines, one JSONExtract": (body) => c.command({ query: `INSERT INTO default.land_tuple FORMAT LineAsString\n${body}`, clickhouse_settings: { insert_deduplication_token: randomUUID() } }),
      "lines, json-columns.ts": (body) => c.command({ query: `INSERT INTO default.land_columns FORMAT LineAsString\n${body}`, clickhouse_settings: { insert_deduplication_token: randomUUID() } }),
    };
    console.log(machineLine());
    console.log(`body 5000 events = ${mb.toFixed(2)} MB; ${ROUNDS} rounds of ${VARIANTS.join(" / ")} in shuffled order, ${INSERTS} inserts per block`);
    const blocks: Array<{ variant: Variant; msPerMb: number; load: number }> = [];
    for (const { round, mode } of interleave(VARIANTS, ROUNDS, { shuffle: true, seed: 19 })) {
      const before = cpuSeconds(ch.pid);
      for (let i = 0; i < INSERTS; i++) await insert[mode](bodies[i % bodies.length]!);
      const msPerMb = ((cpuSeconds(ch.pid) - before) * 1000) / (INSERTS * mb);
      blocks.push({ variant: mode, msPerMb, load: load1() });
      console.log(`round ${round + 1} ${mode.padEnd(24)} ClickHouse ${msPerMb.toFixed(1)} CPU ms/MB  load ${load1().toFixed(2)}`);
    }
    const counts = await (await c.query({ query: "SELECT (SELECT count() FROM default.t_direct) AS direct, (SELECT count() FROM default.t_tuple) AS tuple, (SELECT count() FROM default.t_columns) AS columns, (SELECT count() FROM default.q_columns) AS quarantined", format: "JSONEachRow" })).json();
    console.log(`\nrows written: ${JSON.stringify(counts[0])}; ${loadLine()}`);
    console.log("ClickHouse CPU ms per MB of NDJSON inserted (median over rounds):");
    for (const v of VARIANTS) console.log(`  ${v.padEnd(24)} ${formatSpread(spread(blocks.filter((b) => b.variant === v).map((b) => b.msPerMb)), 1, " ms/MB")}`);
    console.log(`load per block: ${formatSpread(spread(blocks.map((b) => b.load)))}`);
  } finally {
    await ch.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
