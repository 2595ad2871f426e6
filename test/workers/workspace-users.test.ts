// Least privilege in ClickHouse itself: each workspace reads as its own ClickHouse user, which ClickHouse (here
// the local server, which enforces the same model) confines to the workspace's database, read-only, with limits,
// even for SQL that never passed Tern's read guard.
import { env } from "cloudflare:test";
import { ClickHouseError } from "@clickhouse/client-web";
import { beforeAll, describe, expect, it } from "vitest";
import { readConfig } from "../../workers/env.js";
import { clickhouseAccess } from "../../workers/clickhouse/access.js";
import { readerUserName } from "../../workers/clickhouse/workspace-users.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { api } from "./helpers/api.js";
import { deployProject, type Deployed } from "./endpoints-project.js";

let ws: Deployed;
let other: Deployed;
const limits = { queryTimeoutSeconds: 10, maxResultBytes: 100 * 1024 * 1024, concurrency: 8 };

beforeAll(async () => {
  ws = await deployProject("wsusers");
  other = await deployProject("wsusers_other");
  // An endpoint call provisions the workspace's reader, as any first read does.
  expect((await api("/v0/pipes/top_pages.json", { token: ws.token })).status).toBe(200);
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return e instanceof ClickHouseError ? e.code : String(e);
  }
}

async function asReader(sql: string): Promise<string> {
  const reader = await clickhouseAccess(readConfig(env)).readerFor(ws.id, ws.database, limits);
  return codeOf(reader.query({ query: sql, format: "JSONEachRow" }).then((r) => r.json()));
}

describe("the workspace's ClickHouse user", () => {
  it("exists, named after the workspace's database, with SELECT on it", async () => {
    const rs = await testClickHouse().query({ query: `SHOW GRANTS FOR ${readerUserName(ws.database)}`, format: "JSONEachRow" });
    expect(((await rs.json()) as Array<Record<string, string>>).map((r) => Object.values(r)[0])).toEqual([
      `GRANT SELECT ON ${ws.database}.* TO ${readerUserName(ws.database)}`,
      `GRANT SELECT ON tern_sandbox.* TO ${readerUserName(ws.database)}`,
    ]);
  });

  it("reads its own workspace's tables", async () => {
    expect(await asReader(`SELECT count() FROM ${ws.eventsTable}`)).toBe("ok");
  });

  it.each([
    ["another workspace's table", () => `SELECT count() FROM ${other.eventsTable}`, "497"],
    ["system.tables", () => "SELECT name FROM system.tables", "497"],
    ["a file on the host", () => "SELECT file('/etc/passwd')", "497"],
    ["the file() table function", () => "SELECT * FROM file('/etc/passwd', LineAsString)", "497"],
    ["a write", () => `INSERT INTO ${ws.eventsTable} SELECT * FROM ${ws.eventsTable}`, "164"],
    ["DDL", () => `DROP TABLE ${ws.eventsTable}`, "164"],
    ["a SETTINGS clause that lifts the time limit", () => `SELECT count() FROM ${ws.eventsTable} SETTINGS max_execution_time = 100000`, "164"],
  ])("is refused by ClickHouse: %s", async (_what, sql, code) => {
    expect(await asReader(sql())).toBe(code);
  });

  it("cannot raise its time limit in the URL past its profile", async () => {
    const reader = await clickhouseAccess(readConfig(env)).readerFor(ws.id, ws.database, limits);
    const code = await codeOf(reader.query({ query: "SELECT 1", format: "JSONEachRow", clickhouse_settings: { max_execution_time: 100000 } }).then((r) => r.json()));
    expect(code).toBe("452");
  });

  it("is removed with its workspace", async () => {
    const doomed = await deployProject("wsusers_doomed");
    expect((await api("/v0/pipes/top_pages.json", { token: doomed.token })).status).toBe(200);
    const users = async () => {
      const rs = await testClickHouse().query({ query: "SHOW USERS", format: "JSONEachRow" });
      return ((await rs.json()) as Array<Record<string, string>>).map((r) => Object.values(r)[0]);
    };
    expect(await users()).toContain(readerUserName(doomed.database));
    const { credentials } = await import("./helpers/api.js");
    const res = await api(`/v1/workspaces/${doomed.id}`, { method: "DELETE", token: credentials().userToken });
    expect(res.status).toBe(200);
    expect(await users()).not.toContain(readerUserName(doomed.database));
  });
});
