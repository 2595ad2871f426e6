// Errors from the real boundaries, answered by the real error handler inside
// workerd: ClickHouse's own refusals (the local ClickHouse) and an unreachable
// ClickHouse become TernErrors that keep the client's error, code and type;
// on-error.ts answers them (CORS and x-request-id kept) and logs only what the
// operator must see, once, with the cause chain. The mapping's full table is
// test/unit/errors/error-answer.test.ts.
import { describe, expect, it } from "vitest";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { ClickHouseError, createClient } from "@clickhouse/client-web";
import { api } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { fromClickHouse } from "../../workers/clickhouse/errors.js";
import { errorResponse } from "../../workers/api/on-error.js";
import type { AppEnv } from "../../workers/api/context.js";
import { BadRequestError, NotFoundError, UpstreamUnavailableError } from "../../shared/errors.js";

/** What the local ClickHouse throws for `query`. */
async function refusal(query: string): Promise<unknown> {
  try {
    await testClickHouse().query({ query, format: "JSON" }).then((rs) => rs.json());
  } catch (e) {
    return e;
  }
  throw new Error(`expected ClickHouse to refuse ${query}`);
}

/** A ClickHouse nobody answers at (port 1 on this host). */
async function unreachable(): Promise<unknown> {
  try {
    await createClient({ url: "http://127.0.0.1:1", request_timeout: 5_000 }).query({ query: "SELECT 1" });
  } catch (e) {
    return e;
  }
  throw new Error("expected port 1 to refuse");
}

describe("ClickHouse failures join the family (fromClickHouse)", () => {
  it("an unknown identifier: 400, code and type kept, the client's error as cause", async () => {
    const cause = await refusal("SELECT nope");
    expect(cause).toBeInstanceOf(ClickHouseError);
    const e = fromClickHouse(cause);
    expect(e).toBeInstanceOf(BadRequestError);
    expect([e.status, e.clickhouse, e.cause]).toEqual([400, { code: "47", type: "UNKNOWN_IDENTIFIER" }, cause]);
    expect(e.message).toMatch(/^\[Error\] .*nope/);
  });

  it("an unknown table: 404 with code 60", async () => {
    const e = fromClickHouse(await refusal("SELECT * FROM system.no_such_table"));
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.clickhouse).toEqual({ code: "60", type: "UNKNOWN_TABLE" });
  });

  it("no ClickHouse at all: 503, no code, the network error as cause", async () => {
    const cause = await unreachable();
    const e = fromClickHouse(cause);
    expect(e).toBeInstanceOf(UpstreamUnavailableError);
    expect([e.status, e.clickhouse, e.cause]).toEqual([503, undefined, cause]);
  });
});

/** An app with the Worker's error handler, its log collected. */
function appThrowing(make: () => Promise<unknown>, lines: string[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(cors({ origin: "*", exposeHeaders: ["X-DB-Exception-Code"] }));
  app.get("/fail", async () => {
    throw await make();
  });
  app.onError((err, c) => errorResponse(err, c, (line) => lines.push(line)));
  return app;
}

describe("on-error.ts answers them", () => {
  it("a ClickHouse refusal: 400, X-DB-Exception-Code, CORS kept, nothing logged", async () => {
    const lines: string[] = [];
    const app = appThrowing(async () => fromClickHouse(await refusal("SELECT nope")), lines);
    const res = await app.request("/fail", { headers: { origin: "https://app.example" } });
    expect([res.status, res.headers.get("x-db-exception-code"), res.headers.get("access-control-allow-origin")]).toEqual([400, "47", "*"]);
    expect(((await res.json()) as { error: string }).error).toMatch(/^\[Error\] .*nope/);
    expect(lines).toEqual([]);
  });

  it("ClickHouse unreachable: 503 with its message, logged once with the network error under it", async () => {
    const lines: string[] = [];
    const res = await appThrowing(async () => fromClickHouse(await unreachable()), lines).request("/fail");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/^ClickHouse is unavailable: /);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^503 GET \/fail: UpstreamUnavailableError: ClickHouse is unavailable: .*\ncaused by: /);
  });

  it("a bug: 500 with a generic message, its text only in the log", async () => {
    const lines: string[] = [];
    const res = await appThrowing(async () => JSON.parse("{not json"), lines).request("/fail", { headers: { origin: "https://app.example" } });
    expect([res.status, await res.json(), res.headers.get("access-control-allow-origin")]).toEqual([500, { error: "Internal server error" }, "*"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^500 GET \/fail: SyntaxError: /);
    expect(lines[0]).toMatch(/\n\s+at /);
  });
});

describe("through the Worker", () => {
  it("a syntax error in /v0/sql carries ClickHouse's code, as every ClickHouse refusal does", async () => {
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELEC 1")}`);
    expect([res.status, res.headers.get("x-db-exception-code")]).toEqual([400, "62"]);
  });

  it("an Events API error keeps CORS and the request id", async () => {
    const res = await api("/v0/events", { method: "POST", body: "{}", headers: { origin: "https://shop.example", "x-request-id": "err-cors-1" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "The 'name' parameter is required: POST /v0/events?name=<datasource>" });
    expect([res.headers.get("access-control-allow-origin"), res.headers.get("x-request-id")]).toEqual(["*", "err-cors-1"]);
  });

  it("an unknown route is a 404 answered by the same mapping", async () => {
    const res = await api("/v0/nowhere");
    expect([res.status, await res.json()]).toEqual([404, { error: "Not found: GET /v0/nowhere" }]);
  });
});
