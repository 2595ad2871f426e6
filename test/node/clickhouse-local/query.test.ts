import type { ClickHouseClient } from "@clickhouse/client-web";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, freshDatabase, http, url , iterate } from "./helpers.js";

const DB = "chl_query_test";
let ch: ClickHouseClient;

beforeAll(async () => {
  await freshDatabase(DB);
  ch = client({ database: DB });
  await ch.command({
    query: "CREATE TABLE events (id UInt64, name String, ts DateTime64(3, 'UTC'), score Float64) ENGINE = MergeTree ORDER BY id",
  });
  await ch.insert({
    table: "events",
    format: "JSONEachRow",
    values: [
      { id: 1, name: "alpha", ts: "2024-01-01 00:00:00.000", score: 1.5 },
      { id: 2, name: "beta", ts: "2024-01-02 12:30:00.250", score: -2 },
      { id: 3, name: "gamma", ts: "2024-01-03 23:59:59.999", score: 0 },
    ],
  });
});
afterAll(async () => {
  await ch.close();
});

describe("query formats", () => {
  it("JSON returns meta, data, rows and statistics", async () => {
    const rs = await ch.query({ query: "SELECT id, name FROM events ORDER BY id", format: "JSON" });
    const j = await rs.json<{ id: number; name: string }>();
    expect(j.meta).toEqual([
      { name: "id", type: "UInt64" },
      { name: "name", type: "String" },
    ]);
    expect(j.data).toEqual([
      { id: 1, name: "alpha" },
      { id: 2, name: "beta" },
      { id: 3, name: "gamma" },
    ]);
    expect(j.rows).toBe(3);
    expect(j.statistics).toMatchObject({ rows_read: 3 });
  });

  it("JSONEachRow returns one object per row", async () => {
    const rs = await ch.query({ query: "SELECT id, ts FROM events ORDER BY id", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([
      { id: 1, ts: "2024-01-01 00:00:00.000" },
      { id: 2, ts: "2024-01-02 12:30:00.250" },
      { id: 3, ts: "2024-01-03 23:59:59.999" },
    ]);
  });

  it("JSONCompactEachRowWithNamesAndTypes keeps one header", async () => {
    const rs = await ch.query({ query: "SELECT id, score FROM events ORDER BY id", format: "JSONCompactEachRowWithNamesAndTypes" });
    expect(await rs.text()).toBe('["id", "score"]\n["UInt64", "Float64"]\n[1, 1.5]\n[2, -2]\n[3, 0]\n');
  });

  it("CSV and CSVWithNames", async () => {
    const csv = await ch.query({ query: "SELECT id, name FROM events ORDER BY id", format: "CSV" });
    expect(await csv.text()).toBe('1,"alpha"\n2,"beta"\n3,"gamma"\n');
    const named = await ch.query({ query: "SELECT id, name FROM events ORDER BY id", format: "CSVWithNames" });
    expect(await named.text()).toBe('"id","name"\n1,"alpha"\n2,"beta"\n3,"gamma"\n');
  });

  it("TabSeparated is the default format of the HTTP interface", async () => {
    const res = await http({ query: "SELECT id, name FROM events ORDER BY id", database: DB });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-clickhouse-format")).toBe("TabSeparated");
    expect(await res.text()).toBe("1\talpha\n2\tbeta\n3\tgamma\n");
  });

  it("a FORMAT clause in the query wins over default_format", async () => {
    const res = await http({ query: "SELECT 1 AS x FORMAT JSONEachRow", default_format: "CSV" });
    expect(res.headers.get("x-clickhouse-format")).toBe("JSONEachRow");
    expect(await res.text()).toBe('{"x":1}\n');
  });

  it("default_format applies when the query names none", async () => {
    const res = await http({ query: "SELECT 1 AS x", default_format: "JSONCompactEachRow" });
    expect(await res.text()).toBe("[1]\n");
  });
});

describe("streaming", () => {
  it("resultSet.stream() yields every row of a multi-block result", async () => {
    const rs = await ch.query({
      query: "SELECT number AS n FROM system.numbers LIMIT 200000",
      format: "JSONCompactEachRow",
      clickhouse_settings: { max_block_size: "10000" },
    });
    let count = 0;
    let sum = 0;
    for await (const rows of iterate(rs.stream<[string]>())) {
      for (const row of rows) {
        const [n] = row.json();
        count++;
        sum += Number(n);
      }
    }
    expect(count).toBe(200000);
    expect(sum).toBe((199999 * 200000) / 2);
  });

  it("CSVWithNames over many blocks has exactly one header line", async () => {
    const res = await http({ query: "SELECT number FROM numbers(30000) FORMAT CSVWithNames", max_block_size: "1000" });
    const lines = (await res.text()).split("\n");
    expect(lines[0]).toBe('"number"');
    expect(lines.filter((l) => l === '"number"').length).toBe(1);
    expect(lines.length).toBe(30002);
    expect(lines[30000]).toBe("29999");
  });

  it("an empty result in a WithNames format still sends the header", async () => {
    const res = await http({ query: "SELECT number FROM numbers(5) WHERE number > 10 FORMAT TSVWithNames" });
    expect(await res.text()).toBe("number\n");
  });

  it("summary counts the result rows", async () => {
    const rs = await ch.query({ query: "SELECT number FROM numbers(10)", format: "JSONEachRow" });
    const summary = JSON.parse(String(rs.response_headers["x-clickhouse-summary"]));
    await rs.text();
    expect(summary.result_rows).toBe("10");
    expect(Object.keys(summary).sort()).toEqual(
      ["elapsed_ns", "read_bytes", "read_rows", "result_bytes", "result_rows", "total_rows_to_read", "written_bytes", "written_rows"].sort(),
    );
  });
});

describe("insert", () => {
  it("inserts JSONEachRow values and reports written rows", async () => {
    await ch.command({ query: "CREATE TABLE ins_json (k String, v Int32) ENGINE = MergeTree ORDER BY k" });
    const r = await ch.insert({ table: "ins_json", format: "JSONEachRow", values: [{ k: "a", v: 1 }, { k: "b", v: -2 }] });
    expect(r.executed).toBe(true);
    expect(JSON.parse(String(r.response_headers["x-clickhouse-summary"])).written_rows).toBe("2");
    const rows = await (await ch.query({ query: "SELECT k, v FROM ins_json ORDER BY k", format: "JSONEachRow" })).json();
    expect(rows).toEqual([
      { k: "a", v: 1 },
      { k: "b", v: -2 },
    ]);
  });

  it("inserts CSV, TSV and JSONCompactEachRow bodies with the query in the URL", async () => {
    await ch.command({ query: "CREATE TABLE ins_raw (k String, v Int32) ENGINE = MergeTree ORDER BY k" });
    const post = (query: string, body: string) => http({ query, database: DB }, { method: "POST", body });
    expect((await post("INSERT INTO ins_raw FORMAT CSV", 'c,3\n"d, e",4\n')).status).toBe(200);
    expect((await post("INSERT INTO ins_raw FORMAT TSV", "f\t5\n")).status).toBe(200);
    expect((await post("INSERT INTO ins_raw FORMAT JSONCompactEachRow", '["g", 6]\n')).status).toBe(200);
    const rows = await (await ch.query({ query: "SELECT k, v FROM ins_raw ORDER BY k", format: "CSV" })).text();
    expect(rows).toBe('"c",3\n"d, e",4\n"f",5\n"g",6\n');
  });

  it("inserts Parquet bytes", async () => {
    await ch.command({ query: "CREATE TABLE ins_parquet (n UInt32, s String) ENGINE = MergeTree ORDER BY n" });
    const pq = await http({ query: "SELECT toUInt32(number) AS n, toString(number * 2) AS s FROM numbers(4) FORMAT Parquet" });
    const bytes = new Uint8Array(await pq.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe("PAR1");
    const res = await http({ query: "INSERT INTO ins_parquet FORMAT Parquet", database: DB }, { method: "POST", body: bytes });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.headers.get("x-clickhouse-summary")!).written_rows).toBe("4");
    const rows = await (await ch.query({ query: "SELECT n, s FROM ins_parquet ORDER BY n", format: "CSV" })).text();
    expect(rows).toBe('0,"0"\n1,"2"\n2,"4"\n3,"6"\n');
  });

  it("inserts data that follows the query inline in the body", async () => {
    await ch.command({ query: "CREATE TABLE ins_inline (a UInt8, b String) ENGINE = MergeTree ORDER BY a" });
    await ch.exec({ query: "INSERT INTO ins_inline FORMAT JSONEachRow\n" + '{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n' });
    await ch.command({ query: "INSERT INTO ins_inline VALUES (3, 'z')" });
    const rows = await (await ch.query({ query: "SELECT a, b FROM ins_inline ORDER BY a", format: "CSV" })).text();
    expect(rows).toBe('1,"x"\n2,"y"\n3,"z"\n');
  });

  it("INSERT ... SELECT through command", async () => {
    await ch.command({ query: "CREATE TABLE ins_select (n UInt64) ENGINE = MergeTree ORDER BY n" });
    await ch.command({ query: "INSERT INTO ins_select SELECT number FROM numbers(100)" });
    const rs = await ch.query({ query: "SELECT count() AS c, sum(n) AS s FROM ins_select", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ c: 100, s: 4950 }]);
  });
});

describe("command, exec, ping", () => {
  it("ping answers", async () => {
    expect(await ch.ping()).toEqual({ success: true });
  });

  it("GET /ping and GET / answer Ok.", async () => {
    const base = new URL(url());
    expect(await (await fetch(new URL("/ping", base))).text()).toBe("Ok.\n");
    expect(await (await fetch(new URL("/", base))).text()).toBe("Ok.\n");
  });

  it("command runs DDL and returns a query id", async () => {
    const r = await ch.command({ query: "CREATE TABLE cmd_t (x UInt8) ENGINE = Memory", query_id: "chl-cmd-1" });
    expect(r.query_id).toBe("chl-cmd-1");
    const rs = await ch.query({ query: "EXISTS TABLE cmd_t", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ result: 1 }]);
  });

  it("exec returns the raw response stream", async () => {
    const r = await ch.exec({ query: "SELECT 'a' AS s, 2 AS n FORMAT TSVWithNames" });
    const text = await new Response(r.stream).text();
    expect(text).toBe("s\tn\na\t2\n");
  });

  it("echoes query_id in X-ClickHouse-Query-Id and sends the server headers", async () => {
    const res = await http({ query: "SELECT 1", query_id: "chl-qid-42" });
    await res.text();
    expect(res.headers.get("x-clickhouse-query-id")).toBe("chl-qid-42");
    expect(res.headers.get("x-clickhouse-timezone")).toBeTruthy();
    expect(res.headers.get("x-clickhouse-server-display-name")).toBeTruthy();
    expect(res.headers.get("content-type")).toBe("text/tab-separated-values; charset=UTF-8");
  });
});

describe("settings and database", () => {
  it("clickhouse_settings apply to the query", async () => {
    const rs = await ch.query({
      query: "SELECT getSetting('max_threads') AS t, getSetting('max_block_size') AS b",
      format: "JSONEachRow",
      clickhouse_settings: { max_threads: 1, max_block_size: "1234" },
    });
    expect(await rs.json()).toEqual([{ t: 1, b: 1234 }]);
  });

  it("settings do not leak into the next request", async () => {
    await ch.query({ query: "SELECT 1", clickhouse_settings: { max_block_size: "777" } }).then((r) => r.text());
    const rs = await ch.query({ query: "SELECT getSetting('max_block_size') AS b", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ b: 65409 }]);
  });

  it("SET in one request does not change the next one", async () => {
    await ch.command({ query: "SET max_block_size = 555" });
    const rs = await ch.query({ query: "SELECT getSetting('max_block_size') AS b", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ b: 65409 }]);
  });

  it("the database parameter selects the current database", async () => {
    const rs = await ch.query({ query: "SELECT currentDatabase() AS d", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ d: DB }]);
    const other = client();
    const rs2 = await other.query({ query: "SELECT currentDatabase() AS d", format: "JSONEachRow" });
    expect(await rs2.json()).toEqual([{ d: "default" }]);
    await other.close();
  });

  it("output_format_json_quote_64bit_integers=1 quotes UInt64 in JSON", async () => {
    const rs = await ch.query({
      query: "SELECT toUInt64(18446744073709551615) AS big",
      format: "JSONEachRow",
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    expect(await rs.json()).toEqual([{ big: "18446744073709551615" }]);
  });
});
