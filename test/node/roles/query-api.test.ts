// The Query API (/v0/sql) as a role function in Node: the statement is
// re-printed by ClickHouse, rewritten inside the caller's workspace, checked
// by the read guard on ClickHouse's parse, and run as the workspace's reader,
// all through the injected (real) fetch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerSql } from "../../../workers/endpoints/query-api.js";
import type { LiveDeployment } from "../../../workers/catalog/client.js";
import type { RequestInput } from "../../../workers/endpoints/params.js";
import type { Principal } from "../../../workers/auth/principal.js";
import { TernError } from "../../../shared/errors.js";
import { ClickHouseFetch, data, deployWorkspace, dropWorkspace, nodePlatform, principal } from "./helpers.js";
import { FILES, TEN_ROWS } from "./project.js";

const ch = new ClickHouseFetch();
let workspaceId: string;
let live: LiveDeployment;

beforeAll(async () => {
  const { platform } = nodePlatform(ch);
  ({ workspaceId, live } = await deployWorkspace(platform, FILES));
  const table = `${live.manifest.database}.${live.manifest.datasources.events!.table}`;
  await platform.clickhouse.admin.command({ query: TEN_ROWS.replace("{table}", table) });
});

afterAll(async () => {
  if (live) await dropWorkspace(nodePlatform(ch).platform, live);
});

const call = { url: "http://tern.test/v0/sql", method: "POST", userAgent: "role-test" };

async function sql(q: string, options: { who?: Principal; params?: Record<string, string>; requestId?: string } = {}) {
  const { platform } = nodePlatform(ch, options.requestId ? { requestId: options.requestId } : {});
  const input: RequestInput = { all: { ...options.params }, params: { ...options.params }, text: q };
  return answerSql(platform, options.who ?? principal(workspaceId), { live, input, call });
}

/** The error a refused call rejects with, as status and message. */
async function refusal(p: Promise<unknown>): Promise<[number, string]> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof TernError)) throw new Error(`expected a TernError, got ${String(e)}`);
  return [e.status, e.message];
}

describe("answerSql", () => {
  it("reads the caller's datasources by their names, as the workspace's reader", async () => {
    const requestId = crypto.randomUUID();
    const res = await sql("SELECT tenant, count() AS c, sum(value) AS v FROM events GROUP BY tenant ORDER BY tenant FORMAT JSON", { requestId });
    expect(await data(res)).toEqual([
      { tenant: "acme", c: 5, v: 20 },
      { tenant: "globex", c: 5, v: 25 },
    ]);
    // What ran names the physical table, in the workspace's database, and nothing the caller wrote by another name.
    const [read] = ch.readsOf(requestId);
    expect(read!.sql).toContain(`${live.manifest.database}.${live.manifest.datasources.events!.table}`);
  });

  it("reads a pipe as a subquery, and a templated statement with the request's params", async () => {
    expect(await data(await sql("SELECT sum(views) AS v FROM top_pages FORMAT JSON"))).toEqual([{ v: 10 }]);
    const templated = "%\nSELECT count() AS c FROM events WHERE tenant = {{ String(tenant) }} FORMAT JSON";
    expect(await data(await sql(templated, { params: { tenant: "globex" } }))).toEqual([{ c: 5 }]);
  });

  it("applies a READ scope's filter to its datasource", async () => {
    const reader = principal(workspaceId, [{ type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'acme'" }]);
    expect(await data(await sql("SELECT count() AS c FROM events FORMAT JSON", { who: reader }))).toEqual([{ c: 5 }]);
  });

  it("refuses what the caller's scopes do not name, before anything is read", async () => {
    const requestId = crypto.randomUUID();
    const reader = principal(workspaceId, [{ type: "DATASOURCES:READ", resource: "events" }]);
    expect(await refusal(sql("SELECT * FROM top_pages", { who: reader, requestId }))).toEqual([403, "Resource 'top_pages' needs the PIPES:READ:top_pages scope"]);
    expect(await refusal(sql("SELECT name FROM system.tables", { requestId }))).toEqual([
      403,
      "Resource 'system.tables' is not accessible: only this workspace's datasources and pipes, and tinybird.* service datasources, can be queried",
    ]);
    expect(ch.readsOf(requestId)).toEqual([]);
  });

  it("refuses, on ClickHouse's parse (the read guard), what the rewriter lets through", async () => {
    const requestId = crypto.randomUUID();
    expect(await refusal(sql("SELECT 1 SETTINGS max_execution_time = 1000", { requestId }))).toEqual([
      403,
      "SETTINGS clauses are not allowed in queries; the platform sets query limits",
    ]);
    // The guard asked ClickHouse to parse the statement (EXPLAIN AST); the read itself never ran.
    expect(ch.calls.some((c) => c.sql.startsWith("EXPLAIN AST SELECT 1 SETTINGS"))).toBe(true);
    expect(ch.readsOf(requestId)).toEqual([]);
  });

  it("answers 400 for a write, and for no statement at all", async () => {
    expect((await refusal(sql("INSERT INTO events VALUES (now(), 'x', '/', 1)")))[0]).toBe(400);
    expect(await refusal(sql(" "))).toEqual([400, "The SQL query is missing: send it as 'q' or as the request body"]);
  });
});
