// The MCP server at /mcp, through the official MCP SDK's client over Streamable HTTP (SELF.fetch):
// what each token kind may see, endpoint tools with params, CSV by default and JSON on request, the size
// cap's note, execute_query under the token's scopes, JWT fixed params and rate limits, bad calls as MCP
// errors, and the calls in tinybird.pipe_stats_rt with from=mcp.
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SELF } from "cloudflare:test";
import { api } from "./helpers/api.js";
import { deployProject, PROJECT, type Deployed } from "./endpoints-project.js";
import { callTool, mcpClient } from "./helpers/mcp.js";

/** A param the template requires, and an Int64 one. */
const TENANT_ROWS = `DESCRIPTION >
    Rows of one tenant

NODE endpoint
SQL >
    %
    SELECT count() AS c FROM events
    WHERE tenant = {{ String(tenant, required=True, description="The tenant") }} AND value >= {{ Int64(min_value, 0) }}

TYPE endpoint
`;

let ws: Deployed;
let admin: Client;
let reader: Client;
const opened: Client[] = [];

const GENERAL = ["execute_query", "explore_data", "list_datasources", "list_endpoints", "list_service_datasources"];
const ENDPOINTS = ["by_paths", "echo", "metrics", "slow", "tenant_rows", "top_pages"];

async function staticToken(name: string, ...scopes: string[]): Promise<string> {
  const qs = new URLSearchParams([["name", name], ...scopes.map((s) => ["scope", s] as [string, string])]);
  const res = await api(`/v0/tokens?${qs}`, { method: "POST", token: ws.token });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

function jwt(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ workspace_id: ws.id, name: "agent", exp: Math.floor(Date.now() / 1000) + 600, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(ws.token));
}

async function connect(token: string, options: { inQuery?: boolean } = {}): Promise<Client> {
  const client = await mcpClient(token, options);
  opened.push(client);
  return client;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}

function parseError(text: string): { error: string; status: number; retry_after?: number } {
  return JSON.parse(text);
}

beforeAll(async () => {
  ws = await deployProject("mcp", { ...PROJECT, "tenant_rows.pipe": TENANT_ROWS });
  admin = await connect(ws.token);
  reader = await connect(await staticToken("mcp_reader", "DATASOURCES:READ:events:tenant = 'acme'", "PIPES:READ:top_pages"));
});
afterAll(async () => {
  for (const c of opened) await c.close();
});

describe("what a token sees", () => {
  it("admin: one tool per endpoint, named as it, plus the general tools", async () => {
    expect(await toolNames(admin)).toEqual([...GENERAL, ...ENDPOINTS].sort());
  });

  it("an endpoint tool is described from its pipe and takes its params", async () => {
    const { tools } = await admin.listTools();
    const top = tools.find((t) => t.name === "top_pages")!;
    expect(top.description).toContain("Views and value per page");
    expect(top.annotations?.readOnlyHint).toBe(true);
    const props = top.inputSchema.properties as Record<string, { type?: string; description?: string; enum?: string[] }>;
    expect(Object.keys(props).sort()).toEqual(["format", "limit", "start", "tenant"]);
    expect(props.limit!.type).toBe("integer");
    expect(props.limit!.description).toContain("default 10");
    expect(props.start!.type).toBe("string");
    expect(props.format!.enum).toEqual(["csv", "json"]);
    expect(top.inputSchema.required ?? []).toEqual([]);
    const byPaths = tools.find((t) => t.name === "by_paths")!;
    expect((byPaths.inputSchema.properties as Record<string, { type?: string }>).paths!.type).toBe("array");
  });

  it("a param the template requires is required by the tool; Int64 takes a number or a string of digits", async () => {
    const { tools } = await admin.listTools();
    const tool = tools.find((t) => t.name === "tenant_rows")!;
    expect(tool.inputSchema.required).toEqual(["tenant"]);
    expect((tool.inputSchema.properties as Record<string, { description?: string }>).tenant!.description).toBe("The tenant; String");
    const missing = await callTool(admin, "tenant_rows", {});
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/Input validation error/);
    expect((await callTool(admin, "tenant_rows", { tenant: "acme" })).text).toBe('"c"\n5\n');
    expect((await callTool(admin, "tenant_rows", { tenant: "acme", min_value: 4 })).text).toBe('"c"\n3\n');
    expect((await callTool(admin, "tenant_rows", { tenant: "acme", min_value: "4" })).text).toBe('"c"\n3\n');
    expect((await callTool(admin, "tenant_rows", { tenant: "acme", min_value: "4x" })).isError).toBe(true);
  });

  it("the token works as ?token= too", async () => {
    const viaQuery = await connect(ws.token, { inQuery: true });
    expect(await toolNames(viaQuery)).toEqual([...GENERAL, ...ENDPOINTS].sort());
  });

  it("a READ token sees only the endpoints and datasources its scopes name", async () => {
    expect(await toolNames(reader)).toEqual([...GENERAL, "top_pages"].sort());
    const endpoints = JSON.parse((await callTool(reader, "list_endpoints")).text);
    expect(endpoints.map((e: { name: string }) => e.name)).toEqual(["top_pages"]);
    expect(endpoints[0].parameters.find((p: { name: string }) => p.name === "limit")).toEqual({ name: "limit", type: "Int32", required: false, default: 10 });
    const datasources = JSON.parse((await callTool(reader, "list_datasources")).text);
    expect(datasources).toEqual([
      {
        name: "events",
        description: "",
        columns: [
          { name: "timestamp", type: "DateTime" },
          { name: "tenant", type: "String" },
          { name: "pathname", type: "String" },
          { name: "value", type: "Int64" },
        ],
        rows: "filtered by this token's scope",
      },
    ]);
  });

  it("list_service_datasources: the tinybird.* tables for admin, none for a READ token", async () => {
    const all = JSON.parse((await callTool(admin, "list_service_datasources")).text) as Array<{ name: string }>;
    expect(all.map((d) => d.name)).toContain("tinybird.pipe_stats_rt");
    expect(all.map((d) => d.name)).toContain("tinybird.endpoint_errors");
    const none = JSON.parse((await callTool(reader, "list_service_datasources")).text);
    expect(none.datasources).toEqual([]);
    expect(none.note).toContain("WORKSPACE:READ_ALL");
  });

  it("no token, or a bad one: the HTTP request is refused before any MCP message", async () => {
    const noToken = await SELF.fetch("http://tern.test/mcp", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(noToken.status).toBe(401);
    await expect(mcpClient("p.not-a-token")).rejects.toThrow(/403|Invalid token/);
  });

  it("a malformed JSON-RPC message is a JSON-RPC error, and the server keeps answering", async () => {
    const res = await SELF.fetch("http://tern.test/mcp", {
      method: "POST",
      headers: { authorization: `Bearer ${ws.token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32700);
    expect(await toolNames(admin)).toContain("top_pages");
  });

  it("GET (no SSE stream in a stateless server) is 405", async () => {
    const res = await SELF.fetch("http://tern.test/mcp", { headers: { accept: "text/event-stream" } });
    expect(res.status).toBe(405);
  });
});

describe("endpoint tools", () => {
  it("call the endpoint with params; CSV with a header line by default", async () => {
    const r = await callTool(admin, "top_pages", { tenant: "acme", limit: 2 });
    expect(r).toEqual({ isError: false, text: '"pathname","views","total"\n"/p0",2,6\n"/p1",1,4\n', blocks: ['"pathname","views","total"\n"/p0",2,6\n"/p1",1,4\n'] });
  });

  it("JSON on request: meta, data, rows", async () => {
    const r = await callTool(admin, "top_pages", { tenant: "globex", limit: 1, format: "json" });
    expect(r.isError).toBe(false);
    expect(JSON.parse(r.text)).toEqual({
      meta: [
        { name: "pathname", type: "String" },
        { name: "views", type: "UInt64" },
        { name: "total", type: "Int64" },
      ],
      data: [{ pathname: "/p0", views: 2, total: 12 }],
      rows: 1,
    });
  });

  it("array params travel as arrays", async () => {
    const r = await callTool(admin, "by_paths", { paths: ["/p1", "/p2"] });
    expect(r.text).toBe('"pathname","c"\n"/p1",3\n"/p2",3\n');
  });

  it("a READ token's endpoint call is confined by its scopes", async () => {
    // Only tenant acme's rows (n = 0 and 6 on /p0), as the token's filter says.
    const r = await callTool(reader, "top_pages", { limit: 1 });
    expect(r.text).toBe('"pathname","views","total"\n"/p0",2,6\n');
  });

  it("bad arguments are an MCP error result, not a crash", async () => {
    const wrongType = await callTool(admin, "top_pages", { limit: "ten" });
    expect(wrongType.isError).toBe(true);
    expect(wrongType.text).toMatch(/Input validation error/);
    const badFormat = await callTool(admin, "top_pages", { format: "parquet" });
    expect(badFormat.isError).toBe(true);
    // A value the template refuses: the endpoint's own 400, as an error result.
    const badDate = await callTool(admin, "top_pages", { start: "not a date" });
    expect(badDate.isError).toBe(true);
    expect(parseError(badDate.text).status).toBe(400);
    const unknown = await callTool(reader, "echo");
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/Tool echo not found/);
    // The server still answers after all that.
    expect((await callTool(admin, "top_pages", { limit: 1 })).isError).toBe(false);
  });

  it("the calls are in tinybird.pipe_stats_rt with from=mcp in the URL", async () => {
    await callTool(admin, "top_pages", { limit: 3, tenant: "acme" });
    const rows = async () => {
      const res = await api(
        `/v0/sql?q=${encodeURIComponent("SELECT url, status_code FROM tinybird.pipe_stats_rt WHERE pipe_name = 'top_pages' AND parameters['limit'] = '3' FORMAT JSON")}`,
        { token: ws.token },
      );
      return ((await res.json()) as { data: Array<{ url: string; status_code: number }> }).data;
    };
    await vi.waitUntil(async () => (await rows()).length > 0, { timeout: 15_000, interval: 200 });
    expect(await rows()).toEqual([{ url: "/v0/pipes/top_pages.csv?tenant=acme&limit=3&from=mcp", status_code: 200 }]);
  });
});

describe("execute_query", () => {
  it("runs a read over the workspace's names, CSV by default, JSON on request", async () => {
    const csv = await callTool(admin, "execute_query", { sql: "SELECT tenant, count() AS c FROM events GROUP BY tenant ORDER BY tenant" });
    expect(csv.text).toBe('"tenant","c"\n"acme",5\n"globex",5\n');
    const json = await callTool(admin, "execute_query", { sql: "SELECT sum(views) AS v FROM top_pages", format: "json" });
    expect(JSON.parse(json.text).data).toEqual([{ v: 10 }]);
  });

  it("a FORMAT clause in the SQL is answered as written", async () => {
    const r = await callTool(admin, "execute_query", { sql: "SELECT 1 AS a FORMAT TSVWithNames" });
    expect(r.text).toBe("a\n1\n");
  });

  it("runs under the token's scopes: a READ token's filter applies, what it cannot read is refused", async () => {
    const mine = await callTool(reader, "execute_query", { sql: "SELECT DISTINCT tenant FROM events" });
    expect(mine.text).toBe('"tenant"\n"acme"\n');
    const other = await callTool(reader, "execute_query", { sql: "SELECT * FROM metrics" });
    expect(other.isError).toBe(true);
    expect(parseError(other.text).status).toBe(403);
    const service = await callTool(reader, "execute_query", { sql: "SELECT * FROM tinybird.pipe_stats_rt" });
    expect(parseError(service.text)).toMatchObject({ status: 403 });
  });

  it.each([
    ["an INSERT", "INSERT INTO events VALUES (now(), 'x', '/x', 1)"],
    ["DDL", "DROP TABLE events"],
    ["SYSTEM", "SYSTEM SHUTDOWN"],
    ["a setting that lifts limits", "SELECT * FROM events SETTINGS readonly = 0, max_result_bytes = 0"],
    ["a table function that reaches outside", "SELECT * FROM file('/etc/passwd', LineAsString)"],
    ["url()", "SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')"],
    ["a system table", "SELECT * FROM system.tables"],
    ["the physical table of another database", "SELECT * FROM default.events"],
    ["two statements", "SELECT 1; DROP TABLE events"],
  ])("refuses %s with an MCP error result", async (_what, sql) => {
    const r = await callTool(admin, "execute_query", { sql });
    expect(r.isError, r.text).toBe(true);
    const e = parseError(r.text);
    expect(e.status).toBeGreaterThanOrEqual(400);
    expect(e.status).toBeLessThan(500);
    expect(e.error).toEqual(expect.any(String));
  });

  it("refusals are logged as failed Query API calls, with from=mcp", async () => {
    const sql = "SELECT 1 AS refused_marker INTO OUTFILE '/tmp/x'";
    expect((await callTool(admin, "execute_query", { sql })).isError).toBe(true);
    const rows = async () => {
      const q = "SELECT url, status_code, error FROM tinybird.pipe_stats_rt WHERE pipe_name = 'query_api' AND url LIKE '%refused_marker%' FORMAT JSON";
      const res = await api(`/v0/sql?q=${encodeURIComponent(q)}`, { token: ws.token });
      return ((await res.json()) as { data: Array<{ url: string; status_code: number; error: number }> }).data;
    };
    await vi.waitUntil(async () => (await rows()).length > 0, { timeout: 15_000, interval: 200 });
    const [row] = await rows();
    // The statement as it ran: the tool asks for its format with a FORMAT clause.
    expect(row).toEqual({ url: `/v0/sql?${new URLSearchParams({ q: `${sql}\nFORMAT CSVWithNames`, from: "mcp" })}`, status_code: 400, error: 1 });
  });

  it("the events table is untouched by all that", async () => {
    expect((await callTool(admin, "execute_query", { sql: "SELECT count() AS c FROM events" })).text).toBe('"c"\n10\n');
  });

  it("caps a huge result, cut at a whole row, with a note", async () => {
    const csv = await callTool(admin, "execute_query", { sql: "SELECT number, repeat('x', 100) AS pad FROM numbers(100000)" });
    expect(csv.isError).toBe(false);
    expect(csv.blocks).toHaveLength(2);
    const lines = csv.blocks[0]!.split("\n");
    expect(lines[0]).toBe('"number","pad"');
    expect(lines.at(-1)).toBe("");
    const rows = lines.length - 2;
    expect(rows).toBeGreaterThan(100);
    expect(rows).toBeLessThan(100_000);
    expect(lines.at(-2)).toBe(`${rows - 1},"${"x".repeat(100)}"`);
    expect(new TextEncoder().encode(csv.blocks[0]).byteLength).toBeLessThanOrEqual(100_000);
    expect(csv.blocks[1]).toBe(`Result cut at ${rows} rows (the first 100000 bytes of the answer): add a LIMIT, filters or an aggregation to see the rest.`);
    const json = await callTool(admin, "execute_query", { sql: "SELECT number, repeat('x', 100) AS pad FROM numbers(100000)", format: "json" });
    const body = JSON.parse(json.blocks[0]!);
    expect(body.cut).toBe(true);
    expect(body.rows).toBe(body.data.length);
    expect(body.data[body.rows - 1]).toEqual({ number: body.rows - 1, pad: "x".repeat(100) });
    expect(json.blocks[1]).toMatch(/^Result cut at \d+ rows/);
  });

  it("a missing sql is an MCP error result", async () => {
    const r = await callTool(admin, "execute_query", {});
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Input validation error/);
  });
});

describe("explore_data", () => {
  it("shows each readable datasource's schema and sample rows", async () => {
    const r = await callTool(admin, "explore_data", { rows: 2 });
    expect(r.isError).toBe(false);
    expect(r.blocks[0]).toBe("## events\nColumns: timestamp DateTime, tenant String, pathname String, value Int64");
    expect(r.blocks[1]!.split("\n")).toHaveLength(4); // header, 2 rows, ""
  });

  it("samples through the token's filter", async () => {
    const r = await callTool(reader, "explore_data", { datasource: "events", rows: 10 });
    const sample = r.blocks[1]!;
    expect(sample).toContain('"acme"');
    expect(sample).not.toContain("globex");
  });

  it("a datasource the token cannot read is an error result", async () => {
    const r = await callTool(reader, "explore_data", { datasource: "nope" });
    expect(r.isError).toBe(true);
    expect(parseError(r.text).status).toBe(404);
  });
});

describe("JWTs", () => {
  it("see only their endpoints; fixed params win over the tool's arguments", async () => {
    const token = await jwt({ scopes: [{ type: "PIPES:READ", resource: "top_pages", fixed_params: { tenant: "globex" } }] });
    const client = await connect(token);
    expect(await toolNames(client)).toEqual([...GENERAL, "top_pages"].sort());
    const r = await callTool(client, "top_pages", { tenant: "acme", limit: 1 });
    expect(r.text).toBe('"pathname","views","total"\n"/p0",2,12\n');
    // execute_query: a templated statement gets the fixed params too.
    const t = await callTool(client, "execute_query", { sql: "%\nSELECT {{ String(tenant, 'none') }} AS t" });
    expect(t.text).toBe('"t"\n"globex"\n');
    // And it cannot read the datasource its scopes do not name.
    const ds = await callTool(client, "execute_query", { sql: "SELECT count() FROM events" });
    expect(parseError(ds.text).status).toBe(403);
  });

  it("their limits.rps applies to tool calls: past it, an error result with status 429", async () => {
    const token = await jwt({ name: "one_rps_agent", limits: { rps: 1 }, scopes: [{ type: "PIPES:READ", resource: "top_pages" }] });
    const client = await connect(token);
    const results = await Promise.all([1, 2, 3].map(() => callTool(client, "top_pages", { limit: 1 })));
    const limited = results.filter((r) => r.isError);
    expect(results.filter((r) => !r.isError)).toHaveLength(1);
    expect(limited).toHaveLength(2);
    for (const r of limited) {
      const e = parseError(r.text);
      expect(e.status).toBe(429);
      // One second's refill, plus up to LEASE.ttlMs + graceMs (2 s) when the
      // first call's spent lease has not been given back yet (a loaded machine).
      expect(e.retry_after).toBeGreaterThanOrEqual(1);
      expect(e.retry_after).toBeLessThanOrEqual(3);
    }
  });

  it("403 and 429 refusals are logged in pipe_stats_rt (and endpoint_errors for an endpoint tool)", async () => {
    const limited = await connect(await jwt({ name: "refusal_logged_agent", limits: { rps: 1 }, scopes: [{ type: "PIPES:READ", resource: "top_pages" }] }));
    const results = await Promise.all([1, 2, 3].map(() => callTool(limited, "top_pages", { limit: 1 })));
    const refused = results.filter((r) => r.isError).map((r) => parseError(r.text).status);
    expect(refused).toEqual([429, 429]);
    // The same name, no rate limit: refused by scope.
    const scoped = await connect(await jwt({ name: "refusal_logged_agent", scopes: [{ type: "PIPES:READ", resource: "top_pages" }] }));
    const forbidden = await callTool(scoped, "execute_query", { sql: "SELECT count() AS forbidden_marker FROM events" });
    expect(parseError(forbidden.text).status).toBe(403);
    const sql = async (q: string) => ((await (await api(`/v0/sql?q=${encodeURIComponent(`${q} FORMAT JSON`)}`, { token: ws.token })).json()) as { data: unknown[] }).data;
    const mine = "SELECT pipe_name, status_code, count() AS calls, max(error) AS error FROM tinybird.pipe_stats_rt WHERE token_name = 'refusal_logged_agent' GROUP BY pipe_name, status_code ORDER BY pipe_name, status_code";
    const expected = [
      { pipe_name: "query_api", status_code: 403, calls: 1, error: 1 },
      { pipe_name: "top_pages", status_code: 200, calls: 1, error: 0 },
      { pipe_name: "top_pages", status_code: 429, calls: 2, error: 1 },
    ];
    await vi.waitUntil(async () => JSON.stringify(await sql(mine)) === JSON.stringify(expected), { timeout: 15_000, interval: 200 }).catch(async () => {
      expect(await sql(mine)).toEqual(expected);
    });
    const errors = "SELECT status_code, url LIKE '%from=mcp%' AS mcp FROM tinybird.endpoint_errors WHERE pipe_name = 'top_pages' AND status_code = 429";
    await vi.waitUntil(async () => (await sql(errors)).length > 0, { timeout: 15_000, interval: 200 });
    expect(await sql(errors)).toContainEqual({ status_code: 429, mcp: 1 });
  });
});
