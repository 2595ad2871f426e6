// The MCP server against `npm run dev` over real HTTP: `tern mcp url` prints the URL, the official MCP SDK's
// client connects to it (Streamable HTTP, token in the URL), lists what the token may see, calls an endpoint
// tool with params (CSV), runs execute_query (JSON) and is refused a write; a resource-scoped token made with
// `tern token create static` sees only its endpoint.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { startTernSetup, type TernSetup } from "./helpers/tern.js";
import type { PlatformAccess } from "./helpers/shared-workspace.js";

const EVENTS = `SCHEMA >
    \`tenant\` String,
    \`value\` Int64

ENGINE "MergeTree"
ENGINE_SORTING_KEY "tenant"
`;

const TOTALS = `DESCRIPTION >
    Total value per tenant

NODE endpoint
SQL >
    %
    SELECT tenant, sum(value) AS total FROM events
    {% if defined(tenant) %} WHERE tenant = {{ String(tenant, description="Only this tenant") }} {% end %}
    GROUP BY tenant ORDER BY tenant

TYPE endpoint
`;

const COUNTS = `NODE endpoint
SQL >
    SELECT count() AS c FROM events

TYPE endpoint
`;

let setup: TernSetup<PlatformAccess>;
const clients: Client[] = [];

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: "tern-e2e", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  clients.push(client);
  return client;
}

async function text(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { isError: r.isError === true, text: r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n") };
}

beforeAll(async () => {
  setup = await startTernSetup("tern-e2e-mcp-", "shared");
  const { baseUrl, adminToken } = setup.platform;
  const form = new FormData();
  form.append("data_project://", new Blob([EVENTS], { type: "text/plain" }), "events.datasource");
  form.append("data_project://", new Blob([TOTALS], { type: "text/plain" }), "totals.pipe");
  form.append("data_project://", new Blob([COUNTS], { type: "text/plain" }), "counts.pipe");
  const deployed = await fetch(`${baseUrl}/v1/deploy?auto_promote=true`, { method: "POST", headers: { authorization: `Bearer ${adminToken}` }, body: form });
  expect(deployed.status, await deployed.clone().text()).toBe(200);
  const ingest = await fetch(`${baseUrl}/v0/events?name=events&wait=true`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}` },
    body: '{"tenant":"a","value":1}\n{"tenant":"a","value":2}\n{"tenant":"b","value":5}',
  });
  expect(ingest.status, await ingest.text()).toBeLessThan(300);
}, 240_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await setup?.stop();
});

describe("MCP over HTTP against npm run dev", () => {
  it("tern mcp url prints a URL an MCP client connects to; the admin token sees every endpoint", async () => {
    const run = await setup.tern(["mcp", "url"], setup.tmp, setup.env);
    expect(run.code, run.err).toBe(0);
    const url = run.out.trim();
    expect(url).toBe(`${setup.platform.baseUrl}/mcp?token=${encodeURIComponent(setup.platform.adminToken)}`);
    const client = await connect(url);
    expect(client.getServerVersion()?.name).toBe("tern");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["counts", "execute_query", "explore_data", "list_datasources", "list_endpoints", "list_service_datasources", "totals"]);
    const totals = tools.find((t) => t.name === "totals")!;
    expect(totals.description).toContain("Total value per tenant");
    expect((totals.inputSchema.properties as Record<string, { description?: string }>).tenant!.description).toContain("Only this tenant");

    expect(await text(client, "totals", { tenant: "a" })).toEqual({ isError: false, text: '"tenant","total"\n"a",3\n' });
    const json = await text(client, "execute_query", { sql: "SELECT tenant, sum(value) AS total FROM events GROUP BY tenant ORDER BY tenant", format: "json" });
    expect(JSON.parse(json.text).data).toEqual([
      { tenant: "a", total: 3 },
      { tenant: "b", total: 5 },
    ]);
    const write = await text(client, "execute_query", { sql: "INSERT INTO events VALUES ('c', 1)" });
    expect(write.isError).toBe(true);
    expect(JSON.parse(write.text).status).toBe(400);
    expect((await text(client, "execute_query", { sql: "SELECT count() AS c FROM events" })).text).toBe('"c"\n3\n');
  });

  it("a token scoped to one endpoint sees only that endpoint", async () => {
    const created = await setup.tern(["token", "create", "static", "agent", "--scope", "PIPES:READ", "--resource", "totals", "--json"], setup.tmp, setup.env);
    expect(created.code, created.err).toBe(0);
    const token = (JSON.parse(created.out) as { token: string }).token;
    const run = await setup.tern(["mcp", "url", "--token", token], setup.tmp, { TERN_HOST: setup.platform.baseUrl });
    expect(run.code, run.err).toBe(0);
    const client = await connect(run.out.trim());
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(["execute_query", "explore_data", "list_datasources", "list_endpoints", "list_service_datasources", "totals"]);
    expect((await text(client, "totals", { format: "json" })).text).toContain('"data":[{"tenant":"a","total":3},{"tenant":"b","total":5}]');
    const refused = await text(client, "execute_query", { sql: "SELECT * FROM events" });
    expect(refused.isError).toBe(true);
    expect(JSON.parse(refused.text).status).toBe(403);
  });
});
