/**
 * Render cost of one endpoint call: a 5-node pipe with 10 parameters, every
 * node rendered per call (as the endpoint path does), templates compiled once.
 * Run: npx tsx bench/template/run.ts
 */
import { cpus } from "node:os";
import { compileTemplate, extractParameters, render } from "../../shared/template/index.js";

const NODES = [
  `%
SELECT timestamp, session_id, action, version, payload
FROM analytics_events
WHERE timestamp >= {{DateTime(start_date, '2025-01-01 00:00:00', description='From')}}
  AND timestamp < {{DateTime(end_date, '2025-12-31 00:00:00', description='To')}}
  {% if defined(session_id) %} AND session_id = {{String(session_id)}} {% end %}
  {% if defined(actions) and actions != [''] %} AND action IN {{Array(actions, 'String')}} {% end %}`,
  `%
SELECT session_id, action, JSONExtractString(payload, 'pathname') AS pathname,
       JSONExtractString(payload, 'country') AS country
FROM parsed_events
{% if defined(country) %} WHERE country = {{String(country, description='ISO code')}} {% end %}`,
  `%
SELECT {{column(group_by, 'pathname')}} AS dim, count() AS hits, uniq(session_id) AS visits
FROM enriched
WHERE 1 = 1
{% if date_diff_in_hours(DateTime(start_date, '2025-01-01 00:00:00'), DateTime(end_date, '2025-12-31 00:00:00')) >= 48 %}
  AND 1 = 1
{% end %}
GROUP BY dim`,
  `%
SELECT dim, hits, visits
FROM grouped
WHERE hits >= {{UInt32(min_hits, 1)}}
ORDER BY {{column(order_by, 'hits')}} {% if Boolean(desc, True) %}DESC{% else %}ASC{% end %}`,
  `%
{{max_threads(4)}}
SELECT * FROM sorted
LIMIT 50
OFFSET {{Int32(page, 0) * 50}}`,
];

const PARAMS = {
  start_date: "2025-03-01 00:00:00",
  end_date: "2025-03-08 00:00:00",
  session_id: "s-8f1e'2c",
  actions: ["page_hit", "click"],
  country: "ES",
  group_by: "pathname",
  min_hits: "10",
  order_by: "visits",
  desc: "false",
  page: "2",
};

const compiled = NODES.map((n) => compileTemplate(n));
const signature = extractParameters(compiled).map((p) => p.name);
if (signature.length !== 10) throw new Error(`unexpected signature: ${signature.join(", ")}`);

function call(): number {
  let n = 0;
  for (const t of compiled) n += render(t, PARAMS).sql.length;
  return n;
}

const WARMUP = 20_000;
const SAMPLES = 50_000;
let sink = 0;
for (let i = 0; i < WARMUP; i++) sink += call();
const times = new Float64Array(SAMPLES);
for (let i = 0; i < SAMPLES; i++) {
  const t0 = process.hrtime.bigint();
  sink += call();
  times[i] = Number(process.hrtime.bigint() - t0) / 1000;
}
times.sort();
const mean = times.reduce((a, b) => a + b, 0) / SAMPLES;
const pct = (p: number) => times[Math.min(SAMPLES - 1, Math.floor(SAMPLES * p))] as number;

// Compile cost (uncached: distinct sources).
const C = 2000;
const c0 = process.hrtime.bigint();
for (let i = 0; i < C; i++) for (const n of NODES) sink += compileTemplate(`${n}\n-- ${i}`).nodes.length;
const compileUs = Number(process.hrtime.bigint() - c0) / 1000 / (C * NODES.length);

console.log(`template render, 5-node pipe, 10 params — node ${process.version}, ${cpus()[0]?.model ?? "cpu"} x${cpus().length}`);
console.log(`per endpoint call (5 renders): p50 ${pct(0.5).toFixed(1)} µs  p99 ${pct(0.99).toFixed(1)} µs  mean ${mean.toFixed(1)} µs  (${SAMPLES} calls after ${WARMUP} warm-up)`);
console.log(`compile (parse + sandbox + signature), per node: ${compileUs.toFixed(1)} µs`);
if (sink === 42) console.log("");
