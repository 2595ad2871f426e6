// The ClickHouse interface through `npm run dev` with ClickHouse's own Node driver (@clickhouse/client),
// connected as a BI tool would be: user = the workspace's name, password = a token.
import { createClient, type ClickHouseClient } from "@clickhouse/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedWorkspace, type SharedWorkspace } from "./helpers/shared-workspace.js";
import { deployFiles } from "./helpers/deploy-files.js";
import { runCli } from "../../cli/run.js";

const EVENTS = `SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`tenant\` String \`json:$.tenant\`,
    \`value\` Int64 \`json:$.value\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "tenant, ts"
`;

const TOTALS = `TOKEN totals_reader READ

NODE endpoint
SQL >
    SELECT tenant, sum(value) AS total FROM events GROUP BY tenant ORDER BY tenant

TYPE endpoint
`;

let platform: SharedWorkspace;
let workspace: string;
let admin: ClickHouseClient;
let readerToken: string;

function connect(password: string, extra: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  return createClient({ url: platform.baseUrl, pathname: "/clickhouse", username: workspace, password, request_timeout: 60_000, ...extra });
}

beforeAll(async () => {
  platform = await sharedWorkspace("e2e_clickhouse_interface");
  workspace = platform.workspace.name;
  await deployFiles(platform, { "events.datasource": EVENTS, "totals.pipe": TOTALS });
  const ingest = await fetch(`${platform.baseUrl}/v0/events?name=events&wait=true`, {
    method: "POST",
    headers: { authorization: `Bearer ${platform.adminToken}` },
    body: ['{"ts":"2026-01-01 00:00:00","tenant":"a","value":1}', '{"ts":"2026-01-01 00:00:01","tenant":"a","value":2}', '{"ts":"2026-01-01 00:00:02","tenant":"b","value":5}'].join("\n"),
  });
  expect(ingest.status, await ingest.text()).toBeLessThan(300);
  const tokens = (await (await fetch(`${platform.baseUrl}/v0/tokens`, { headers: { authorization: `Bearer ${platform.adminToken}` } })).json()) as { tokens: Array<{ name: string; token: string }> };
  readerToken = tokens.tokens.find((t) => t.name === "totals_reader")!.token;
  admin = connect(platform.adminToken);
}, 240_000);

afterAll(async () => {
  await admin?.close();
});

describe("@clickhouse/client (Node) through the ClickHouse interface", () => {
  it("pings and lists what the token may see", async () => {
    expect((await admin.ping()).success).toBe(true);
    const dbs = await (await admin.query({ query: "SHOW DATABASES", format: "JSONEachRow" })).json<{ name: string }>();
    expect(dbs.map((d) => d.name)).toEqual([workspace, "system", "tinybird"].sort());
    const tables = await (await admin.query({ query: "SELECT name, engine FROM system.tables WHERE database = {db:String} ORDER BY name", query_params: { db: workspace }, format: "JSONEachRow" })).json();
    expect(tables).toEqual([
      { name: "events", engine: "MergeTree" },
      { name: "totals", engine: "View" },
    ]);
    const reader = connect(readerToken);
    const seen = await (await reader.query({ query: "SELECT database, name FROM system.tables", format: "JSONEachRow" })).json();
    expect(seen).toEqual([{ database: workspace, name: "totals" }]);
    await reader.close();
  });

  it("runs queries with params in several formats", async () => {
    const q = "SELECT tenant, sum(value) AS total FROM events WHERE value >= {min:Int64} GROUP BY tenant ORDER BY tenant";
    const json = await (await admin.query({ query: q, query_params: { min: 2 }, format: "JSON" })).json<{ tenant: string; total: string }>();
    expect(json.data).toEqual([
      { tenant: "a", total: "2" },
      { tenant: "b", total: "5" },
    ]);
    expect(json.meta).toEqual([
      { name: "tenant", type: "String" },
      { name: "total", type: "Int64" },
    ]);
    expect(await (await admin.query({ query: q, query_params: { min: 0 }, format: "CSVWithNamesAndTypes" })).text()).toBe('"tenant","total"\n"String","Int64"\n"a",3\n"b",5\n');
    expect(await (await admin.query({ query: q, query_params: { min: 0 }, format: "TabSeparatedWithNames" })).text()).toBe("tenant\ttotal\na\t3\nb\t5\n");
    const compact = await (await admin.query({ query: `SELECT * FROM totals`, format: "JSONCompactEachRowWithNamesAndTypes" })).json();
    expect(compact).toEqual([["tenant", "total"], ["String", "Int64"], ["a", "3"], ["b", "5"]]);
    const parquet = Buffer.from(await (await admin.exec({ query: "SELECT * FROM events FORMAT Parquet" })).stream.toArray().then((c) => Buffer.concat(c)));
    expect(parquet.subarray(0, 4).toString()).toBe("PAR1");
    const withDb = connect(platform.adminToken, { database: workspace, clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    expect(await (await withDb.query({ query: `SELECT count() AS c FROM ${workspace}.events`, format: "JSONEachRow" })).json()).toEqual([{ c: 3 }]);
    await withDb.close();
  });

  it("streams a 1M-row result with compression both ways", async () => {
    const client = connect(platform.adminToken, { compression: { request: true, response: true } });
    const started = performance.now();
    const rs = await client.query({ query: "SELECT number, toString(number) AS s FROM numbers(1000000)", format: "JSONCompactEachRow" });
    let rows = 0;
    let sum = 0n;
    let chunks = 0;
    let firstAt = 0;
    for await (const batch of rs.stream()) {
      if (chunks === 0) firstAt = performance.now() - started;
      chunks++;
      for (const row of batch) {
        const [n] = row.json<[string, string]>();
        sum += BigInt(n);
        rows++;
      }
    }
    expect(rows).toBe(1_000_000);
    expect(sum).toBe(499999500000n);
    expect(chunks).toBeGreaterThan(10);
    // Streamed, not gathered first: the first rows arrive long before the last.
    const total = performance.now() - started;
    expect(firstAt, `first rows after ${firstAt.toFixed(0)} ms of ${total.toFixed(0)} ms`).toBeLessThan(total / 2);
    await client.close();
  });

  it("connects with what `tern clickhouse url` prints (the user asked of the server)", async () => {
    const out: string[] = [];
    const env = { TERN_HOST: platform.baseUrl, TERN_TOKEN: readerToken };
    expect(await runCli(["clickhouse", "url", "--json"], { out: (t) => out.push(t), err: () => undefined, cwd: process.cwd(), env })).toBe(0);
    const conn = JSON.parse(out.join("")) as { protocol: string; host: string; port: number; pathname: string; username: string; password: string; url: string };
    expect(conn.username).toBe(workspace);
    const client = createClient({ url: `${conn.protocol}://${conn.host}:${conn.port}`, pathname: conn.pathname, username: conn.username, password: conn.password });
    expect(await (await client.query({ query: "SELECT * FROM totals", format: "JSONEachRow" })).json()).toEqual([
      { tenant: "a", total: "3" },
      { tenant: "b", total: "5" },
    ]);
    await client.close();
    // curl takes the printed URL as is.
    const url = new URL(conn.url);
    const viaUrl = await fetch(`${url.origin}${url.pathname}/?query=${encodeURIComponent("SELECT count() FROM totals")}`, {
      headers: { authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}` },
    });
    expect(await viaUrl.text()).toBe("2\n");
  });

  it("is refused what the token may not, with ClickHouse error codes", async () => {
    const reader = connect(readerToken);
    await expect(reader.query({ query: "SELECT count() FROM events" })).rejects.toMatchObject({ code: "497", type: "ACCESS_DENIED" });
    await expect(admin.command({ query: "CREATE TABLE x (a UInt8) ENGINE = Memory" })).rejects.toMatchObject({ code: "164", type: "READONLY" });
    await expect(admin.insert({ table: "events", values: [{ tenant: "z", value: 1 }], format: "JSONEachRow" })).rejects.toMatchObject({ code: "164", type: "READONLY" });
    await expect(admin.command({ query: "SYSTEM FLUSH LOGS" })).rejects.toMatchObject({ code: "164" });
    await expect(admin.query({ query: "SELECT 1", clickhouse_settings: { max_result_rows: "0" } })).rejects.toMatchObject({ code: "164", type: "READONLY" });
    await expect(admin.query({ query: "SELECT * FROM url('http://127.0.0.1:1/x', CSV, 'a String')" })).rejects.toMatchObject({ code: "497" });
    await expect(admin.query({ query: "SELECT * FROM system.users" })).rejects.toMatchObject({ code: "497" });
    await expect(admin.query({ query: "SELECT nope FROM events" })).rejects.toMatchObject({ code: "47" });
    const wrong = connect("p.not-a-token");
    await expect(wrong.query({ query: "SELECT 1" })).rejects.toMatchObject({ code: "516", type: "AUTHENTICATION_FAILED" });
    await wrong.close();
    await reader.close();
  });
});
