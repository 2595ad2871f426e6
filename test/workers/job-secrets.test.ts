// tb_secret('NAME') in the SQL of a copy pipe and of a sink pipe: bound as a ClickHouse query
// parameter with every statement the job runs (its DESCRIBE, its INSERT … SELECT, an R2 sink's
// listing and file reads), as an endpoint binds it; a failing run reports ClickHouse's error
// with the value masked, in /v0/jobs and in datasources_ops_log.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { copyPipe, ended, physical, runCopy } from "./helpers/copies.js";
import { sinkRun, sinkPipe } from "./helpers/sinks.js";

const TENANT = "tenant-JoB-SeCrEt-91c";
let ws: { id: string; token: string };

const ROWS = `SCHEMA >
    \`tenant\` String \`json:$.tenant\`,
    \`n\` Int32 \`json:$.n\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "n"
`;

async function rowsOf(table: string): Promise<Array<{ tenant: string; n: number }>> {
  const rs = await testClickHouse().query({ query: `SELECT tenant, n FROM ${table} ORDER BY n`, format: "JSONEachRow" });
  return rs.json();
}

beforeAll(async () => {
  ws = await createWorkspace("job_secrets");
  const deployed = await deploy(
    {
      "rows.datasource": ROWS,
      "copied.datasource": ROWS,
      "copied_bad.datasource": ROWS,
      "copy_by_secret.pipe": copyPipe("%\nSELECT tenant, n FROM rows WHERE tenant = {{ tb_secret('TENANT_KEY') }}", ["TARGET_DATASOURCE copied"]),
      "copy_cast_fails.pipe": copyPipe("%\nSELECT tenant, toInt32(concat(tenant, {{ tb_secret('TENANT_KEY') }})) AS n FROM rows WHERE n = 2", [
        "TARGET_DATASOURCE copied_bad",
      ]),
      "own_bucket.connection": "TYPE r2\n",
      "sink_by_secret.pipe": sinkPipe("%\nSELECT tenant, n FROM rows WHERE tenant = {{ tb_secret('TENANT_KEY') }} ORDER BY n", [
        "EXPORT_CONNECTION_NAME own_bucket",
        "EXPORT_BUCKET_URI r2://tern-sinks/secret-jobs/",
        "EXPORT_FILE_TEMPLATE by_{tenant}",
        "EXPORT_FORMAT ndjson",
      ]),
    },
    "auto_promote=true",
    ws.token,
  );
  expect(deployed.status, JSON.stringify(deployed.body)).toBe(200);
  const rows = [
    { tenant: TENANT, n: 1 },
    { tenant: "other", n: 2 },
    { tenant: TENANT, n: 3 },
  ];
  const ev = await api("/v0/events?name=rows&wait=true", { method: "POST", token: ws.token, body: rows.map((r) => JSON.stringify(r)).join("\n") });
  expect(ev.status).toBe(200);
  const set = await api("/v0/variables", {
    method: "POST",
    token: ws.token,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "TENANT_KEY", value: TENANT }),
  });
  expect(set.status, await set.text()).toBe(200);
});

describe("tb_secret in a copy pipe", () => {
  it("the copy filters with the secret's value", async () => {
    const started = await runCopy("copy_by_secret", ws.token);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const done = await ended(started.body.job.id, ws.token);
    expect(done.status, done.error).toBe("done");
    expect(await rowsOf(await physical(ws.id, "copied"))).toEqual([
      { tenant: TENANT, n: 1 },
      { tenant: TENANT, n: 3 },
    ]);
  });

  it("a failing copy reports ClickHouse's error with the value masked", async () => {
    const started = await runCopy("copy_cast_fails", ws.token);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    const done = await ended(started.body.job.id, ws.token);
    expect(done.status).toBe("error");
    // Which row fails first is ClickHouse's choice (it may evaluate the cast before the filter).
    expect(done.error).toMatch(/^The copy failed in ClickHouse: Cannot parse string '(<secret>|other)<secret>' as Int32/);
    expect(done.error).not.toContain(TENANT);
  });

  it("datasources_ops_log's row of the failed copy does not carry the value", async () => {
    const q = encodeURIComponent("SELECT error FROM tinybird.datasources_ops_log WHERE event_type = 'copy' AND result = 'error' FORMAT JSON");
    let body: { data: Array<{ error: string }> } = { data: [] };
    await vi.waitUntil(
      async () => {
        body = await (await api(`/v0/sql?q=${q}`, { token: ws.token })).json();
        return body.data.length === 1;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(body.data[0]!.error).toContain("<secret>");
    expect(body.data[0]!.error).not.toContain(TENANT);
  });
});

describe("tb_secret in a sink pipe", () => {
  it("the sink's listing and file read both bind the value", async () => {
    const done = await sinkRun("sink_by_secret", ws.token);
    expect(done.status, done.error).toBe("done");
    const key = `sinks/${ws.id}/secret-jobs/by_${TENANT}.ndjson`;
    const object = await env.SINKS.get(key);
    expect(object, key).not.toBeNull();
    expect((await object!.text()).trim().split("\n").map((l) => JSON.parse(l))).toEqual([
      { tenant: TENANT, n: 1 },
      { tenant: TENANT, n: 3 },
    ]);
  });
});
