// The ClickHouse interface's schema: what a schema browser sees through system.* and SHOW, per token.
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./helpers/api.js";
import { deployProject, type Deployed } from "./endpoints-project.js";

let ws: Deployed;
let other: Deployed;

beforeAll(async () => {
  [ws, other] = await Promise.all([deployProject("chschema"), deployProject("chschema_other")]);
});

async function rows(sql: string, token = ws.token): Promise<string[]> {
  const res = await SELF.fetch("http://tern.test/clickhouse/", { method: "POST", headers: { authorization: `Basic ${btoa(`${ws.name}:${token}`)}` }, body: sql });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return text.split("\n").filter((l) => l !== "");
}

async function staticToken(name: string, ...scopes: string[]): Promise<string> {
  const qs = new URLSearchParams([["name", name], ...scopes.map((s) => ["scope", s] as [string, string])]);
  const res = await api(`/v0/tokens?${qs}`, { method: "POST", token: ws.token });
  expect(res.status).toBe(200);
  return ((await res.json()) as any).token;
}

describe("system tables and SHOW", () => {
  it("databases: the workspace by its name, tinybird (admin), system; never another workspace", async () => {
    expect(await rows("SHOW DATABASES")).toEqual([ws.name, "system", "tinybird"].sort());
    // currentDatabase() is the workspace's name (session-functions.ts), never the sandbox.
    expect(await rows("SELECT name FROM system.databases WHERE name = currentDatabase() OR name LIKE 'tern%'")).toEqual([ws.name]);
  });

  it("tables: datasources and pipes by their own names, with engines and keys; tinybird.* for an admin", async () => {
    const tables = await rows(`SELECT name, engine, sorting_key FROM system.tables WHERE database = '${ws.name}' ORDER BY name`);
    expect(tables).toEqual(["by_paths\tView\t", "echo\tView\t", "events\tMergeTree\ttimestamp", "metrics\tView\t", "slow\tView\t", "standard\tView\t", "top_pages\tView\t"]);
    expect(await rows("SHOW TABLES")).toEqual(["by_paths", "echo", "events", "metrics", "slow", "standard", "top_pages"]);
    expect(await rows("SELECT name FROM system.tables WHERE database = 'tinybird' AND name = 'pipe_stats_rt'")).toEqual(["pipe_stats_rt"]);
    expect((await rows("SELECT DISTINCT database FROM system.tables ORDER BY database")).join(",")).toBe([ws.name, "tinybird"].sort().join(","));
    expect(await rows(`SELECT count() FROM system.tables WHERE database = '${other.name}' OR name LIKE '%\\_%\\_%' AND database != 'tinybird'`)).toEqual(["0"]);
  });

  it("columns: a datasource's schema, in order, with key flags", async () => {
    expect(await rows(`SELECT name, type, position, is_in_sorting_key FROM system.columns WHERE database = '${ws.name}' AND table = 'events' ORDER BY position`)).toEqual([
      "timestamp\tDateTime\t1\t1",
      "tenant\tString\t2\t0",
      "pathname\tString\t3\t0",
      "value\tInt64\t4\t0",
    ]);
    expect(await rows("SELECT type FROM system.columns WHERE database = 'tinybird' AND table = 'pipe_stats_rt' AND name = 'pipe_name'")).toEqual(["String"]);
  });

  it("DESCRIBE of a datasource and of a pipe", async () => {
    expect((await rows("DESCRIBE TABLE events")).map((l) => l.split("\t").slice(0, 2).join(" "))).toEqual(["timestamp DateTime", "tenant String", "pathname String", "value Int64"]);
    expect((await rows("DESCRIBE TABLE top_pages")).map((l) => l.split("\t")[0])).toEqual(["pathname", "views", "total"]);
  });

  it("functions: what the read guard allows, and not what it refuses", async () => {
    expect(await rows("SELECT name, is_aggregate FROM system.functions WHERE name IN ('count', 'lower', 'file', 'url', 'currentUser') ORDER BY name")).toEqual(["count\t1", "lower\t0"]);
  });

  it("settings: what a read may change, and the limits it may not (as clickhouse-connect reads them at connect)", async () => {
    const got = await rows("SELECT name, value, readonly FROM system.settings WHERE name IN ('readonly', 'max_result_bytes', 'output_format_json_quote_64bit_integers', 'date_time_output_format') ORDER BY name");
    expect(got).toEqual(["date_time_output_format\tsimple\t0", "max_result_bytes\t104857600\t1", "output_format_json_quote_64bit_integers\t1\t0", "readonly\t1\t1"]);
  });

  it("a token sees only what it may read", async () => {
    const pipeOnly = await staticToken("chschema_pipe_only", "PIPES:READ:top_pages");
    expect(await rows("SELECT database, name FROM system.tables ORDER BY name", pipeOnly)).toEqual([`${ws.name}\ttop_pages`]);
    expect(await rows("SHOW DATABASES", pipeOnly)).toEqual([ws.name, "system"].sort());
    expect(await rows("SELECT count() FROM system.columns WHERE table = 'events'", pipeOnly)).toEqual(["0"]);
  });

  it("other system tables are refused with ACCESS_DENIED", async () => {
    for (const t of ["users", "grants", "query_log", "processes", "clusters", "parts", "merges"]) {
      const res = await SELF.fetch("http://tern.test/clickhouse/", { method: "POST", headers: { authorization: `Basic ${btoa(`${ws.name}:${ws.token}`)}` }, body: `SELECT * FROM system.${t}` });
      expect(res.headers.get("x-clickhouse-exception-code"), t).toBe("497");
      expect(await res.text()).toContain(`system.${t}`);
    }
  });
});
