// `tern clickhouse url`: the ClickHouse interface's connection string from the resolved host and token
// (test/e2e/clickhouse-interface.test.ts connects @clickhouse/client with what it prints, the user asked of the server).
import { describe, expect, it } from "vitest";
import { runCli } from "../../../cli/run.js";

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: process.cwd(), env } };
}

describe("tern clickhouse url", () => {
  it("prints <scheme>://<user>:<token>@<host>/clickhouse, the token escaped", async () => {
    const r = io();
    expect(await runCli(["clickhouse", "url", "--host", "https://tern.example.com", "--token", "p.ab+/=:@", "--user", "my_ws"], r.io)).toBe(0);
    expect(r.out).toEqual(["https://my_ws:p.ab%2B%2F%3D%3A%40@tern.example.com/clickhouse"]);
    expect(decodeURIComponent(new URL(r.out[0]!).password)).toBe("p.ab+/=:@");
  });

  it("keeps a host's path, reads TERN_HOST / TERN_TOKEN, and --json gives the parts a driver takes", async () => {
    const r = io({ TERN_HOST: "http://localhost:7181/tern/", TERN_TOKEN: "p.env" });
    expect(await runCli(["clickhouse", "url", "--user", "ws", "--json"], r.io)).toBe(0);
    expect(JSON.parse(r.out.join(""))).toEqual({
      url: "http://ws:p.env@localhost:7181/tern/clickhouse",
      protocol: "http",
      host: "localhost",
      port: 7181,
      pathname: "/tern/clickhouse",
      username: "ws",
      password: "p.env",
      database: "ws",
    });
  });

  it("--clickhouse-host: the interface's own host, at /", async () => {
    const r = io({ TERN_HOST: "https://api.example.com", TERN_TOKEN: "p.env" });
    expect(await runCli(["clickhouse", "url", "--user", "ws", "--clickhouse-host", "https://clickhouse.example.com"], r.io)).toBe(0);
    expect(r.out).toEqual(["https://ws:p.env@clickhouse.example.com/"]);
  });

  it("an unknown subcommand, a stray argument or a non-http host is a usage error (exit 2)", async () => {
    expect(await runCli(["clickhouse", "connect"], io().io)).toBe(2);
    expect(await runCli(["clickhouse"], io().io)).toBe(2);
    expect(await runCli(["clickhouse", "url", "extra", "--token", "p.x", "--host", "http://h", "--user", "u"], io().io)).toBe(2);
    expect(await runCli(["clickhouse", "url", "--token", "p.x", "--host", "http://h", "--user", "u", "--clickhouse-host", "ftp://x"], io().io)).toBe(2);
  });
});
