// tb_secret('NAME') in a pipe node: rendered as a ClickHouse query parameter (a name made for the
// read) and bound with it, on endpoints and on pipes the Query API reads; the value is in no
// error text (masked where ClickHouse quotes it) and in no pipe_stats_rt row; a secret that is not set and has no default answers the template's error;
// with a default, the default is used; a value with quotes and backslashes is matched exactly.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";

const TENANT = "tenant-SeCrEt-4e1b";
const TRICKY = `o'brien\\' OR 1=1 -- "x"\\`;
let ws: { id: string; token: string };

const DS = `SCHEMA >
    \`tenant\` String \`json:$.tenant\`,
    \`n\` Int32 \`json:$.n\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "n"
`;

const pipe = (where: string) => `NODE endpoint
SQL >
    %
    SELECT tenant, n FROM rows WHERE tenant = ${where} ORDER BY n

TYPE endpoint
`;

async function call(path: string): Promise<{ status: number; text: string; body: any; requestId: string }> {
  const res = await api(path, { token: ws.token });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text), requestId: res.headers.get("x-request-id") ?? "" };
}

async function setSecret(name: string, value: string): Promise<void> {
  const res = await api("/v0/variables", { method: "POST", token: ws.token, headers: { "content-type": "application/json" }, body: JSON.stringify({ name, value }) });
  expect(res.status, await res.text()).toBe(200);
}

beforeAll(async () => {
  ws = await createWorkspace("pipe_secrets");
  const deployed = await deploy(
    {
      "rows.datasource": DS,
      "by_secret.pipe": pipe("{{ tb_secret('TENANT_KEY') }}"),
      "by_var.pipe": pipe("{{ tb_var('TENANT_KEY') }}"),
      "missing.pipe": pipe("{{ tb_secret('NOT_SET') }}"),
      "defaulted.pipe": pipe("{{ tb_secret('NOT_SET', 'fallback') }}"),
      "tricky.pipe": pipe("{{ tb_secret('TRICKY_KEY') }}"),
      "cached.pipe": `${pipe("{{ tb_secret('CACHED_KEY') }}")}CACHE 60
`,
      "cast_fail.pipe": `NODE endpoint
SQL >
    %
    SELECT toInt32(concat(tenant, {{ tb_secret('TENANT_KEY') }})) AS v FROM rows WHERE n = 2

TYPE endpoint
`,
    },
    "auto_promote=true",
    ws.token,
  );
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
  const rows = [
    { tenant: TENANT, n: 1 },
    { tenant: "other", n: 2 },
    { tenant: TENANT, n: 3 },
    { tenant: "fallback", n: 4 },
    { tenant: TRICKY, n: 5 },
    { tenant: "o'brien", n: 6 },
  ];
  const ev = await api("/v0/events?name=rows&wait=true", { method: "POST", token: ws.token, body: rows.map((r) => JSON.stringify(r)).join("\n") });
  expect(ev.status).toBe(200);
  await setSecret("TENANT_KEY", TENANT);
  await setSecret("TRICKY_KEY", TRICKY);
  await setSecret("CACHED_KEY", "other");
});

describe("tb_secret in a pipe node", () => {
  it("an endpoint filters with the secret's value", async () => {
    const r = await call("/v0/pipes/by_secret.json");
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toEqual([
      { tenant: TENANT, n: 1 },
      { tenant: TENANT, n: 3 },
    ]);
  });

  it("tb_var reads the same secret", async () => {
    const r = await call("/v0/pipes/by_var.json");
    expect(r.body.data).toEqual([
      { tenant: TENANT, n: 1 },
      { tenant: TENANT, n: 3 },
    ]);
  });

  it("an error ClickHouse raises while reading shows no secret value", async () => {
    const r = await call("/v0/pipes/cast_fail.json");
    expect(r.status).toBe(400);
    expect(r.body.error).toContain("Cannot parse string 'other<secret>' as Int32");
    expect(r.text).not.toContain(TENANT);
  });

  it("pipe_stats_rt's rows of the calls do not carry the value", async () => {
    const q = encodeURIComponent("SELECT * FROM tinybird.pipe_stats_rt WHERE pipe_name IN ('by_secret', 'by_var', 'cast_fail') FORMAT JSON");
    let r = await call(`/v0/sql?q=${q}`);
    await vi.waitUntil(async () => (r = await call(`/v0/sql?q=${q}`)).body.data.length === 3, { timeout: 10000, interval: 200 });
    expect(r.text).not.toContain(TENANT);
  });

  it("endpoint_errors records the failed read with the value masked", async () => {
    const q = encodeURIComponent("SELECT error FROM tinybird.endpoint_errors WHERE pipe_name = 'cast_fail' FORMAT JSON");
    let r = await call(`/v0/sql?q=${q}`);
    await vi.waitUntil(async () => (r = await call(`/v0/sql?q=${q}`)).body.data.length === 1, { timeout: 10000, interval: 200 });
    expect(r.body.data[0].error).toContain("Cannot parse string 'other<secret>' as Int32");
    expect(r.text).not.toContain(TENANT);
  });

  it("a secret that is not set and has no default answers 400 with the template's error", async () => {
    const r = await call("/v0/pipes/missing.json");
    expect([r.status, r.body]).toEqual([
      400,
      { error: "Template Syntax Error: Cannot access secret 'NOT_SET'. Check the secret exists in the Workspace and the token has the required scope." },
    ]);
  });

  it("a secret that is not set uses its default", async () => {
    const r = await call("/v0/pipes/defaulted.json");
    expect(r.body.data).toEqual([{ tenant: "fallback", n: 4 }]);
  });

  it("a value with quotes and backslashes is bound exactly", async () => {
    const r = await call("/v0/pipes/tricky.json");
    expect(r.body.data).toEqual([{ tenant: TRICKY, n: 5 }]);
  });

  it("an endpoint with CACHE that binds a secret reads the secret's new value at once, never from the cache", async () => {
    const first = await call("/v0/pipes/cached.json");
    const put = await api("/v0/variables/CACHED_KEY", { method: "PUT", token: ws.token, headers: { "content-type": "application/json" }, body: JSON.stringify({ value: "fallback" }) });
    expect(put.status).toBe(200);
    const second = await api("/v0/pipes/cached.json", { token: ws.token });
    expect([first.body.data, ((await second.json()) as { data: unknown }).data, second.headers.get("x-tern-cache")]).toEqual([[{ tenant: "other", n: 2 }], [{ tenant: "fallback", n: 4 }], null]);
  });

  it("the Query API binds the secrets of a pipe it reads", async () => {
    const r = await call(`/v0/sql?q=${encodeURIComponent("SELECT n FROM by_secret ORDER BY n FORMAT JSON")}`);
    expect(r.body.data).toEqual([{ n: 1 }, { n: 3 }]);
  });
});
