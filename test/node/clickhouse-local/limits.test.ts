import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateServer } from "./helpers.js";

// Pool of 4 with the default admin reserve of 2: restricted users share 2 slots.
let srv: Awaited<ReturnType<typeof privateServer>>;
const VERSION = / \(version [\d.]+ \(official build\)\)\n$/;

interface Answer {
  status: number;
  code: string | null;
  text: string;
}

async function as(user: string, password: string, query: string, search: Record<string, string> = {}, signal?: AbortSignal): Promise<Answer> {
  const u = new URL(srv.server.url);
  u.searchParams.set("query", query);
  for (const [k, v] of Object.entries(search)) u.searchParams.set(k, v);
  const res = await fetch(u, { method: "POST", headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` }, signal });
  return { status: res.status, code: res.headers.get("x-clickhouse-exception-code"), text: (await res.text()).replace(VERSION, "") };
}
const admin = (query: string, search: Record<string, string> = {}) => as("u", "p", query, search);

/** Whether a query id is being served right now (KILL QUERY … TEST kills nothing). */
async function isRunning(queryId: string): Promise<boolean> {
  const r = await admin(`KILL QUERY WHERE query_id = '${queryId}' TEST FORMAT JSONEachRow`);
  return r.text !== "";
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting until ${what}`);
}

beforeAll(async () => {
  srv = await privateServer({ pool: 4 });
  for (const q of [
    "CREATE DATABASE ws",
    "CREATE TABLE ws.t (a UInt32) ENGINE = MergeTree ORDER BY a",
    "CREATE SETTINGS PROFILE capped SETTINGS readonly = 2, max_concurrent_queries_for_user = 2",
    "CREATE USER capped IDENTIFIED BY 'c' DEFAULT DATABASE ws SETTINGS PROFILE 'capped'",
    "CREATE USER reader IDENTIFIED BY 'r' DEFAULT DATABASE ws",
    "CREATE SETTINGS PROFILE solo SETTINGS max_concurrent_queries_for_user = 1, max_memory_usage_for_user = 1",
    "CREATE USER solo IDENTIFIED BY 's' DEFAULT DATABASE ws SETTINGS PROFILE 'solo'",
    "CREATE USER quser IDENTIFIED BY 'q' DEFAULT DATABASE ws",
    "CREATE USER tuser IDENTIFIED BY 't' DEFAULT DATABASE ws",
    "GRANT SELECT ON ws.* TO capped, reader, quser, tuser, solo",
    "CREATE QUOTA q_hour FOR INTERVAL 1 hour MAX queries = 3 TO quser",
    "CREATE QUOTA q_time FOR INTERVAL 1 hour MAX execution_time = 0.2 TO tuser",
  ]) {
    const r = await admin(q);
    if (r.status !== 200) throw new Error(`${q}: ${r.text}`);
  }
});
afterAll(async () => {
  await srv.cleanup();
});

describe("max_concurrent_queries_for_user", () => {
  it("past the profile's cap: 202 TOO_MANY_SIMULTANEOUS_QUERIES (500); the cap frees up as queries end", async () => {
    const slow = [1, 2].map((i) => as("capped", "c", "SELECT sleep(2)", { query_id: `cap-${i}` }));
    await until(async () => (await isRunning("cap-1")) && (await isRunning("cap-2")), "both capped queries run");
    expect(await as("capped", "c", "SELECT 1")).toEqual({
      status: 500,
      code: "202",
      text: "Code: 202. DB::Exception: Too many simultaneous queries for user capped. Current: 2, maximum: 2. (TOO_MANY_SIMULTANEOUS_QUERIES)",
    });
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
    expect(await as("capped", "c", "SELECT 1")).toEqual({ status: 200, code: null, text: "1\n" });
  });

  it("other users are not counted against it", async () => {
    const slow = [1, 2].map((i) => as("capped", "c", "SELECT sleep(2)", { query_id: `cap-other-${i}` }));
    await until(async () => (await isRunning("cap-other-1")) && (await isRunning("cap-other-2")), "both capped queries run");
    expect((await as("reader", "r", "SELECT 1")).status).toBe(200);
    await Promise.all(slow);
  });

  it("the engine never applies per-user limits itself: it would count every connection as one user", async () => {
    const admins = [1, 2].map((i) => admin("SELECT sleep(2)", { query_id: `solo-admin-${i}` }));
    await until(async () => (await isRunning("solo-admin-1")) && (await isRunning("solo-admin-2")), "both admin queries run");
    // With the profile's values on its connection, chDB would refuse (2 queries running) or fail (1 byte of memory).
    expect(await as("solo", "s", "SELECT count() FROM numbers(1000)")).toEqual({ status: 200, code: null, text: "1000\n" });
    await Promise.all(admins);
  });
});

describe("quotas", () => {
  it("MAX queries: the 4th query of the hour is refused with 201 QUOTA_EXCEEDED (500)", async () => {
    for (let i = 0; i < 3; i++) expect((await as("quser", "q", "SELECT 1")).status).toBe(200);
    const r = await as("quser", "q", "SELECT 1");
    expect([r.status, r.code]).toEqual([500, "201"]);
    expect(r.text).toMatch(
      /^Code: 201\. DB::Exception: Quota for user `quser` for 3600s has been exceeded: queries = 4\/3\. Interval will end at \d{4}-\d\d-\d\d \d\d:\d\d:00\. Name of quota template: `q_hour`\. \(QUOTA_EXCEEDED\)$/,
    );
  });

  it("a refused query counts too (as on a server), and the admin is never limited", async () => {
    expect((await as("quser", "q", "SELECT 1")).code).toBe("201");
    expect((await admin("SELECT 1")).status).toBe(200);
  });

  it("MAX execution_time: once the interval's time is used up, the next query is refused", async () => {
    expect((await as("tuser", "t", "SELECT sleep(0.3)")).status).toBe(200);
    const r = await as("tuser", "t", "SELECT 1");
    expect([r.status, r.code]).toEqual([500, "201"]);
    expect(r.text).toMatch(/has been exceeded: execution_time = 0\.3\d*\/0\.2\. Interval will end at .*Name of quota template: `q_time`/);
  });

  it("replacing a quota starts its counting again", async () => {
    expect((await admin("CREATE QUOTA OR REPLACE q_hour FOR INTERVAL 1 hour MAX queries = 5 TO quser")).status).toBe(200);
    expect((await as("quser", "q", "SELECT 1")).status).toBe(200);
  });
});

describe("the admin reserve: one user cannot starve the rest", () => {
  it("while 16 slow reads of a restricted user saturate its slots, /ping, SELECT 1 and an INSERT by the admin answer", async () => {
    let readsDone = 0;
    const reads = Array.from({ length: 16 }, (_, i) =>
      as("reader", "r", "SELECT sleep(1.5) FORMAT JSON", { query_id: `starve-${i}` }).then((r) => {
        readsDone++;
        return r;
      }),
    );
    await until(async () => (await isRunning("starve-15")), "the last read is queued");

    const ping = await fetch(new URL("/ping", srv.server.url));
    expect([ping.status, await ping.text()]).toEqual([200, "Ok.\n"]);
    expect(await admin("SELECT 1")).toEqual({ status: 200, code: null, text: "1\n" });
    expect((await admin("INSERT INTO ws.t VALUES (7)")).status).toBe(200);
    expect((await admin("SELECT count() FROM ws.t")).text).toBe("1\n");
    // All of that was answered before any read ended: the admin never waited for a reader's slot.
    expect(readsDone).toBe(0);

    const answers = await Promise.all(reads);
    expect(answers.map((r) => r.status)).toEqual(Array(16).fill(200));
  });

  it("a request waiting for a connection stops waiting when its client goes away", async () => {
    let blockersDone = false;
    const blockers = Promise.all([1, 2].map((i) => as("reader", "r", "SELECT sleep(2.5) FORMAT JSON", { query_id: `block-${i}` }))).then(() => {
      blockersDone = true;
    });
    await until(async () => (await isRunning("block-1")) && (await isRunning("block-2")), "both slots are taken");
    const controller = new AbortController();
    const waiting = as("reader", "r", "SELECT 42", { query_id: "walks-away" }, controller.signal).catch((e: unknown) => e);
    await until(() => isRunning("walks-away"), "the third read waits");
    controller.abort();
    expect(await waiting).toBeInstanceOf(Error);
    await until(async () => !(await isRunning("walks-away")), "the abandoned request is gone");
    expect(blockersDone).toBe(false);
    await blockers;
  });
});
