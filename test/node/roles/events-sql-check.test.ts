// wait=true lines checked by ClickHouse (shared/ingest/sql-check.ts, INGEST_SQL_CHECK=on) through acceptEvents in
// Node and the real local ClickHouse: a datasource whose columns are all covered sends its
// segments as text to one INSERT … SELECT; a segment holding a line the check refuses lands
// nothing that way and goes through the Worker's validator, with the same rows, quarantine and
// line numbers as before; keyed requests and uncovered datasources keep the Worker's way.
import { describe, expect, it } from "vitest";
import { acceptEvents, SEGMENT_CHARS } from "../../../workers/ingest/events.js";
import type { LiveDeployment } from "../../../workers/catalog/client.js";
import { quoteQualifiedName } from "../../../shared/sql/ddl/index.js";
import { ClickHouseFetch, eventsWorkspace, nodePlatform, principal, rows } from "./helpers.js";

const FILES = {
  "events.datasource": `SCHEMA >
    \`timestamp\` DateTime \`json:$.timestamp\`,
    \`tenant\` String \`json:$.tenant\`,
    \`n\` Int64 \`json:$.n\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "timestamp"
`,
  // Float32 is not covered: every line of this datasource is validated in the Worker.
  "other.datasource": `SCHEMA >
    \`tenant\` String \`json:$.tenant\`,
    \`f\` Float32 \`json:$.f\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "tenant"
`,
};

const ch = new ClickHouseFetch();
let workspaceId: string;
let live: LiveDeployment;
let table: string;
let quarantine: string;
let insertInto: string;

eventsWorkspace(ch, FILES, (ws) => ({ workspaceId, live, table, quarantine, insertInto } = ws));

const line = (n: number, tenant: string) => JSON.stringify({ timestamp: "2026-01-01 00:00:00", tenant, n });

async function post(datasource: string, body: string, idempotencyKey?: string, sqlCheck = "on") {
  const test = nodePlatform(ch, { vars: { INGEST_SQL_CHECK: sqlCheck } });
  const answer = await acceptEvents(test.platform, principal(workspaceId), {
    live, datasource, wait: true, idempotencyKey,
    body: new Request(`http://tern.test/v0/events?name=${datasource}&wait=true`, { method: "POST", body }),
  });
  await test.settled();
  return answer;
}

/** The inserts into the datasource's table that carried this tenant's rows, by how they went. */
function insertsOf(tenant: string): string[] {
  return ch.calls
    .filter((c) => c.sql.startsWith(insertInto) && c.sql.includes(`"tenant":"${tenant}"`))
    .map((c) => (c.sql.includes("FROM format(LineAsString") ? "sql-check" : c.sql.includes("FORMAT JSONEachRow") ? "JSONEachRow" : "other"));
}

async function landed(tenant: string): Promise<number[]> {
  return (await rows<{ n: number | string }>(nodePlatform(ch).platform, `SELECT n FROM ${table} WHERE tenant = '${tenant}' ORDER BY n`)).map((r) => Number(r.n));
}

describe("acceptEvents, wait=true, a datasource ClickHouse can check", () => {
  it("writes valid lines as text through one checked insert and counts them", async () => {
    const answer = await post("events", [line(1, "a"), line(2, "a"), "", line(3, "a")].join("\n"));
    expect([answer.status, answer.body]).toEqual([200, { successful_rows: 3, quarantined_rows: 0 }]);
    expect(insertsOf("a")).toEqual(["sql-check"]);
    expect(await landed("a")).toEqual([1, 2, 3]);
  });

  it("takes the Worker's way for a segment with a bad line: the same rows land once and the bad one is quarantined with its line number", async () => {
    const answer = await post("events", [line(1, "b"), JSON.stringify({ timestamp: "2026-01-01 00:00:00", tenant: "b", n: "x" }), line(3, "b")].join("\n"));
    expect([answer.status, answer.body]).toEqual([200, { successful_rows: 2, quarantined_rows: 1 }]);
    expect(insertsOf("b")).toEqual(["sql-check", "JSONEachRow"]);
    expect(await landed("b")).toEqual([1, 3]);
    const q = await rows<{ c__error: string[]; n: string }>(nodePlatform(ch).platform, `SELECT c__error, n FROM ${quarantine} WHERE tenant = 'b'`);
    expect(q).toEqual([{ c__error: ["value 'x' on column 'n' is not Int64"], n: "x" }]);
  });

  it("in a body of three segments, only the segment with the bad line takes the Worker's way", async () => {
    const lines = Array.from({ length: 11_000 }, (_, n) => line(n, "c"));
    const bad = 7000;
    lines[bad] = JSON.stringify({ timestamp: "2026-01-01 00:00:00", tenant: "c", n: 1.5 });
    const text = lines.join("\n");
    expect([text.length > 2 * SEGMENT_CHARS, text.length < 3 * SEGMENT_CHARS]).toEqual([true, true]);
    const answer = await post("events", text);
    expect(answer.body).toEqual({ successful_rows: 10_999, quarantined_rows: 1 });
    const kinds = insertsOf("c");
    expect(kinds.filter((k) => k === "JSONEachRow")).toHaveLength(1);
    expect(kinds.filter((k) => k === "sql-check").length).toBeGreaterThanOrEqual(2);
    const got = await landed("c");
    expect([got.length, got.includes(bad), new Set(got).size]).toEqual([10_999, false, 10_999]);
    const q = await rows<{ n: string }>(nodePlatform(ch).platform, `SELECT n FROM ${quarantine} WHERE tenant = 'c'`);
    expect(q).toEqual([{ n: "1.5" }]);
  }, 30_000);

  it("keeps the Worker's way for a request with an Idempotency-Key", async () => {
    const answer = await post("events", [line(1, "d"), line(2, "d")].join("\n"), `k-${crypto.randomUUID()}`);
    expect(answer.body).toEqual({ successful_rows: 2, quarantined_rows: 0 });
    expect(insertsOf("d")).toEqual(["JSONEachRow"]);
  });

  it("keeps the Worker's way for a JSON array body", async () => {
    const answer = await post("events", `[${line(1, "e")},${line(2, "e")}]`);
    expect(answer.body).toEqual({ successful_rows: 2, quarantined_rows: 0 });
    expect(insertsOf("e")).toEqual(["JSONEachRow"]);
  });
});

describe("acceptEvents, wait=true, INGEST_SQL_CHECK off (the default)", () => {
  it("validates every line in the Worker", async () => {
    const answer = await post("events", [line(1, "g"), line(2, "g")].join("\n"), undefined, "off");
    expect(answer.body).toEqual({ successful_rows: 2, quarantined_rows: 0 });
    expect(insertsOf("g")).toEqual(["JSONEachRow"]);
  });
});

describe("acceptEvents, wait=true, a datasource ClickHouse cannot check", () => {
  it("validates every line in the Worker", async () => {
    const answer = await post("other", JSON.stringify({ tenant: "f", f: 1.5 }));
    expect(answer.body).toEqual({ successful_rows: 1, quarantined_rows: 0 });
    const other = `INSERT INTO ${quoteQualifiedName(live.manifest.database, live.manifest.datasources.other!.table)} `;
    expect(ch.calls.filter((c) => c.sql.startsWith(other)).map((c) => c.sql.includes("FORMAT JSONEachRow"))).toEqual([true]);
  });
});
