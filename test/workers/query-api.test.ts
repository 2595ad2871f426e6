// The Query API (/v0/sql): request shapes, FORMAT, templates, pipeline=, scopes and filters, isolation.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "./helpers/api.js";
import { deployProject, rowCount, type Deployed } from "./endpoints-project.js";

let ws: Deployed;

beforeAll(async () => {
  ws = await deployProject("queryapi");
});

const sql = (q: string, init: { token?: string; query?: string } = {}) =>
  api(`/v0/sql?q=${encodeURIComponent(q)}${init.query ?? ""}`, { token: init.token ?? ws.token });

async function data(res: Response): Promise<unknown> {
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as any).data;
}

async function staticToken(name: string, ...scopes: string[]): Promise<string> {
  const qs = new URLSearchParams([["name", name], ...scopes.map((s) => ["scope", s] as [string, string])]);
  const res = await api(`/v0/tokens?${qs}`, { method: "POST", token: ws.token });
  expect(res.status).toBe(200);
  return ((await res.json()) as any).token;
}

describe("request shapes", () => {
  it("GET ?q= answers JSON by default", async () => {
    const res = await sql("SELECT count() AS c FROM events");
    const body = (await res.json()) as any;
    expect(body.meta).toEqual([{ name: "c", type: "UInt64" }]);
    expect(body.data).toEqual([{ c: 10 }]);
    expect(body.rows).toBe(1);
  });

  it("POST with a raw text/plain body and no FORMAT answers JSON", async () => {
    const res = await api("/v0/sql?from=ts-sdk", {
      method: "POST",
      token: ws.token,
      headers: { "content-type": "text/plain" },
      body: "SELECT tenant, count() AS c FROM events GROUP BY tenant ORDER BY tenant",
    });
    expect(await data(res)).toEqual([
      { tenant: "acme", c: 5 },
      { tenant: "globex", c: 5 },
    ]);
  });

  it("POST with a form field q", async () => {
    const res = await api("/v0/sql", {
      method: "POST",
      token: ws.token,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ q: "SELECT max(value) AS m FROM events" }),
    });
    expect(await data(res)).toEqual([{ m: 9 }]);
  });

  it("honours a FORMAT clause", async () => {
    const res = await sql("SELECT tenant, count() AS c FROM events GROUP BY tenant ORDER BY tenant FORMAT CSVWithNames");
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await res.text()).toBe('"tenant","c"\n"acme",5\n"globex",5\n');
  });

  it("400 for an unknown FORMAT", async () => {
    const res = await sql("SELECT 1 FORMAT Nope");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Format 'Nope' is not supported" });
  });

  it("400 without SQL", async () => {
    const res = await api("/v0/sql", { token: ws.token });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "The SQL query is missing: send it as 'q' or as the request body" });
  });

  it("renders templated SQL with request params", async () => {
    const res = await sql("%\nSELECT count() AS c FROM events WHERE tenant = {{ String(tenant) }}", { query: "&tenant=acme" });
    expect(await data(res)).toEqual([{ c: 5 }]);
  });
});

describe("pipes", () => {
  it("reads a pipe by name", async () => {
    expect(await data(await sql("SELECT sum(views) AS v FROM top_pages"))).toEqual([{ v: 10 }]);
  });

  it("passes request params to the pipe's templates", async () => {
    expect(await data(await sql("SELECT sum(views) AS v FROM top_pages", { query: "&tenant=globex" }))).toEqual([{ v: 5 }]);
  });

  it("pipeline= makes _ the pipe's result", async () => {
    expect(await data(await sql("SELECT count() AS c FROM _", { query: "&pipeline=top_pages" }))).toEqual([{ c: 3 }]);
  });

  it("pipeline= makes the pipe's nodes readable by name", async () => {
    expect(await data(await sql("SELECT count() AS c FROM filtered", { query: "&pipeline=top_pages" }))).toEqual([{ c: 10 }]);
  });
});

describe("read-only and isolation", () => {
  it("refuses DDL", async () => {
    const res = await sql(`DROP TABLE ${ws.eventsTable}`);
    expect(res.status).toBe(400);
    expect(await rowCount(ws.eventsTable)).toBe(10);
  });

  it("refuses INSERT", async () => {
    const res = await sql("INSERT INTO events SELECT * FROM events");
    expect(res.status).toBe(400);
    expect(await rowCount(ws.eventsTable)).toBe(10);
  });

  it("refuses two statements", async () => {
    const res = await sql("SELECT 1; DROP TABLE events");
    expect(res.status).toBe(400);
    expect(await rowCount(ws.eventsTable)).toBe(10);
  });

  it("refuses another workspace's database", async () => {
    const other = await deployProject("queryapi_other", { "events.datasource": (await import("./endpoints-project.js")).EVENTS });
    const res = await sql(`SELECT count() FROM ${other.eventsTable}`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error).toBe(
      `Resource '${other.eventsTable}' is not accessible: only this workspace's datasources and pipes, and tinybird.* service datasources, can be queried`,
    );
  });

  it("refuses its own physical table names too", async () => {
    const res = await sql(`SELECT count() FROM ${ws.eventsTable}`);
    expect(res.status).toBe(403);
  });

  it("refuses system tables", async () => {
    const res = await sql("SELECT name FROM system.tables");
    expect(res.status).toBe(403);
  });

  it("refuses table functions that reach outside", async () => {
    const res = await sql("SELECT * FROM url('http://127.0.0.1:1/', CSV, 'a String')");
    expect(res.status).toBe(403);
  });

  it("404 for an unknown table", async () => {
    const res = await sql("SELECT * FROM nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Resource 'nope' not found" });
  });

  it("refuses SETTINGS that change limits", async () => {
    const res = await sql("SELECT 1 SETTINGS max_execution_time = 1000");
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "SETTINGS clauses are not allowed in queries; the platform sets query limits" });
  });
});

describe("scopes", () => {
  it("a DATASOURCES:READ token reads its datasource", async () => {
    const token = await staticToken("ds_reader", "DATASOURCES:READ:events");
    expect(await data(await sql("SELECT count() AS c FROM events", { token }))).toEqual([{ c: 10 }]);
  });

  it("a DATASOURCES:READ token cannot read a pipe it has no scope on", async () => {
    const token = await staticToken("ds_reader2", "DATASOURCES:READ:events");
    const res = await sql("SELECT * FROM top_pages", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Resource 'top_pages' needs the PIPES:READ:top_pages scope" });
  });

  it("a PIPES:READ token cannot read the datasource directly", async () => {
    const token = await staticToken("pipe_reader", "PIPES:READ:top_pages");
    const res = await sql("SELECT count() FROM events", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Resource 'events' needs the DATASOURCES:READ:events scope" });
    expect(await data(await sql("SELECT sum(views) AS v FROM top_pages", { token }))).toEqual([{ v: 10 }]);
  });

  it("a filtered READ scope only sees its rows", async () => {
    const token = await staticToken("acme_only", "DATASOURCES:READ:events:tenant = 'acme'");
    expect(await data(await sql("SELECT count() AS c, groupUniqArray(tenant) AS t FROM events", { token }))).toEqual([{ c: 5, t: ["acme"] }]);
  });

  it("WORKSPACE:READ_ALL reads everything", async () => {
    const token = await staticToken("read_all", "WORKSPACE:READ_ALL");
    expect(await data(await sql("SELECT count() AS c FROM events", { token }))).toEqual([{ c: 10 }]);
  });

  it("refuses a filter that reads another table", async () => {
    const token = await staticToken("sneaky", "DATASOURCES:READ:events:tenant IN (SELECT name FROM system.tables)");
    const res = await sql("SELECT count() FROM events", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "The token's filter is not a valid SQL condition" });
  });
});

describe("tinybird.pipe_stats_rt", () => {
  it("logs endpoint calls, readable by the workspace only", async () => {
    const call = await api("/v0/pipes/top_pages.json?limit=1&from=test", { token: ws.token });
    expect(call.status).toBe(200);
    await call.arrayBuffer();
    const requestId = call.headers.get("x-request-id")!;
    const q = `SELECT pipe_name, status_code, error, result_rows >= 0 AS r, method, parameters['limit'] AS l, url FROM tinybird.pipe_stats_rt WHERE request_id = '${requestId}'`;
    const rows = await vi.waitUntil(
      async () => {
        const d = (await data(await sql(q))) as unknown[];
        return d.length ? d : undefined;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(rows).toEqual([{ pipe_name: "top_pages", status_code: 200, error: 0, r: 1, method: "GET", l: "1", url: "/v0/pipes/top_pages.json?limit=1&from=test" }]);
  });

  it("logs Query API calls as query_api and errors with their status", async () => {
    const bad = await sql("SELECT * FROM nope");
    const requestId = bad.headers.get("x-request-id")!;
    const q = `SELECT pipe_name, status_code, error FROM tinybird.pipe_stats_rt WHERE request_id = '${requestId}'`;
    const rows = await vi.waitUntil(
      async () => {
        const d = (await data(await sql(q))) as unknown[];
        return d.length ? d : undefined;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(rows).toEqual([{ pipe_name: "query_api", status_code: 404, error: 1 }]);
  });

  it("does not expose workspace_id or other workspaces' rows", async () => {
    const res = await sql("SELECT workspace_id FROM tinybird.pipe_stats_rt");
    expect(res.status).toBe(400);
    expect(res.headers.get("x-db-exception-code")).toBe("47");
  });
});
