// The Events API through the real Worker, queue, catalog and ClickHouse.
import { createExecutionContext, env } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../workers/index.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";
import { catalogClient } from "../../workers/catalog/client.js";

const EVENTS = `SCHEMA >
    \`timestamp\` DateTime \`json:$.timestamp\`,
    \`user_id\` UInt32 \`json:$.user.id\`,
    \`action\` LowCardinality(String) \`json:$.action\`,
    \`amount\` Nullable(Float64) \`json:$.amount\`,
    \`tags\` Array(String) \`json:$.tags\` DEFAULT []

ENGINE "MergeTree"
ENGINE_SORTING_KEY "timestamp, user_id"

TOKEN tracker APPEND
`;

let ws: { id: string; token: string };
let table: string;
let quarantine: string;
let trackerToken: string;

async function rows(sql: string): Promise<unknown[]> {
  const rs = await testClickHouse().query({ query: sql, format: "JSONEachRow" });
  return rs.json();
}

function post(body: BodyInit, init: { query?: string; token?: string | null; headers?: Record<string, string> } = {}) {
  return api(`/v0/events?name=events${init.query ? `&${init.query}` : ""}`, {
    method: "POST",
    body,
    token: init.token === undefined ? ws.token : init.token,
    headers: init.headers ?? { "content-type": "application/x-ndjson" },
  });
}

async function gzip(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
}

beforeAll(async () => {
  ws = await createWorkspace("events");
  expect((await deploy({ "events.datasource": EVENTS }, "auto_promote=true", ws.token)).status).toBe(200);
  const live = await liveManifest(env, ws.id);
  table = `${live!.manifest.database}.${live!.manifest.datasources.events!.table}`;
  quarantine = `${live!.manifest.database}.${live!.manifest.datasources.events!.quarantineTable}`;
  const tokens = (await catalogClient(env).workspace(ws.id).listTokens()) as Array<{ name: string; token: string }>;
  trackerToken = tokens.find((t) => t.name === "tracker")!.token;
});

describe("POST /v0/events", () => {
  it("answers 200 with wait=true once ClickHouse has the rows", async () => {
    const body = [
      '{"timestamp":"2026-03-01 10:00:00","user":{"id":1},"action":"view","amount":null,"tags":["a"]}',
      '{"timestamp":"2026-03-01T10:00:01Z","user":{"id":2},"action":"buy","amount":9.5}',
    ].join("\n");
    const res = await post(body, { query: "wait=true" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ successful_rows: 2, quarantined_rows: 0 });
    expect(await rows(`SELECT timestamp, user_id, action, amount, tags FROM ${table} WHERE user_id IN (1, 2) ORDER BY user_id`)).toEqual([
      { timestamp: "2026-03-01 10:00:00", user_id: 1, action: "view", amount: null, tags: ["a"] },
      { timestamp: "2026-03-01 10:00:01", user_id: 2, action: "buy", amount: 9.5, tags: [] },
    ]);
  });

  it("answers 202 and delivers through the queue", async () => {
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ timestamp: "2026-03-02 00:00:00", user: { id: 1000 + i }, action: "queued" }));
    const res = await post(lines.join("\n"));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ successful_rows: 500, quarantined_rows: 0 });
    await vi.waitUntil(async () => {
      const [r] = (await rows(`SELECT count() AS c FROM ${table} WHERE action = 'queued'`)) as Array<{ c: string }>;
      return Number(r!.c) === 500;
    }, { timeout: 20_000, interval: 200 });
  });

  it("quarantines a malformed line in the middle of a batch and keeps the rest", async () => {
    const body = [
      '{"timestamp":"2026-03-03 00:00:00","user":{"id":3001},"action":"mid"}',
      '{"timestamp": "2026-03-03 00:00:00", "user": {"id": 3002',
      '{"timestamp":"2026-03-03 00:00:00","user":{"id":3003},"action":"mid"}',
    ].join("\n");
    const res = await post(body, { query: "wait=true" });
    expect(await res.json()).toEqual({ successful_rows: 2, quarantined_rows: 1 });
    expect(await rows(`SELECT user_id FROM ${table} WHERE action = 'mid' ORDER BY user_id`)).toEqual([{ user_id: 3001 }, { user_id: 3003 }]);
    const q = (await rows(`SELECT c__error_column, c__error, c__import_id FROM ${quarantine} WHERE has(c__error, c__error[1]) AND c__error[1] LIKE '%line 2%'`)) as Array<Record<string, unknown>>;
    expect(q).toHaveLength(1);
    expect(q[0]!.c__error_column).toEqual([]);
  });

  it("quarantines rows with wrong types, naming the column and keeping the original value", async () => {
    const res = await post('{"timestamp":"not a date","user":{"id":-5},"action":"bad"}', { query: "wait=true" });
    expect(await res.json()).toEqual({ successful_rows: 0, quarantined_rows: 1 });
    const [q] = (await rows(`SELECT c__error_column, timestamp, user_id, action FROM ${quarantine} WHERE action = 'bad'`)) as Array<Record<string, unknown>>;
    expect(q).toEqual({ c__error_column: ["timestamp", "user_id"], timestamp: "not a date", user_id: "-5", action: "bad" });
  });

  it("accepts a single JSON object whatever the Content-Type", async () => {
    for (const type of ["application/json", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"]) {
      const res = await post(JSON.stringify({ timestamp: "2026-03-04 00:00:00", user: { id: 4000 }, action: type }), { query: "wait=true", headers: { "content-type": type } });
      expect(await res.json()).toEqual({ successful_rows: 1, quarantined_rows: 0 });
    }
  });

  it("accepts a gzip body", async () => {
    const res = await post(await gzip('{"timestamp":"2026-03-05 00:00:00","user":{"id":5000},"action":"gz"}'), {
      query: "wait=true",
      headers: { "content-type": "application/x-ndjson", "content-encoding": "gzip" },
    });
    expect(await res.json()).toEqual({ successful_rows: 1, quarantined_rows: 0 });
  });

  it("takes the token from ?token= and ignores unknown params like from=", async () => {
    const res = await api(`/v0/events?name=events&wait=true&from=ts-sdk&token=${encodeURIComponent(ws.token)}`, {
      method: "POST",
      token: null,
      body: '{"timestamp":"2026-03-06 00:00:00","user":{"id":6000},"action":"qs"}',
    });
    expect(res.status).toBe(200);
  });

  it("accepts the datasource's TOKEN … APPEND token", async () => {
    const res = await post('{"timestamp":"2026-03-06 00:00:00","user":{"id":6001},"action":"tracker"}', { query: "wait=true", token: trackerToken });
    expect(res.status).toBe(200);
  });

  it("sends rate-limit headers on every answer", async () => {
    const res = await post('{"timestamp":"2026-03-06 00:00:00","user":{"id":6002},"action":"h"}', { query: "wait=true" });
    expect(res.headers.get("x-ratelimit-limit")).toBe("100");
    expect(Number(res.headers.get("x-ratelimit-remaining"))).toBeGreaterThanOrEqual(0);
    expect(res.headers.get("x-ratelimit-reset")).not.toBeNull();
  });

  it("answers a CORS preflight", async () => {
    const res = await api("/v0/events?name=events", {
      method: "OPTIONS",
      token: null,
      headers: { origin: "https://shop.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(res.headers.get("access-control-max-age")).toBe("86400");
  });
});

describe("tinybird.datasources_ops_log", () => {
  it("has a row per events batch, queryable through /v0/sql for this workspace only", async () => {
    const res = await post('{"timestamp":"2026-03-08 00:00:00","user":{"id":8000},"action":"logged"}\n{"bad json', { query: "wait=true" });
    expect(res.status).toBe(200);
    const requestId = res.headers.get("x-request-id")!;
    const sql = `SELECT event_type, datasource_name, result, rows, rows_quarantine FROM tinybird.datasources_ops_log WHERE request_id = '${requestId}' FORMAT JSON`;
    let data: unknown[] = [];
    await vi.waitUntil(async () => {
      const r = await api(`/v0/sql?q=${encodeURIComponent(sql)}`, { token: ws.token });
      data = ((await r.json()) as { data: unknown[] }).data ?? [];
      return data.length > 0;
    }, { timeout: 10_000, interval: 200 });
    expect(data).toEqual([{ event_type: "append-hfi", datasource_name: "events", result: "ok", rows: 1, rows_quarantine: 1 }]);
    const other = await createWorkspace("opslog_other");
    const r2 = await api(`/v0/sql?q=${encodeURIComponent(sql)}`, { token: other.token });
    expect(((await r2.json()) as { data: unknown[] }).data).toEqual([]);
  });
});

describe("POST /v0/events with a JWT (browsers)", () => {
  async function mint(body: unknown): Promise<string> {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const res = await api(`/v0/tokens/?expiration_time=${exp}`, { method: "POST", token: ws.token, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  it("accepts a JWT with DATASOURCES:APPEND on the datasource", async () => {
    const jwt = await mint({ name: "browser_user_1", scopes: [{ type: "DATASOURCES:APPEND", resource: "events" }] });
    const res = await post('{"timestamp":"2026-03-09 00:00:00","user":{"id":9000},"action":"jwt"}', { query: "wait=true", token: jwt });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ successful_rows: 1, quarantined_rows: 0 });
  });

  it("refuses a JWT that only reads", async () => {
    const jwt = await mint({ name: "browser_reader", scopes: [{ type: "DATASOURCES:READ", resource: "events" }] });
    const res = await post('{"timestamp":"2026-03-09 00:00:00","user":{"id":9001},"action":"jwt"}', { query: "wait=true", token: jwt });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Permission denied: this operation needs the DATASOURCES:APPEND scope on 'events'" });
  });

  it("enforces the JWT's limits.rps", async () => {
    const jwt = await mint({ name: "browser_limited", scopes: [{ type: "DATASOURCES:APPEND", resource: "events" }], limits: { rps: 1 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('{"timestamp":"2026-03-09 00:00:00","user":{"id":9002},"action":"jwt"}', { query: "wait=true", token: jwt })).status);
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(429);
  });
});

describe("POST /v0/events errors", () => {
  it.each([
    ["an empty body", "", 400, "The request body is empty: send one JSON object per line (NDJSON)"],
  ])("answers %s with %i", async (_label, body, status, error) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error });
  });

  it("answers 400 without name", async () => {
    const res = await api("/v0/events", { method: "POST", token: ws.token, body: "{}" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "The 'name' parameter is required: POST /v0/events?name=<datasource>" });
  });

  it("answers 404 for an unknown datasource", async () => {
    const res = await api("/v0/events?name=nope", { method: "POST", token: ws.token, body: "{}" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Data Source 'nope' not found" });
  });

  it("answers 403 for a token without append scope on the datasource", async () => {
    const res = await api("/v0/events?name=other", { method: "POST", token: trackerToken, body: "{}" });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Permission denied: this operation needs the DATASOURCES:APPEND scope on 'other'" });
  });

  it("answers 403 for a bad token", async () => {
    const res = await post("{}", { token: "p.eyJ1IjoieCIsImlkIjoieSJ9.bad" });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Invalid token" });
  });

  it("answers 413 for a body over the limit", async () => {
    const small = { ...env, INGEST_MAX_BODY_BYTES: "1000" };
    const res = await worker.fetch(
      new Request("http://tern.test/v0/events?name=events", { method: "POST", headers: { authorization: `Bearer ${ws.token}` }, body: "x".repeat(2000) }),
      small,
      createExecutionContext(),
    );
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "The request body is larger than the limit of 1000 bytes; split it into smaller requests" });
  });

  it("answers 413 for a gzip bomb", async () => {
    const small = { ...env, INGEST_MAX_DECOMPRESSED_BYTES: "100000" };
    const res = await worker.fetch(
      new Request("http://tern.test/v0/events?name=events", {
        method: "POST",
        headers: { authorization: `Bearer ${ws.token}`, "content-encoding": "gzip" },
        body: await gzip(" ".repeat(5_000_000)),
      }),
      small,
      createExecutionContext(),
    );
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: string }).error).toMatch(/^The decompressed body is larger than the limit/);
  });

  it("answers 429 with Retry-After past the datasource's rate", async () => {
    const slow = { ...env, INGEST_RPS: "2" };
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await worker.fetch(
        new Request("http://tern.test/v0/events?name=events&wait=true", { method: "POST", headers: { authorization: `Bearer ${trackerToken}` }, body: '{"timestamp":"2026-03-07 00:00:00","user":{"id":7000},"action":"rl"}' }),
        slow,
        createExecutionContext(),
      );
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(last!.status).toBe(429);
    expect(last!.headers.get("retry-after")).toBe("1");
    expect(last!.headers.get("x-ratelimit-remaining")).toBe("0");
  });
});
