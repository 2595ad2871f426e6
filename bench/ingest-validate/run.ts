/**
 * Validation throughput of shared/ingest for a ~10 MB NDJSON body of a
 * realistic 10-column events schema. Prints rows/s and MB/s for:
 * JSON.parse alone (baseline), validateNdjson with passthrough-friendly rows,
 * and with rows that need re-serialization (ISO timestamps, JSONPaths).
 * Fixed method: one warm-up run per variant, then ROUNDS interleaved rounds;
 * the median is reported. `npx tsx bench/ingest-validate/run.ts`
 */
import { compileRowValidator, validateNdjson, type IngestColumn } from "../../shared/ingest/index.js";

const TARGET_BYTES = 10 * 1024 * 1024;
const ROUNDS = 7;

const columns: IngestColumn[] = [
  { name: "timestamp", type: "DateTime64(3)" },
  { name: "session_id", type: "String" },
  { name: "user_id", type: "UInt64" },
  { name: "action", type: "LowCardinality(String)" },
  { name: "version", type: "LowCardinality(String)" },
  { name: "tenant_id", type: "UUID" },
  { name: "duration_ms", type: "Nullable(UInt32)" },
  { name: "price", type: "Decimal(18, 4)" },
  { name: "country", type: "LowCardinality(Nullable(String))" },
  { name: "payload", type: "String" },
];
const withPaths: IngestColumn[] = columns.map((c) => ({ ...c, jsonPath: c.name === "country" ? "$.geo.country" : `$.${c.name}` }));

function rand(seed: number): () => number {
  let s = seed;
  return () => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s / 0x7fffffff; };
}

function makeBody(iso: boolean): string {
  const r = rand(42);
  const actions = ["page_hit", "click", "purchase", "signup", "scroll"];
  const lines: string[] = [];
  let size = 0;
  let i = 0;
  while (size < TARGET_BYTES) {
    const t = 1_704_067_200_000 + i * 137;
    const d = new Date(t);
    const ts = iso ? d.toISOString() : d.toISOString().replace("T", " ").replace("Z", "");
    const row = {
      timestamp: ts,
      session_id: `s-${Math.floor(r() * 1e9).toString(36)}`,
      user_id: Math.floor(r() * 1e12),
      action: actions[i % actions.length],
      version: "1.4.2",
      tenant_id: "123e4567-e89b-12d3-a456-4266141740" + String(i % 100).padStart(2, "0"),
      duration_ms: i % 7 === 0 ? null : Math.floor(r() * 5000),
      price: (Math.floor(r() * 1e6) / 100).toFixed(2),
      ...(iso ? { geo: { country: "ES" } } : { country: i % 5 === 0 ? null : "ES" }),
      payload: JSON.stringify({ path: `/p/${i % 300}`, referrer: "https://example.com/", ua: "Mozilla/5.0 (X11; Linux x86_64)" }),
    };
    const line = JSON.stringify(row);
    lines.push(line);
    size += line.length + 1;
    i++;
  }
  return lines.join("\n") + "\n";
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const plain = makeBody(false);
const iso = makeBody(true);
const bytesPlain = new TextEncoder().encode(plain);
const bytesIso = new TextEncoder().encode(iso);
const rowsPlain = plain.split("\n").length - 1;
const rowsIso = iso.split("\n").length - 1;
const direct = compileRowValidator(columns);
const pathed = compileRowValidator(withPaths);

const variants: { name: string; rows: number; bytes: number; run: () => void }[] = [
  {
    name: "JSON.parse per line (baseline, decode + split + parse)",
    rows: rowsPlain, bytes: bytesPlain.length,
    run: () => {
      const text = new TextDecoder().decode(bytesPlain);
      let start = 0;
      for (;;) {
        const end = text.indexOf("\n", start);
        if (end < 0) break;
        if (end > start) JSON.parse(text.slice(start, end));
        start = end + 1;
      }
    },
  },
  {
    name: "validateNdjson, direct keys (passthrough)",
    rows: rowsPlain, bytes: bytesPlain.length,
    run: () => { const r = validateNdjson(bytesPlain, direct, { importId: "b", now: 0 }); if (r.validCount !== rowsPlain) throw new Error("rows lost"); },
  },
  {
    name: "validateNdjson, JSONPaths + ISO timestamps (re-serialized)",
    rows: rowsIso, bytes: bytesIso.length,
    run: () => { const r = validateNdjson(bytesIso, pathed, { importId: "b", now: 0 }); if (r.validCount !== rowsIso) throw new Error("rows lost"); },
  },
];

const passthrough = validateNdjson(bytesPlain, direct, { importId: "b", now: 0 }).stats.passthroughRows;
for (const v of variants) v.run();
const times = variants.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  variants.forEach((v, i) => {
    const t0 = performance.now();
    v.run();
    times[i]!.push(performance.now() - t0);
  });
}

console.log(`node ${process.version}, ${ROUNDS} interleaved rounds after 1 warm-up; body ${(bytesPlain.length / 1e6).toFixed(2)} MB, ${rowsPlain} rows (passthrough rows: ${passthrough})`);
console.log("| variant | median ms | rows/s | MB/s |");
console.log("|---|---|---|---|");
variants.forEach((v, i) => {
  const ms = median(times[i]!);
  console.log(`| ${v.name} | ${ms.toFixed(0)} | ${Math.round(v.rows / (ms / 1000)).toLocaleString("en-US")} | ${(v.bytes / 1e6 / (ms / 1000)).toFixed(1)} |`);
});
