import { describe, expect, it } from "vitest";
import { runCli } from "../../../cli/run.js";
import { decodeToken, verifyToken } from "../../../shared/tokens/format.js";

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), cwd: process.cwd(), env: {} } };
}

describe("tern credentials", () => {
  it("prints the TERN_CREDENTIALS JSON with --json, tokens signed by its secret", async () => {
    const r = io();
    expect(await runCli(["credentials", "--json", "--name", "prod"], r.io)).toBe(0);
    const creds = JSON.parse(r.out.join(""));
    expect(creds.workspaceName).toBe("prod");
    expect(decodeToken(creds.workspaceAdminToken)?.u).toBe(creds.workspaceId);
    expect(await verifyToken(creds.workspaceAdminToken, creds.signingSecret)).toBe(true);
  });

  it("explains how to install it without --json", async () => {
    const r = io();
    expect(await runCli(["credentials"], r.io)).toBe(0);
    expect(r.out.join("\n")).toMatch(/npx wrangler secret put TERN_CREDENTIALS/);
  });

  it("refuses a bad workspace name with exit 2", async () => {
    const r = io();
    expect(await runCli(["credentials", "--name", "bad-name"], r.io)).toBe(2);
  });
});
