// `tern mcp url`: the MCP server's URL from the resolved host and token, without calling anything
// (test/e2e/mcp.test.ts connects an MCP client to the URL it prints).
import { describe, expect, it } from "vitest";
import { runCli } from "../../../cli/run.js";

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: process.cwd(), env } };
}

describe("tern mcp url", () => {
  it("prints <host>/mcp?token=<token> from --host and --token", async () => {
    const r = io();
    expect(await runCli(["mcp", "url", "--host", "https://tern.example.com", "--token", "p.abc+/="], r.io)).toBe(0);
    expect(r.out).toEqual(["https://tern.example.com/mcp?token=p.abc%2B%2F%3D"]);
  });

  it("keeps a host's path and reads TERN_HOST / TERN_TOKEN", async () => {
    const r = io({ TERN_HOST: "https://example.com/tern/", TERN_TOKEN: "p.env" });
    expect(await runCli(["mcp", "url"], r.io)).toBe(0);
    expect(r.out).toEqual(["https://example.com/tern/mcp?token=p.env"]);
  });

  it("--no-token leaves the token out; --json says the transport", async () => {
    const r = io({ TERN_HOST: "http://localhost:7181", TERN_TOKEN: "p.env" });
    expect(await runCli(["mcp", "url", "--no-token", "--json"], r.io)).toBe(0);
    expect(JSON.parse(r.out.join(""))).toEqual({ url: "http://localhost:7181/mcp", transport: "streamable-http" });
  });

  it("an unknown subcommand or a stray argument is a usage error (exit 2)", async () => {
    expect(await runCli(["mcp", "serve"], io().io)).toBe(2);
    expect(await runCli(["mcp", "url", "extra", "--token", "p.x", "--host", "http://h"], io().io)).toBe(2);
    expect(await runCli(["mcp"], io().io)).toBe(2);
  });
});
