/**
 * Tests that need a server of their own: restarts on the same data dir,
 * SIGKILL during inserts, memory while streaming a big result, --compat and
 * the body size limit.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { spawnLocalClickHouse } from "../../../clickhouse-local/spawn.js";
import { iterate, privateServer } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]);
}

describe("persistence and durability", () => {
  it("data survives a clean restart on the same port and data dir", async () => {
    const p = await privateServer();
    cleanups.push(p.cleanup);
    const ch = p.client();
    await ch.command({ query: "CREATE DATABASE persist" });
    await ch.command({ query: "CREATE TABLE persist.t (id UInt32, s String) ENGINE = MergeTree ORDER BY id" });
    await ch.insert({ table: "persist.t", format: "JSONEachRow", values: [{ id: 1, s: "one" }, { id: 2, s: "two" }] });
    await ch.close();
    const port = p.server.port;
    await p.server.stop();

    const again = await spawnLocalClickHouse({ port, dataDir: p.dataDir, user: "u", password: "p" });
    p.server = again;
    expect(again.port).toBe(port);
    const ch2 = p.client();
    const rs = await ch2.query({ query: "SELECT id, s FROM persist.t ORDER BY id", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([
      { id: 1, s: "one" },
      { id: 2, s: "two" },
    ]);
    await ch2.close();
  });

  it("every acknowledged insert survives SIGKILL in the middle of inserting", async () => {
    const p = await privateServer();
    cleanups.push(p.cleanup);
    const ch = p.client({ request_timeout: 10_000 });
    await ch.command({ query: "CREATE TABLE dur (batch UInt32, n UInt32) ENGINE = MergeTree ORDER BY (batch, n)" });
    const acked: number[] = [];
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let b = w; !stop; b += 4) {
        try {
          await ch.insert({ table: "dur", format: "JSONEachRow", values: Array.from({ length: 500 }, (_, n) => ({ batch: b, n })) });
          acked.push(b);
        } catch {
          return; // the server died under this insert: not acknowledged
        }
      }
    });
    while (acked.length < 20) await new Promise((r) => setTimeout(r, 5));
    await p.server.kill();
    stop = true;
    await Promise.all(writers);
    await ch.close();

    p.server = await spawnLocalClickHouse({ port: 0, dataDir: p.dataDir, user: "u", password: "p" });
    const ch2 = p.client();
    const rs = await ch2.query({ query: "SELECT batch, count() AS c FROM dur GROUP BY batch ORDER BY batch", format: "JSONEachRow" });
    const found = new Map((await rs.json<{ batch: number; c: number }>()).map((r) => [r.batch, r.c]));
    for (const b of acked) expect(found.get(b)).toBe(500);
    // No partial batches either: an insert is all or nothing.
    for (const c of found.values()) expect(c).toBe(500);
    await ch2.close();
  });
});

describe("streaming memory", () => {
  it("streaming a ~1 GB result keeps the server's RSS bounded", async () => {
    const p = await privateServer();
    cleanups.push(p.cleanup);
    const pid = p.server.pid;
    const ch = p.client({ request_timeout: 120_000 });
    const baseline = rssKiB(pid);
    // 1.1 GB of TSV: 11M rows of a 100-byte string.
    const rs = await ch.query({
      query: "SELECT repeat('x', 99) FROM numbers(11000000)",
      format: "TabSeparated",
    });
    let bytes = 0;
    let peak = baseline;
    let reads = 0;
    for await (const chunk of iterate(rs.stream())) {
      bytes += chunk.reduce((s, r) => s + r.text.length + 1, 0);
      if (++reads % 200 === 0) peak = Math.max(peak, rssKiB(pid));
    }
    expect(bytes).toBe(11_000_000 * 100);
    // A buffering server would need > 1 GB; allow generous engine overhead.
    expect(peak - baseline).toBeLessThan(400 * 1024);
    await ch.close();
  });
});

describe("client disconnect", () => {
  it("a client that goes away mid-stream frees its connection slot", async () => {
    // One slot: if the abandoned query kept it, the next query would wait for ~1e12 rows.
    const p = await privateServer({ pool: 1 });
    cleanups.push(p.cleanup);
    const ch = p.client();
    const ac = new AbortController();
    const rs = await ch.query({ query: "SELECT number FROM system.numbers", format: "TabSeparated", abort_signal: ac.signal });
    const reader = rs.stream().getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    ac.abort();
    await reader.cancel().catch(() => undefined);
    const next = await ch.query({ query: "SELECT 'slot free' AS s", format: "JSONEachRow" });
    expect(await next.json()).toEqual([{ s: "slot free" }]);
    await ch.close();
  });
});

describe("options", () => {
  it("a user and password that begin with a dash are taken as values, not options", async () => {
    const p = await privateServer({ user: "-u", password: "-Xy_9" });
    cleanups.push(p.cleanup);
    const ch = p.client({ username: "-u", password: "-Xy_9" });
    const rs = await ch.query({ query: "SELECT 1 AS ok", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ ok: 1 }]);
    await ch.close();
    // The password is enforced, not dropped on the way to the server.
    const wrong = p.client({ username: "-u", password: "" });
    await expect(wrong.query({ query: "SELECT 1" })).rejects.toMatchObject({ code: "516" });
    await wrong.close();
  });

  it("--compat 24.8 quotes 64-bit integers in JSON like 24.8 does", async () => {
    const p = await privateServer({ compat: "24.8" });
    cleanups.push(p.cleanup);
    const ch = p.client();
    const rs = await ch.query({ query: "SELECT toUInt64(42) AS n, getSetting('compatibility') AS c", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ n: "42", c: "24.8" }]);
    await ch.close();
  });

  it("without --compat 64-bit integers are plain JSON numbers", async () => {
    const { client } = await import("./helpers.js");
    const ch = client();
    const rs = await ch.query({ query: "SELECT toUInt64(42) AS n", format: "JSONEachRow" });
    expect(await rs.json()).toEqual([{ n: 42 }]);
    await ch.close();
  });

  it("a body over --max-body-bytes is refused with 413 QUERY_IS_TOO_LARGE", async () => {
    const p = await privateServer({ maxBodyBytes: 64 * 1024 });
    cleanups.push(p.cleanup);
    const auth = `Basic ${Buffer.from("u:p").toString("base64")}`;
    const small = await fetch(`${p.server.url}/?query=${encodeURIComponent("SELECT length({s:String})")}&param_s=x`, {
      method: "POST",
      headers: { authorization: auth },
    });
    expect(await small.text()).toBe("1\n");
    const big = await fetch(`${p.server.url}/?query=${encodeURIComponent("INSERT INTO t FORMAT TSV")}`, {
      method: "POST",
      headers: { authorization: auth },
      body: "x\n".repeat(100 * 1024),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get("x-clickhouse-exception-code")).toBe("229");
    expect(await big.text()).toMatch(/^Code: 229\. DB::Exception: Request body is too large: it exceeds the limit of 65536 bytes.*\(QUERY_IS_TOO_LARGE\)/);
    // The server is fine afterwards.
    const after = await fetch(`${p.server.url}/?query=SELECT+2`, { headers: { authorization: auth } });
    expect(await after.text()).toBe("2\n");
  });

  it("SIGTERM shuts the server down cleanly (exit code 0)", async () => {
    const p = await privateServer();
    await p.server.stop();
    expect(await p.server.exit).toEqual({ code: 0, signal: null });
    // stop() resolves only when the process has exited; the data dir is reusable at once.
    const again = await spawnLocalClickHouse({ port: 0, dataDir: p.dataDir, user: "u", password: "p" });
    p.server = again;
    cleanups.push(p.cleanup);
    const res = await fetch(`${again.url}/ping`);
    expect(await res.text()).toBe("Ok.\n");
  });
});
