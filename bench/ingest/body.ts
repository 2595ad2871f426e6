/** The bench's datasource (10 web-analytics columns) and its NDJSON bodies, shared by run.ts and clickhouse-side.ts. */
export const DATASOURCE = `SCHEMA >
    \`timestamp\` DateTime64(3) \`json:$.timestamp\`,
    \`session_id\` String \`json:$.session_id\`,
    \`user_id\` UInt64 \`json:$.user_id\`,
    \`action\` LowCardinality(String) \`json:$.action\`,
    \`pathname\` String \`json:$.pathname\`,
    \`country\` LowCardinality(String) \`json:$.country\`,
    \`device\` LowCardinality(String) \`json:$.device\`,
    \`duration_ms\` UInt32 \`json:$.duration_ms\`,
    \`revenue\` Nullable(Float64) \`json:$.revenue\`,
    \`tags\` Array(String) \`json:$.tags\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMM(timestamp)"
ENGINE_SORTING_KEY "action, timestamp"
`;

export function makeBody(seed: number, rows: number): string {
  const actions = ["view", "click", "buy", "scroll"];
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const n = seed * rows + i;
    lines.push(JSON.stringify({
      timestamp: `2026-05-${String((n % 28) + 1).padStart(2, "0")} 12:${String(n % 60).padStart(2, "0")}:00.${String(n % 1000).padStart(3, "0")}`,
      session_id: `s-${n % 9973}`,
      user_id: n % 100_003,
      action: actions[n % 4],
      pathname: `/products/${n % 517}`,
      country: ["ES", "FR", "DE", "US", "BR"][n % 5],
      device: n % 3 === 0 ? "mobile" : "desktop",
      duration_ms: n % 5000,
      revenue: n % 4 === 2 ? (n % 100) + 0.99 : null,
      tags: n % 2 ? ["a", "b"] : [],
    }));
  }
  return lines.join("\n");
}
