// Security suite at the ClickHouse interface, for what only this surface takes: query parameters ({x:String},
// {t:Identifier}) carrying the params corpus and names outside the token, URL settings that would lift a limit,
// and another workspace as `database`, with every token kind.
import { describe, expect, it } from "vitest";
import { IDENTIFIER_ATTEMPTS, PARAM_ATTEMPTS, type Attempt } from "./corpus.js";
import { fill, securityWorkspaces, tokens } from "./harness.js";
import { judgeClickHouse, sendClickHouse } from "./clickhouse-harness.js";

securityWorkspaces("ch_params");

const OUTSIDE_NAMES: Attempt[] = [
  { name: "another workspace's table", sql: "{other}" },
  { name: "another workspace's table, backquoted parts", sql: "`{otherdb}`.`{othertable}`" },
  { name: "this workspace's physical table (no scope, no filter)", sql: "{own}" },
  { name: "system.users", sql: "system.users" },
  { name: "system.tables of the server", sql: "system.tables" },
];

async function each(run: (token: string) => Promise<{ out: Awaited<ReturnType<typeof sendClickHouse>>; sent: string }>, attempt: Attempt, where: string): Promise<void> {
  const failures: string[] = [];
  for (const kind of tokens) {
    const { out, sent } = await run(kind.token);
    const f = judgeClickHouse(attempt, kind, where, out, sent);
    if (f) failures.push(f);
  }
  expect(failures).toEqual([]);
}

describe(`query parameters (${PARAM_ATTEMPTS.length + IDENTIFIER_ATTEMPTS.length + OUTSIDE_NAMES.length * 2})`, () => {
  it.each(PARAM_ATTEMPTS.filter((a) => !a.sql.includes("\ud800")).map((a) => [a.name, a] as const))("{x:String} = %s", async (_name, attempt) => {
    await each(async (token) => ({ out: await sendClickHouse("SELECT count() FROM events WHERE tenant = {x:String}", token, { param_x: attempt.sql }), sent: attempt.sql }), { ...attempt, confined: true }, "{x:String}");
  });

  it.each(IDENTIFIER_ATTEMPTS.map((a) => [a.name, a] as const))("{c:Identifier} as a column = %s", async (_name, attempt) => {
    await each(async (token) => ({ out: await sendClickHouse("SELECT {c:Identifier} FROM events", token, { param_c: attempt.sql }), sent: attempt.sql }), { ...attempt, confined: true }, "{c:Identifier}");
  });

  it.each(OUTSIDE_NAMES.map((a) => [a.name, a] as const))("{t:Identifier} as a table = %s", async (_name, attempt) => {
    const name = fill(attempt.sql);
    await each(async (token) => ({ out: await sendClickHouse("SELECT * FROM {t:Identifier}", token, { param_t: name }), sent: name }), attempt, "{t:Identifier}");
  });

  it.each(OUTSIDE_NAMES.map((a) => [a.name, a] as const))("IN {t:Identifier} = %s", async (_name, attempt) => {
    const name = fill(attempt.sql);
    await each(async (token) => ({ out: await sendClickHouse("SELECT count() FROM events WHERE tenant IN {t:Identifier}", token, { param_t: name }), sent: name }), attempt, "IN {t:Identifier}");
  });
});

const SETTINGS: Array<[string, Record<string, string>]> = [
  ["readonly=0", { readonly: "0" }],
  ["readonly=2", { readonly: "2" }],
  ["max_result_bytes=0", { max_result_bytes: "0" }],
  ["max_result_rows=0", { max_result_rows: "0" }],
  ["max_execution_time up", { max_execution_time: "100000" }],
  ["max_memory_usage=0", { max_memory_usage: "0" }],
  ["max_threads up", { max_threads: "10000" }],
  ["allow_ddl", { allow_ddl: "1" }],
  ["allow_introspection_functions", { allow_introspection_functions: "1" }],
  ["additional_table_filters", { additional_table_filters: "{'events':'1'}" }],
  ["max_rows_to_read=0", { max_rows_to_read: "0" }],
  ["result_overflow_mode=break", { result_overflow_mode: "break" }],
  ["user_files_path", { user_files_path: "/" }],
  ["another workspace as database", { database: "{otherdb}" }],
  ["system as database", { database: "system" }],
  ["native decompression", { decompress: "1" }],
  ["a role", { role: "default" }],
];

describe(`URL settings that would lift a limit (${SETTINGS.length})`, () => {
  it.each(SETTINGS)("%s", async (name, query) => {
    const filled = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, fill(v)]));
    await each(async (token) => ({ out: await sendClickHouse("SELECT count() FROM events", token, filled), sent: JSON.stringify(filled) }), { name, sql: "" }, name);
  });
});
