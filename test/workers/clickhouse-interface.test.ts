// The ClickHouse HTTP interface (/clickhouse, and / on TERN_CLICKHOUSE_HOST): protocol details as
// ClickHouse's drivers and curl use them, inside workerd against the real local ClickHouse.
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { SignJWT } from "jose";
import { createClient } from "@clickhouse/client-web";
import { api } from "./helpers/api.js";
import { deployProject, type Deployed } from "./endpoints-project.js";

let ws: Deployed;
let other: Deployed;

beforeAll(async () => {
  [ws, other] = await Promise.all([deployProject("chif"), deployProject("chif_other")]);
});

const BASE = "http://tern.test/clickhouse";

function basic(user: string, password: string): string {
  return `Basic ${btoa(`${user}:${password}`)}`;
}

/** A POST of `sql` with Basic auth (the workspace name as user, the token as password). */
function post(sql: string, query = "", init: { token?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return SELF.fetch(`${BASE}/${query ? `?${query}` : ""}`, {
    method: "POST",
    headers: { authorization: basic(ws.name, init.token ?? ws.token), ...init.headers },
    body: sql,
  });
}

async function staticToken(name: string, ...scopes: string[]): Promise<string> {
  const qs = new URLSearchParams([["name", name], ...scopes.map((s) => ["scope", s] as [string, string])]);
  const res = await api(`/v0/tokens?${qs}`, { method: "POST", token: ws.token });
  expect(res.status).toBe(200);
  return ((await res.json()) as any).token;
}

/** ClickHouse's error shape: body, code header, status. */
async function expectClickHouseError(res: Response, code: number, name: string, status: number): Promise<string> {
  const text = await res.text();
  expect(res.headers.get("x-clickhouse-exception-code"), text).toBe(String(code));
  expect(text).toMatch(new RegExp(`^Code: ${code}\\. DB::Exception: .+\\. \\(${name}\\)\\n$`, "s"));
  expect(res.status, text).toBe(status);
  return text;
}

describe("protocol", () => {
  it("ping and a bare GET answer Ok.", async () => {
    expect(await (await SELF.fetch(`${BASE}/ping`)).text()).toBe("Ok.\n");
    expect(await (await SELF.fetch(`${BASE}/`)).text()).toBe("Ok.\n");
    const head = await SELF.fetch(`${BASE}/ping`, { method: "HEAD" });
    expect([head.status, await head.text()]).toEqual([200, ""]);
    const preflight = await SELF.fetch(`${BASE}/`, { method: "OPTIONS", headers: { origin: "http://notebook.test", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("x-clickhouse-key");
    const browser = await post("SELECT 1", "", { headers: { origin: "http://notebook.test" } });
    expect(browser.headers.get("access-control-allow-origin")).toBe("*");
    expect(browser.headers.get("access-control-expose-headers")).toContain("X-ClickHouse-Exception-Code");
    await browser.text();
  });

  it("on TERN_CLICKHOUSE_HOST the interface is at /, and only the interface", async () => {
    const auth = { authorization: basic(ws.name, ws.token) };
    expect(await (await SELF.fetch("http://clickhouse.tern.test/ping")).text()).toBe("Ok.\n");
    expect(await (await SELF.fetch("http://clickhouse.tern.test/", { method: "POST", headers: auth, body: "SELECT count() FROM events" })).text()).toBe("10\n");
    const api404 = await SELF.fetch("http://clickhouse.tern.test/v0/sql?q=SELECT+1", { headers: auth });
    expect(api404.status).toBe(404);
    expect(await api404.text()).toMatch(/^Code: \d+\. DB::Exception: There is no handle \/v0\/sql/);
  });

  it("TabSeparated by default; the query in the URL, in the body, or split across both", async () => {
    const auth = { authorization: basic(ws.name, ws.token) };
    const inUrl = await SELF.fetch(`${BASE}/?query=${encodeURIComponent("SELECT tenant, count() FROM events GROUP BY tenant ORDER BY tenant")}`, { headers: auth });
    expect(inUrl.status).toBe(200);
    expect(inUrl.headers.get("x-clickhouse-format")).toBe("TabSeparated");
    expect(await inUrl.text()).toBe("acme\t5\nglobex\t5\n");
    const split = await SELF.fetch(`${BASE}/?query=${encodeURIComponent("SELECT max(value)")}`, { method: "POST", headers: auth, body: "FROM events" });
    expect(await split.text()).toBe("9\n");
    expect(await (await post("SELECT count() FROM events")).text()).toBe("10\n");
  });

  it("every way a driver sends credentials: Basic, X-ClickHouse-User/Key, user/password params, Bearer", async () => {
    const q = encodeURIComponent("SELECT count() FROM events");
    const forms: Array<[string, RequestInit]> = [
      [`?query=${q}`, { headers: { authorization: basic(ws.name, ws.token) } }],
      [`?query=${q}`, { headers: { authorization: basic("default", ws.token) } }],
      [`?query=${q}`, { headers: { "x-clickhouse-user": ws.name, "x-clickhouse-key": ws.token } }],
      [`?query=${q}`, { headers: { "x-clickhouse-key": ws.token } }],
      [`?query=${q}&user=${ws.name}&password=${encodeURIComponent(ws.token)}`, {}],
      [`?query=${q}`, { headers: { authorization: `Bearer ${ws.token}` } }],
    ];
    for (const [query, init] of forms) {
      const res = await SELF.fetch(`${BASE}/${query}`, init);
      expect(await res.text(), JSON.stringify(init)).toBe("10\n");
    }
  });

  it("no password: REQUIRED_PASSWORD (401); a wrong one: AUTHENTICATION_FAILED (403); two different: refused", async () => {
    const none = await SELF.fetch(`${BASE}/?query=SELECT+1`, { headers: { origin: "http://notebook.test" } });
    expect(none.headers.get("access-control-allow-origin")).toBe("*");
    await expectClickHouseError(none, 194, "REQUIRED_PASSWORD", 401);
    const wrong = await SELF.fetch(`${BASE}/?query=SELECT+1`, { headers: { authorization: basic(ws.name, "p.not-a-token") } });
    expect(await expectClickHouseError(wrong, 516, "AUTHENTICATION_FAILED", 403)).toContain(`${ws.name}: Authentication failed`);
    const two = await SELF.fetch(`${BASE}/?query=SELECT+1&password=${encodeURIComponent(other.token)}`, { headers: { authorization: basic(ws.name, ws.token) } });
    await expectClickHouseError(two, 516, "AUTHENTICATION_FAILED", 403);
  });

  it("the workspace's own names, by itself or under its name as database; database= the workspace, default or nothing", async () => {
    expect(await (await post(`SELECT count() FROM ${ws.name}.events`)).text()).toBe("10\n");
    expect(await (await post("SELECT count() FROM events", `database=${ws.name}`)).text()).toBe("10\n");
    expect(await (await post("SELECT count() FROM events", "database=default")).text()).toBe("10\n");
    await expectClickHouseError(await post("SELECT 1", `database=${other.name}`), 81, "UNKNOWN_DATABASE", 404);
    await expectClickHouseError(await post("SELECT 1", "", { headers: { "x-clickhouse-database": "system" } }), 81, "UNKNOWN_DATABASE", 404);
  });

  it("pipes by name, tinybird.* for an admin token", async () => {
    expect(await (await post("SELECT pathname, views FROM top_pages ORDER BY pathname FORMAT CSV")).text()).toBe('"/p0",4\n"/p1",3\n"/p2",3\n');
    const stats = await post("SELECT count() >= 0 FROM tinybird.pipe_stats_rt");
    expect(await stats.text()).toBe("1\n");
  });

  it("formats: FORMAT clause, default_format, X-ClickHouse-Format, names and types, binary formats", async () => {
    const json = await post("SELECT tenant, count() AS c FROM events GROUP BY tenant ORDER BY tenant FORMAT JSONEachRow");
    expect(json.headers.get("x-clickhouse-format")).toBe("JSONEachRow");
    expect(await json.text()).toBe('{"tenant":"acme","c":"5"}\n{"tenant":"globex","c":"5"}\n');
    const byParam = await post("SELECT tenant FROM events WHERE value = 1", "default_format=CSVWithNamesAndTypes");
    expect(await byParam.text()).toBe('"tenant"\n"String"\n"globex"\n');
    const byHeader = await post("SELECT tenant FROM events WHERE value = 1", "", { headers: { "x-clickhouse-format": "TSVWithNamesAndTypes" } });
    expect(await byHeader.text()).toBe("tenant\nString\nglobex\n");
    const rowBinary = new Uint8Array(await (await post("SELECT toUInt32(value) FROM events WHERE value < 2 ORDER BY value FORMAT RowBinary")).arrayBuffer());
    expect([...rowBinary]).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    const parquet = new Uint8Array(await (await post("SELECT * FROM events FORMAT Parquet")).arrayBuffer());
    expect(new TextDecoder().decode(parquet.slice(0, 4))).toBe("PAR1");
    const native = await post("SELECT 1 AS x FORMAT Native");
    expect(native.status).toBe(200);
    await expectClickHouseError(await post("SELECT 1", "default_format=Nope"), 73, "UNKNOWN_FORMAT", 404);
  });

  it("query parameters {name:Type} from the URL and from multipart fields", async () => {
    const res = await post("SELECT count() FROM events WHERE tenant = {t:String} AND value >= {min:Int64}", "param_t=acme&param_min=4");
    expect(await res.text()).toBe("3\n");
    const arr = await post("SELECT count() FROM events WHERE pathname IN {p:Array(String)}", `param_p=${encodeURIComponent("['/p0','/p2']")}`);
    expect(await arr.text()).toBe("7\n");
    const form = new FormData();
    form.append("query", "SELECT {n:UInt8} + 1");
    form.append("param_n", "41");
    const multipart = await SELF.fetch(`${BASE}/`, { method: "POST", headers: { authorization: basic(ws.name, ws.token) }, body: form });
    expect(await multipart.text()).toBe("42\n");
    await expectClickHouseError(await post("SELECT {missing:String}"), 456, "UNKNOWN_QUERY_PARAMETER", 500);
  });

  it("an Identifier parameter cannot name a table outside the workspace, nor its own physical tables", async () => {
    for (const table of ["system.users", other.eventsTable, ws.eventsTable]) {
      const res = await post("SELECT count() FROM {t:Identifier}", `param_t=${encodeURIComponent(table)}`);
      const text = await res.text();
      expect(res.status, text).toBeGreaterThanOrEqual(400);
      expect(res.headers.get("x-clickhouse-exception-code"), text).not.toBeNull();
      expect(text).not.toContain("tern_");
    }
  });

  it("query_id is echoed, X-ClickHouse-Summary and X-ClickHouse-Timezone come from ClickHouse", async () => {
    const res = await post("SELECT count() FROM events", "query_id=my-query-1");
    expect(res.headers.get("x-clickhouse-query-id")).toBe("my-query-1");
    expect(JSON.parse(res.headers.get("x-clickhouse-summary")!)).toHaveProperty("read_rows");
    expect(res.headers.get("x-clickhouse-timezone")).toBeTruthy();
    await res.text();
  });

  it("gzip request bodies (client-web's compression.request) and gzip answers with enable_http_compression=1", async () => {
    const gz = new Response(new Blob(["SELECT count() FROM events"]).stream().pipeThrough(new CompressionStream("gzip")));
    const res = await SELF.fetch(`${BASE}/`, {
      method: "POST",
      headers: { authorization: basic(ws.name, ws.token), "content-encoding": "gzip" },
      body: await gz.arrayBuffer(),
    });
    expect(await res.text()).toBe("10\n");
    const plain = await post("SELECT number FROM numbers(1000)", "", { headers: { "accept-encoding": "gzip" } });
    expect(plain.headers.get("content-encoding") ?? "identity").toBe("identity");
    await plain.arrayBuffer();
    const compressed = await post("SELECT number FROM numbers(1000)", "enable_http_compression=1", { headers: { "accept-encoding": "gzip" } });
    expect(compressed.headers.get("content-encoding")).toBe("gzip");
    await compressed.arrayBuffer();
    const bad = await SELF.fetch(`${BASE}/`, { method: "POST", headers: { authorization: basic(ws.name, ws.token), "content-encoding": "zstd" }, body: "x" });
    await expectClickHouseError(bad, 89, "UNKNOWN_COMPRESSION_METHOD", 500);
  });

  it("@clickhouse/client-web connects as a driver: query, params, exec, compression both ways, errors with codes", async () => {
    const client = createClient({
      // The client reads a URL path as the database: the interface's prefix is its `pathname`.
      url: "http://tern.test", pathname: "/clickhouse", username: ws.name, password: ws.token, compression: { request: true, response: true },
      fetch: (input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(input, init),
    });
    const rs = await client.query({ query: "SELECT tenant, count() AS c FROM events WHERE value >= {min:Int64} GROUP BY tenant ORDER BY tenant", query_params: { min: 2 }, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([
      { tenant: "acme", c: "4" },
      { tenant: "globex", c: "4" },
    ]);
    const err = await client.command({ query: "CREATE TABLE x (a UInt8) ENGINE = Memory" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "164", type: "READONLY" });
    const insert = await client.insert({ table: "events", values: [{ tenant: "x" }], format: "JSONEachRow" }).catch((e: unknown) => e);
    expect(insert).toMatchObject({ code: "164", type: "READONLY" });
    const unknown = await client.query({ query: "SELECT * FROM nope" }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: "60" });
    expect(await client.ping()).toMatchObject({ success: true });
  });
});

describe("settings", () => {
  it("passes the settings drivers send at connect", async () => {
    const q = [
      "wait_end_of_query=1", "send_progress_in_http_headers=1", "http_headers_progress_interval_ms=110000", "enable_http_compression=0",
      "output_format_json_quote_64bit_integers=1", "date_time_input_format=best_effort", "session_id=abc", "readonly=1", "max_execution_time=5",
      "cancel_http_readonly_queries_on_client_close=1",
    ].join("&");
    const res = await post("SELECT count() AS c FROM events FORMAT JSONEachRow", q);
    expect(await res.text()).toBe('{"c":"10"}\n');
  });

  it("refuses settings that lift limits with READONLY (164), before anything runs", async () => {
    for (const s of ["session_timezone=Asia/Tokyo", "extremes=1", "readonly=0", "readonly=2", "max_execution_time=3600", "max_result_rows=0", "max_result_bytes=0", "max_memory_usage=0", "allow_ddl=1", "allow_introspection_functions=1", "max_threads=1000", "log_queries=0&max_rows_to_read=0"]) {
      const text = await expectClickHouseError(await post("SELECT 1", s), 164, "READONLY", 500);
      expect(text).toMatch(/Cannot modify '\w+' setting in readonly mode/);
    }
  });

  it("native compression is not offered", async () => {
    await expectClickHouseError(await post("SELECT 1", "compress=1"), 48, "NOT_IMPLEMENTED", 501);
  });
});

describe("refusals, in ClickHouse's format, before anything runs", () => {
  it("writes and DDL: READONLY", async () => {
    for (const sql of ["INSERT INTO events VALUES (now(), 'x', '/x', 1)", "CREATE TABLE t (a UInt8) ENGINE = Memory", "DROP TABLE events", "ALTER TABLE events DELETE WHERE 1", "TRUNCATE TABLE events", "SYSTEM FLUSH LOGS", "OPTIMIZE TABLE events", "KILL QUERY WHERE 1", "GRANT SELECT ON *.* TO x"]) {
      await expectClickHouseError(await post(sql), 164, "READONLY", 500);
    }
    expect(await (await api(`/v0/sql?q=${encodeURIComponent("SELECT count() AS c FROM events")}&format=json`, { token: ws.token })).json()).toMatchObject({ data: [{ c: 10 }] });
  });

  it("another workspace, system tables beyond the schema ones, table functions that reach outside", async () => {
    await expectClickHouseError(await post(`SELECT * FROM ${other.name}.events`), 497, "ACCESS_DENIED", 403);
    await expectClickHouseError(await post(`SELECT * FROM ${other.eventsTable}`), 497, "ACCESS_DENIED", 403);
    await expectClickHouseError(await post("SELECT * FROM system.users"), 497, "ACCESS_DENIED", 403);
    const url = await post("SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')");
    expect(url.status).toBe(403);
    expect(url.headers.get("x-clickhouse-exception-code")).toBe("497");
    const file = await post("SELECT * FROM file('/etc/passwd', 'LineAsString')");
    expect(file.headers.get("x-clickhouse-exception-code")).toBe("497");
    await file.text();
    await url.text();
  });

  it("a token without READ on a datasource is refused it, and sees only what it may read", async () => {
    const pipeOnly = await staticToken("chif_pipe_only", "PIPES:READ:top_pages");
    await expectClickHouseError(await post("SELECT count() FROM events", "", { token: pipeOnly }), 497, "ACCESS_DENIED", 403);
    expect(await (await post("SELECT count() FROM top_pages", "", { token: pipeOnly })).text()).toBe("3\n");
  });

  it("multi-statements and syntax errors with ClickHouse's codes", async () => {
    const multi = await post("SELECT 1; SELECT 2");
    expect(multi.headers.get("x-clickhouse-exception-code")).not.toBeNull();
    expect(multi.status).toBe(400);
    await multi.text();
    await expectClickHouseError(await post("SELEC 1"), 62, "SYNTAX_ERROR", 400);
    await expectClickHouseError(await post(""), 62, "SYNTAX_ERROR", 400);
  });

  it("an unknown table names the caller's name, never a physical one", async () => {
    const text = await expectClickHouseError(await post("SELECT nope FROM events"), 47, "UNKNOWN_IDENTIFIER", 404);
    expect(text).not.toMatch(/tern_/);
  });

  it("errors are logged as errors (pipe_stats_rt rows of clickhouse_interface)", async () => {
    await post("SELECT * FROM system.users").then((r) => r.text());
    await expect
      .poll(
        async () => {
          const res = await post("SELECT countIf(error = 1) > 0 FROM tinybird.pipe_stats_rt WHERE pipe_name = 'clickhouse_interface'");
          return res.text();
        },
        { timeout: 10_000, interval: 500 },
      )
      .toBe("1\n");
  });
});

describe("connect-time functions (what JDBC drivers and BI tools call first)", () => {
  it("currentDatabase(), database() answer the workspace's name; currentUser(), user() the user connected as", async () => {
    const sql = "SELECT currentDatabase(), database(), DATABASE(), currentUser(), user(), current_user()";
    expect(await (await post(sql)).text()).toBe(`${ws.name}\t${ws.name}\t${ws.name}\t${ws.name}\t${ws.name}\t${ws.name}\n`);
    const asDefault = await SELF.fetch(`${BASE}/`, { method: "POST", headers: { authorization: basic("default", ws.token) }, body: sql });
    expect(await asDefault.text()).toBe(`${ws.name}\t${ws.name}\t${ws.name}\tdefault\tdefault\tdefault\n`);
    // No user at all: the workspace's name.
    const keyOnly = await SELF.fetch(`${BASE}/`, { method: "POST", headers: { "x-clickhouse-key": ws.token }, body: "SELECT currentUser()" });
    expect(await keyOnly.text()).toBe(`${ws.name}\n`);
    // A user name is a literal, whatever it holds.
    const odd = await SELF.fetch(`${BASE}/`, { method: "POST", headers: { authorization: basic("o'neil\\", ws.token) }, body: "SELECT currentUser()" });
    expect(await odd.text()).toBe("o\\'neil\\\\\n");
  });

  it("the connect query of clickhouse-java's JDBC driver answers", async () => {
    const sql = "select currentUser() user, timezone() timezone, version() version, getSetting('readonly') readonly, getSetting('max_insert_block_size') max_insert_block_size FROM system.one";
    const res = await post(`${sql} FORMAT JSONCompactEachRowWithNamesAndTypes`);
    expect(res.status).toBe(200);
    const [names, types, row] = (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as string[]);
    expect(names).toEqual(["user", "timezone", "version", "readonly", "max_insert_block_size"]);
    expect(types).toEqual(["String", "String", "String", "UInt64", "UInt64"]);
    expect(row![0]).toBe(ws.name);
    expect(row![2]).toMatch(/^\d+\.\d+/);
    expect([row![3], row![4]]).toEqual(["1", "1048449"]);
  });

  it("getSetting answers system.settings' values, the caller's own output settings included", async () => {
    const sql = "SELECT getSetting('readonly'), getSetting('result_overflow_mode'), getSetting('output_format_json_quote_64bit_integers'), getSetting('max_block_size')";
    expect(await (await post(sql)).text()).toBe("1\tthrow\ttrue\t65409\n");
    expect(await (await post("SELECT getSetting('output_format_json_quote_64bit_integers')", "output_format_json_quote_64bit_integers=0")).text()).toBe("false\n");
    // The same values system.settings shows.
    for (const name of ["max_execution_time", "max_result_bytes"]) {
      expect(await (await post(`SELECT value = toString(getSetting('${name}')) FROM system.settings WHERE name = '${name}'`)).text()).toBe("1\n");
    }
  });

  it("currentDatabase() names the workspace in system tables", async () => {
    expect(await (await post("SELECT name FROM system.databases WHERE name = currentDatabase()")).text()).toBe(`${ws.name}\n`);
    expect(await (await post("SELECT count() FROM system.tables WHERE database = currentDatabase()")).text()).toBe("7\n");
  });

  it("refuses getSetting of anything else, and every other shape of these calls", async () => {
    for (const name of ["user_files_path", "additional_table_filters", "max_threads", "path", "nope"]) {
      const text = await expectClickHouseError(await post(`SELECT getSetting('${name}')`), 497, "ACCESS_DENIED", 403);
      expect(text).toContain(`getSetting('${name}') is not available`);
    }
    for (const sql of ["SELECT getSetting(concat('read', 'only'))", "SELECT getSettingOrDefault('readonly', 0)", "SELECT currentUser(1)", "SELECT authenticatedUser()"]) {
      const res = await post(sql);
      const text = await res.text();
      expect(res.status, `${sql}: ${text}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${sql}: ${text}`).toBeLessThan(500);
      expect(text).not.toMatch(/tern_|default_reader|tern-test-password/);
    }
    // The workspace's name as a database is the caller's own tables, never another's or a physical one.
    const merge = await post("SELECT count() FROM merge(currentDatabase(), 'events')");
    expect(merge.status).toBe(403);
    await merge.text();
    const other_ = await post(`SELECT count() FROM system.tables WHERE database = '${other.name}' OR database = currentDatabase() AND name LIKE 'tern%'`);
    expect(await other_.text()).toBe("0\n");
  });

  it("the same on /v0/sql: the workspace's name for both", async () => {
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT currentDatabase() AS d, currentUser() AS u, getSetting('readonly') AS r FORMAT JSONEachRow")}`, { token: ws.token });
    expect(await res.text()).toBe(`{"d":"${ws.name}","u":"${ws.name}","r":1}\n`);
    const refused = await api(`/v0/sql?q=${encodeURIComponent("SELECT getSetting('max_threads')")}`, { token: ws.token });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toContain("getSetting('max_threads') is not available");
  });
});

describe("refusals are logged", () => {
  async function logged(sql: string): Promise<string> {
    const res = await post(`${sql} FORMAT TSV`);
    return res.text();
  }

  it("a table outside the token's scopes (403) is a pipe_stats_rt error row and an endpoint_errors row", async () => {
    const reader = await staticToken("refusal_logged_reader", "PIPES:READ:top_pages");
    const res = await post("SELECT count() AS refusal_marker_403 FROM events", "", { token: reader });
    expect(res.status).toBe(403);
    await res.text();
    const mine = "SELECT status_code, error FROM tinybird.pipe_stats_rt WHERE pipe_name = 'clickhouse_interface' AND token_name = 'refusal_logged_reader'";
    await vi.waitUntil(async () => (await logged(mine)) !== "", { timeout: 15_000, interval: 300 });
    expect(await logged(mine)).toBe("403\t1\n");
    const errors = "SELECT status_code, error FROM tinybird.endpoint_errors WHERE pipe_name = 'clickhouse_interface' AND status_code = 403 AND error LIKE '%events%' LIMIT 1";
    expect(await logged(errors)).toMatch(/^403\t.*events/);
  });

  it("on endpoints and /v0/sql too: a pipe or datasource outside the token's scopes (403) is logged", async () => {
    const reader = await staticToken("refusal_logged_http", "PIPES:READ:top_pages");
    const endpoint = await api("/v0/pipes/metrics.json?marker=m1", { token: reader });
    expect(endpoint.status).toBe(403);
    await endpoint.text();
    const query = await api(`/v0/sql?q=${encodeURIComponent("SELECT count() FROM events")}`, { token: reader });
    expect(query.status).toBe(403);
    await query.text();
    const mine = "SELECT pipe_name, status_code, error, parameters['marker'] FROM tinybird.pipe_stats_rt WHERE token_name = 'refusal_logged_http' ORDER BY pipe_name";
    await vi.waitUntil(async () => (await logged(mine)).split("\n").length === 3, { timeout: 15_000, interval: 300 });
    expect(await logged(mine)).toBe("metrics\t403\t1\tm1\nquery_api\t403\t1\t\n");
    const errors = "SELECT status_code, params['marker'] FROM tinybird.endpoint_errors WHERE pipe_name = 'metrics' AND params['marker'] = 'm1'";
    await vi.waitUntil(async () => (await logged(errors)) !== "", { timeout: 15_000, interval: 300 });
    expect(await logged(errors)).toBe("403\tm1\n");
  });

  it("a rate-limited read (429) is logged; a bad token (401 or 516) is not: it names no workspace", async () => {
    const token = await new SignJWT({ workspace_id: ws.id, name: "refusal_logged_rps", limits: { rps: 1 }, exp: Math.floor(Date.now() / 1000) + 600, scopes: [{ type: "DATASOURCES:READ", resource: "events" }] })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(ws.token));
    const answers = await Promise.all([1, 2, 3].map(() => post("SELECT count() FROM events", "", { token })));
    const statuses = await Promise.all(answers.map(async (r) => [r.status, r.headers.get("x-clickhouse-exception-code"), await r.text()] as const));
    expect(statuses.filter(([s]) => s === 200)).toHaveLength(1);
    expect(statuses.filter(([, code]) => code === "202")).toHaveLength(2);
    await vi.waitUntil(async () => (await logged("SELECT count() FROM tinybird.pipe_stats_rt WHERE token_name = 'refusal_logged_rps' AND error = 1")) === "2\n", { timeout: 15_000, interval: 300 });
    expect(await logged("SELECT status_code, count() FROM tinybird.pipe_stats_rt WHERE token_name = 'refusal_logged_rps' GROUP BY status_code ORDER BY status_code")).toBe("200\t1\n429\t2\n");
    const errors = "SELECT count() > 0 FROM tinybird.endpoint_errors WHERE pipe_name = 'clickhouse_interface' AND status_code = 429";
    await vi.waitUntil(async () => (await logged(errors)) === "1\n", { timeout: 15_000, interval: 300 });
    const bad = await SELF.fetch(`${BASE}/`, { method: "POST", headers: { authorization: basic(ws.name, "p.not-a-token") }, body: "SELECT 1 AS bad_token_marker" });
    expect(bad.status).toBe(403);
    await bad.text();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await logged("SELECT count() FROM tinybird.pipe_stats_rt WHERE url LIKE '%bad_token_marker%'")).toBe("0\n");
  });
});
