// API endpoints through the real Worker and ClickHouse: formats, params, errors, scopes, CORS, OpenAPI.
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./helpers/api.js";
import { deployProject, rowCount, type Deployed } from "./endpoints-project.js";

let ws: Deployed;

beforeAll(async () => {
  ws = await deployProject("endpoints");
});

const call = (path: string, init: RequestInit & { token?: string | null } = {}) => api(path, { token: ws.token, ...init });

describe("formats", () => {
  it("answers JSON in Tinybird's shape with 64-bit integers as numbers", async () => {
    const res = await call("/v0/pipes/top_pages.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as any;
    expect(body.meta).toEqual([
      { name: "pathname", type: "String" },
      { name: "views", type: "UInt64" },
      { name: "total", type: "Int64" },
    ]);
    expect(body.data).toEqual([
      { pathname: "/p0", views: 4, total: 18 },
      { pathname: "/p1", views: 3, total: 12 },
      { pathname: "/p2", views: 3, total: 15 },
    ]);
    expect(body.rows).toBe(3);
    expect(body.rows_before_limit_at_least).toBe(3);
    expect(Object.keys(body.statistics)).toEqual(["elapsed", "rows_read", "bytes_read"]);
  });

  it("answers CSV without a header", async () => {
    const res = await call("/v0/pipes/top_pages.csv");
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await res.text()).toBe('"/p0",4,18\n"/p1",3,12\n"/p2",3,15\n');
  });

  it("answers CSVWithNames with a header", async () => {
    const res = await call("/v0/pipes/top_pages.csvwithnames");
    expect(await res.text()).toBe('"pathname","views","total"\n"/p0",4,18\n"/p1",3,12\n"/p2",3,15\n');
  });

  it("answers NDJSON (ClickHouse's JSONEachRow bytes, slashes escaped)", async () => {
    const res = await call("/v0/pipes/top_pages.ndjson");
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    expect(new TextDecoder().decode(await res.arrayBuffer())).toBe(
      '{"pathname":"\\/p0","views":4,"total":18}\n{"pathname":"\\/p1","views":3,"total":12}\n{"pathname":"\\/p2","views":3,"total":15}\n',
    );
  });

  it("answers Parquet", async () => {
    const res = await call("/v0/pipes/top_pages.parquet");
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe("PAR1");
    expect(new TextDecoder().decode(bytes.slice(-4))).toBe("PAR1");
  });

  it("answers Prometheus text", async () => {
    const res = await call("/v0/pipes/metrics.prometheus");
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await res.text()).toBe(
      '# HELP events_total All events\n# TYPE events_total counter\nevents_total{tenant="acme"} 5\nevents_total{tenant="globex"} 5\n\n',
    );
  });
});

describe("parameters", () => {
  it("reads params from the query string and ignores from= and token=", async () => {
    const res = await call(`/v0/pipes/top_pages.json?tenant=acme&limit=2&from=ts-sdk&token=${ws.token}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data).toEqual([
      { pathname: "/p0", views: 2, total: 6 },
      { pathname: "/p1", views: 1, total: 4 },
    ]);
  });

  it("reads params from a form body (POST)", async () => {
    const res = await call("/v0/pipes/top_pages.json", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "tenant=globex&limit=1",
    });
    expect(((await res.json()) as any).data).toEqual([{ pathname: "/p0", views: 2, total: 12 }]);
  });

  it("reads params from a JSON body (POST)", async () => {
    const res = await call("/v0/pipes/top_pages.json", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tenant: "acme", limit: 1 }),
    });
    expect(((await res.json()) as any).data).toEqual([{ pathname: "/p0", views: 2, total: 6 }]);
  });

  it("takes arrays as repeated keys", async () => {
    const res = await call("/v0/pipes/by_paths.json?paths=/p0&paths=/p2");
    expect(((await res.json()) as any).data).toEqual([
      { pathname: "/p0", c: 4 },
      { pathname: "/p2", c: 3 },
    ]);
  });

  it("takes arrays as comma lists", async () => {
    const res = await call("/v0/pipes/by_paths.json?paths=/p1,/p2");
    expect(((await res.json()) as any).data).toEqual([
      { pathname: "/p1", c: 3 },
      { pathname: "/p2", c: 3 },
    ]);
  });

  it("takes arrays from a JSON body", async () => {
    const res = await call("/v0/pipes/by_paths.json", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paths: ["/p1"] }),
    });
    expect(((await res.json()) as any).data).toEqual([{ pathname: "/p1", c: 3 }]);
  });

  it("runs q= over the endpoint result", async () => {
    const res = await call(`/v0/pipes/top_pages.json?q=${encodeURIComponent("SELECT sum(views) AS v FROM _")}`);
    expect(((await res.json()) as any).data).toEqual([{ v: 10 }]);
  });
});

describe("errors", () => {
  it("404 for an unknown pipe", async () => {
    const res = await call("/v0/pipes/nope.json");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "The pipe 'nope' does not exist" });
  });

  it("404 for a pipe that is not an endpoint", async () => {
    const res = await call("/v0/pipes/standard.json");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "The pipe 'standard' is not published as an API endpoint" });
  });

  it("400 with Tinybird's message for a missing required param", async () => {
    const res = await call("/v0/pipes/by_paths.json");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error:
        "Template Syntax Error: Required parameter is not defined. Check the parameters paths. Please provide a value or set a default value in the pipe code.",
    });
  });

  it("400 with Tinybird's message for a param of the wrong type", async () => {
    const res = await call("/v0/pipes/top_pages.json?limit=ten");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Template Syntax Error: Error validating 'ten' to type Int32" });
  });

  it("maps ClickHouse errors with X-DB-Exception-Code", async () => {
    const res = await call(`/v0/pipes/top_pages.json?q=${encodeURIComponent("SELECT nope FROM _")}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("x-db-exception-code")).toBe("47");
    expect(((await res.json()) as any).error).toMatch(/^\[Error\] .*nope/);
  });

  it("408 when the query runs past max_execution_time", async () => {
    const res = await call("/v0/pipes/slow.json");
    expect(res.status).toBe(408);
    expect(res.headers.get("x-db-exception-code")).toBe("159");
  });

  it("refuses DDL in q=", async () => {
    const res = await call(`/v0/pipes/top_pages.json?q=${encodeURIComponent("DROP TABLE " + ws.eventsTable)}`);
    expect(res.status).toBe(400);
    expect(await rowCount(ws.eventsTable)).toBe(10);
  });

  it("refuses another table in q=", async () => {
    const res = await call(`/v0/pipes/top_pages.json?q=${encodeURIComponent("SELECT * FROM system.tables")}`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "q can only read from _ (the endpoint result), not 'system.tables'" });
  });

  it("403 without a scope on the pipe", async () => {
    const created = await call("/v0/tokens?name=only_metrics&scope=PIPES:READ:metrics", { method: "POST" });
    const token = ((await created.json()) as any).token;
    const res = await call("/v0/pipes/top_pages.json", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Permission denied: this operation needs the PIPES:READ scope on 'top_pages'" });
    expect((await call("/v0/pipes/metrics.json", { token })).status).toBe(200);
  });

  it("accepts the pipe's own TOKEN ... READ token", async () => {
    const list = (await (await call("/v0/tokens")).json()) as any;
    const reader = list.tokens.find((t: any) => t.name === "top_reader");
    expect(reader.scopes).toEqual([{ type: "PIPES:READ", resource: "top_pages" }]);
    expect((await call("/v0/pipes/top_pages.json", { token: reader.token })).status).toBe(200);
  });

  it("400 when header and query tokens differ", async () => {
    const res = await call("/v0/pipes/top_pages.json?token=p.other.sig");
    expect(res.status).toBe(400);
  });

  it("403 for an invalid token", async () => {
    const res = await call("/v0/pipes/top_pages.json", { token: "p.eyJ1IjoieCIsImlkIjoieSJ9.bad" });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Invalid token" });
  });
});

describe("SQL injection through params", () => {
  it("keeps a String param inside its literal", async () => {
    const s = "x' OR 1=1; DROP TABLE events --\\";
    const res = await call(`/v0/pipes/echo.json?s=${encodeURIComponent(s)}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data[0].s).toBe(s);
    expect(await rowCount(ws.eventsTable)).toBe(10);
  });

  it("refuses SQL in an Int32 param", async () => {
    const res = await call(`/v0/pipes/echo.json?n=${encodeURIComponent("1) UNION ALL SELECT 1 --")}`);
    expect(res.status).toBe(400);
  });

  it("refuses SQL in a Float64 param", async () => {
    const res = await call(`/v0/pipes/echo.json?f=${encodeURIComponent("1 OR 1=1")}`);
    expect(res.status).toBe(400);
  });

  it("keeps a DateTime param inside its literal (Tinybird checks only its prefix)", async () => {
    const d = "2026-01-01 00:00:00' OR '1'='1";
    const res = await call(`/v0/pipes/echo.json?d=${encodeURIComponent(d)}`);
    const body = (await res.json()) as any;
    expect(body.rows).toBe(1);
    expect(body.data[0].d).toBe(d);
  });

  it("refuses a DateTime param that is not a date", async () => {
    const res = await call(`/v0/pipes/echo.json?d=${encodeURIComponent("1) OR (1=1")}`);
    expect(res.status).toBe(400);
  });

  it("quotes a column() param as an identifier, and refuses names with escapes", async () => {
    const res = await call(`/v0/pipes/echo.json?col=${encodeURIComponent("pathname` FROM system.tables --")}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "Names with control characters, backslashes or back-quotes are not allowed" });
  });

  it("keeps Array elements inside their literals", async () => {
    const res = await call(`/v0/pipes/by_paths.json?paths=${encodeURIComponent("/p0') OR ('1'='1")}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data).toEqual([]);
  });
});

describe("browsers", () => {
  it("answers the CORS preflight", async () => {
    const res = await call("/v0/pipes/top_pages.json", {
      method: "OPTIONS",
      token: null,
      headers: { origin: "https://app.example", "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
    expect(res.headers.get("access-control-max-age")).toBe("86400");
  });

  it("sends Access-Control-Allow-Origin on answers and errors", async () => {
    const ok = await call("/v0/pipes/top_pages.json", { headers: { origin: "https://app.example" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("*");
    const err = await call("/v0/pipes/nope.json", { headers: { origin: "https://app.example" } });
    expect(err.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("OpenAPI", () => {
  it("describes every endpoint with its parameters", async () => {
    const res = await call("/v0/pipes/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as any;
    expect(doc.openapi).toBe("3.0.3");
    expect(Object.keys(doc.paths).filter((p: string) => p.endsWith(".json"))).toEqual([
      "/pipes/by_paths.json",
      "/pipes/echo.json",
      "/pipes/metrics.json",
      "/pipes/slow.json",
      "/pipes/top_pages.json",
    ]);
    const params = doc.paths["/pipes/top_pages.json"].get.parameters.map((p: any) => [p.name, p.schema.type, p.required]);
    expect(params).toEqual([
      ["start", "string", false],
      ["tenant", "string", false],
      ["limit", "integer", false],
      ["q", "string", false],
    ]);
  });

  it("describes one pipe at /v0/pipes/<pipe>/openapi.json", async () => {
    const doc = (await (await call("/v0/pipes/by_paths/openapi.json")).json()) as any;
    expect(Object.keys(doc.paths)).toEqual([
      "/pipes/by_paths.json",
      "/pipes/by_paths.csv",
      "/pipes/by_paths.csvwithnames",
      "/pipes/by_paths.ndjson",
      "/pipes/by_paths.parquet",
      "/pipes/by_paths.prometheus",
    ]);
    expect(doc.paths["/pipes/by_paths.json"].get.parameters[0]).toEqual({
      name: "paths",
      in: "query",
      required: false,
      style: "form",
      explode: true,
      schema: { type: "array", items: { type: "string" } },
    });
  });
});
