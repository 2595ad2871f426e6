// Tinybird's own TS SDK against `npm run dev`, changing only host and token:
// endpoint queries, client.sql, and a JWT minted through /v0/tokens.
import { createClient, createJWT } from "@tinybirdco/sdk";
import { beforeAll, describe, expect, it } from "vitest";
import { sharedWorkspace, type SharedWorkspace } from "./helpers/shared-workspace.js";

const EVENTS = `SCHEMA >
    \`tenant\` String,
    \`value\` Int64

ENGINE "MergeTree"
ENGINE_SORTING_KEY "tenant"
`;

const TOTALS = `NODE endpoint
SQL >
    %
    SELECT tenant, sum(value) AS total FROM events
    {% if defined(tenants) %} WHERE tenant IN {{ Array(tenants, 'String') }} {% end %}
    GROUP BY tenant ORDER BY tenant

TYPE endpoint
`;

let platform: SharedWorkspace;
let baseUrl: string;

beforeAll(async () => {
  platform = await sharedWorkspace("e2e_sdk_endpoints");
  baseUrl = `http://127.0.0.1:${platform.port}`;
  const form = new FormData();
  form.append("data_project://", new Blob([EVENTS], { type: "text/plain" }), "events.datasource");
  form.append("data_project://", new Blob([TOTALS], { type: "text/plain" }), "totals.pipe");
  const deployed = await fetch(`${baseUrl}/v1/deploy?auto_promote=true`, { method: "POST", headers: { authorization: `Bearer ${platform.adminToken}` }, body: form });
  expect(deployed.status, await deployed.clone().text()).toBe(200);
  const ingest = await fetch(`${baseUrl}/v0/events?name=events&wait=true`, {
    method: "POST",
    headers: { authorization: `Bearer ${platform.adminToken}` },
    body: '{"tenant":"a","value":1}\n{"tenant":"a","value":2}\n{"tenant":"b","value":5}',
  });
  if (ingest.status >= 300) throw new Error(`events: ${ingest.status} ${await ingest.text()}`);
}, 240_000);

describe("@tinybirdco/sdk", () => {
  it("queries an endpoint with array params (repeated keys)", async () => {
    const client = createClient({ baseUrl, token: platform.adminToken, devMode: false });
    const result = await client.query("totals", { tenants: ["a", "b"] });
    expect(result.data).toEqual([
      { tenant: "a", total: 3 },
      { tenant: "b", total: 5 },
    ]);
    expect(result.meta).toEqual([
      { name: "tenant", type: "String" },
      { name: "total", type: "Int64" },
    ]);
  });

  it("runs client.sql (text/plain body, no FORMAT)", async () => {
    const client = createClient({ baseUrl, token: platform.adminToken, devMode: false });
    const result = await client.sql("SELECT count() AS c FROM events");
    expect(result.data).toEqual([{ c: 3 }]);
  });

  it("mints a JWT with fixed params and calls the endpoint with it", async () => {
    const { token } = await createJWT(
      { baseUrl, token: platform.adminToken },
      {
        name: "tenant_b",
        expiresAt: new Date(Date.now() + 600_000),
        scopes: [{ type: "PIPES:READ", resource: "totals", fixed_params: { tenants: "b" } }],
        limits: { rps: 10 },
      },
    );
    const client = createClient({ baseUrl, token, devMode: false });
    const result = await client.query("totals", { tenants: ["a"] });
    expect(result.data).toEqual([{ tenant: "b", total: 5 }]);
  });
});
