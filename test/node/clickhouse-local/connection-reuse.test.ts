import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalClickHouse, type LocalClickHouse } from "../../../clickhouse-local/server.js";

// The pool reuses engine connections. With one connection in the pool, every
// request after the first runs on a reused connection unless the previous one
// was closed, so each check below reads the session a request left behind.
// The server runs in this test process so the pool's counters can show that a
// connection really was reused.
let server: LocalClickHouse;
let dataDir: string;

interface Session {
  db: string;
  max_threads: string;
  readonly: string;
  max_result_rows: string;
}
const PROBE =
  "SELECT currentDatabase() AS db, toString(getSetting('max_threads')) AS max_threads, toString(getSetting('readonly')) AS readonly, toString(getSetting('max_result_rows')) AS max_result_rows FORMAT JSONEachRow";

async function as(
  user: string,
  password: string,
  query: string,
  search: Record<string, string> = {},
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; code: string | null; text: string }> {
  const u = new URL(server.url);
  u.searchParams.set("query", query);
  for (const [k, v] of Object.entries(search)) u.searchParams.set(k, v);
  const res = await fetch(u, {
    method: init.method ?? "POST",
    body: init.body,
    headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
  });
  return { status: res.status, code: res.headers.get("x-clickhouse-exception-code"), text: await res.text() };
}
const admin = (query: string, search: Record<string, string> = {}, init: { method?: string; body?: string } = {}) => as("u", "p", query, search, init);
const reader = (query: string, search: Record<string, string> = {}) => as("reader", "reader-pw", query, search);

async function ok(r: Promise<{ status: number; text: string }>): Promise<string> {
  const a = await r;
  expect(a.status, a.text).toBe(200);
  return a.text;
}
async function probe(who: (q: string, s?: Record<string, string>) => ReturnType<typeof admin> = admin, search: Record<string, string> = {}): Promise<Session> {
  return JSON.parse(await ok(who(PROBE, search))) as Session;
}
const opened = () => server.connectionStats().opened;

let fresh: Session;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "tern-chl-reuse-"));
  server = await startLocalClickHouse({ port: 0, dataDir, user: "u", password: "p", poolSize: 1, adminReserve: 0 });
  // The first request of the server runs on a fresh connection: the defaults.
  fresh = await probe();
  expect(fresh.db).toBe("default");
  expect(fresh.readonly).toBe("0");
  for (const q of [
    "CREATE DATABASE other",
    "CREATE DATABASE ws_a",
    "CREATE TABLE ws_a.events (id UInt32) ENGINE = MergeTree ORDER BY id",
    "CREATE TABLE default.t (x UInt8) ENGINE = MergeTree ORDER BY x",
    "CREATE SETTINGS PROFILE reader_profile SETTINGS readonly = 2, max_result_rows = 1000 CONST, max_threads = 1 CHANGEABLE_IN_READONLY",
    "CREATE USER reader IDENTIFIED BY 'reader-pw' DEFAULT DATABASE ws_a SETTINGS PROFILE 'reader_profile'",
    "GRANT SELECT ON ws_a.* TO reader",
  ]) {
    await ok(admin(q));
  }
});
afterAll(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("connection reuse", () => {
  it("reuses the connection of a read for the next read with the same settings", async () => {
    await probe();
    const before = opened();
    for (let i = 0; i < 5; i++) expect(await probe()).toEqual(fresh);
    expect(opened()).toBe(before);
    expect(server.connectionStats().idle).toBe(1);
  });

  it("a request's URL settings and database are not seen by a request without them", async () => {
    expect(await probe(admin, { max_threads: "1", max_result_rows: "7", database: "other" })).toEqual({
      db: "other",
      max_threads: "1",
      readonly: "0",
      max_result_rows: "7",
    });
    expect(await probe()).toEqual(fresh);
    expect(await probe(admin, { max_threads: "1" })).toEqual({ ...fresh, max_threads: "1" });
    expect(await probe(admin, { max_threads: "3" })).toEqual({ ...fresh, max_threads: "3" });
    expect(await probe()).toEqual(fresh);
  });

  it("requests with the same settings share a prepared connection", async () => {
    await probe(admin, { max_threads: "1", database: "other" });
    const before = opened();
    for (let i = 0; i < 3; i++) expect(await probe(admin, { max_threads: "1", database: "other" })).toEqual({ ...fresh, max_threads: "1", db: "other" });
    expect(opened()).toBe(before);
  });

  it("SET and USE in a statement do not reach the next request", async () => {
    await ok(admin("SET max_threads = 1, max_result_rows = 9"));
    expect(await probe()).toEqual(fresh);
    await ok(admin("USE other"));
    expect(await probe()).toEqual(fresh);
    await ok(admin("SET readonly = 1"));
    expect(await probe()).toEqual(fresh);
    // Not even for a request with the same URL settings.
    await ok(admin("SET max_result_rows = 9", { max_threads: "1" }));
    expect(await probe(admin, { max_threads: "1" })).toEqual({ ...fresh, max_threads: "1" });
  });

  it("a statement's own SETTINGS apply to it alone, and its connection is reused", async () => {
    await probe();
    const before = opened();
    expect(await ok(admin("SELECT getSetting('max_threads') SETTINGS max_threads = 1"))).toBe("1\n");
    expect(await probe()).toEqual(fresh);
    await ok(admin("INSERT INTO default.t SETTINGS max_threads = 1 VALUES (1)"));
    expect(await probe()).toEqual(fresh);
    await ok(admin("INSERT INTO default.t SETTINGS max_result_rows = 5 FORMAT TSV", {}, { body: "2\n3\n" }));
    expect(await probe()).toEqual(fresh);
    expect(await ok(admin("SELECT count() FROM default.t"))).toBe("3\n");
    expect(opened()).toBe(before);
  });

  it("query parameters do not outlive their request", async () => {
    await probe();
    const before = opened();
    expect(await ok(admin("SELECT {x:UInt8}", { param_x: "5" }))).toBe("5\n");
    expect(await probe()).toEqual(fresh);
    expect(opened()).toBe(before);
    const unset = await admin("SELECT {x:UInt8}");
    expect(unset.code).toBe("456");
    // SET param_… is session state: that connection is not reused.
    await ok(admin("SET param_y = 7"));
    expect((await admin("SELECT {y:UInt8}")).code).toBe("456");
  });

  it("a temporary table does not outlive its request", async () => {
    await ok(admin("CREATE TEMPORARY TABLE tmp (x UInt8)"));
    expect(await ok(admin("EXISTS TEMPORARY TABLE tmp"))).toBe("0\n");
  });

  it("GET (readonly = 2) and POST connections are kept apart", async () => {
    expect(await probe(admin)).toEqual(fresh);
    const get = JSON.parse(await ok(admin(PROBE, {}, { method: "GET" }))) as Session;
    expect(get).toEqual({ ...fresh, readonly: "2" });
    expect(await probe(admin)).toEqual(fresh);
    await ok(admin("INSERT INTO default.t VALUES (4)"));
  });

  it("a restricted user's profile does not reach the admin, and the admin's settings do not reach the user", async () => {
    const asReader = { db: "ws_a", max_threads: "1", readonly: "1", max_result_rows: "1000" };
    expect(await probe(reader)).toEqual(asReader);
    expect(await probe()).toEqual(fresh);
    expect(await probe(reader)).toEqual(asReader);
    expect(await probe(admin, { max_threads: "3", max_result_rows: "0", database: "other" })).toEqual({ ...fresh, max_threads: "3", db: "other" });
    expect(await probe(reader)).toEqual(asReader);
    // The reader's connection is reused by the reader, still read-only.
    const before = opened();
    expect(await probe(reader)).toEqual(asReader);
    expect(opened()).toBe(before);
    const set = await reader("SELECT 1 SETTINGS readonly = 0");
    expect(set.code).toBe("164");
    expect(await probe(reader)).toEqual(asReader);
    // An admin request with the very settings of the reader's connection still gets its own.
    expect(await probe(admin, { readonly: "1", max_threads: "1", max_result_rows: "1000", database: "ws_a" })).toEqual(asReader);
    await ok(admin("INSERT INTO default.t VALUES (5)"));
    expect(await probe()).toEqual(fresh);
  });

  it("a streamed read leaves a reusable connection; a failed statement's connection is closed", async () => {
    await probe();
    const before = opened();
    const rows = await ok(admin("SELECT number FROM numbers(200000) FORMAT JSONEachRow"));
    expect(rows.split("\n").length).toBe(200001);
    expect(await probe()).toEqual(fresh);
    expect(opened()).toBe(before);
    expect((await admin("SELECT * FROM no_such_table")).code).toBe("60");
    expect(await probe()).toEqual(fresh);
    expect(opened()).toBe(before + 1);
  });

  it("a read that fails after its headers went out does not leave its connection for reuse", async () => {
    await probe(admin, { max_block_size: "1000" });
    const before = opened();
    const late = await admin("SELECT throwIf(number = 300000, 'late failure') AS x FROM numbers(400000) FORMAT JSONCompactEachRow", { max_block_size: "1000" });
    expect(late.status).toBe(200);
    expect(late.text).toMatch(/__exception__\r\n[0-9a-f]{16}\nCode: 395\./);
    // Same state as the failed request: reuse would have served its connection.
    expect(await probe(admin, { max_block_size: "1000" })).toEqual(fresh);
    expect(opened()).toBe(before + 1);
  });
});
