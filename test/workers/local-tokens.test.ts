import { SELF, env, createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/index.js";
import { decodeToken } from "../../shared/tokens/format.js";

describe("GET /tokens (Tinybird Local compatibility)", () => {
  it("answers the three tokens without auth in local mode", async () => {
    const res = await SELF.fetch("http://tern.test/tokens");
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, string>>();
    expect(Object.keys(body).sort()).toEqual(["admin_token", "user_token", "workspace_admin_token"]);
    const credentials = JSON.parse(env.TERN_CREDENTIALS!);
    expect(body.workspace_admin_token).toBe(credentials.workspaceAdminToken);
    expect(decodeToken(body.admin_token!)).toMatchObject({ u: credentials.workspaceId, host: "local" });
  });

  it("does not exist outside local mode", async () => {
    const prod = { ...env, TERN_MODE: "production" };
    const res = await worker.fetch(new Request("http://tern.test/tokens"), prod, createExecutionContext());
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Not found: GET /tokens" });
  });
});

describe("unknown routes and bad configuration", () => {
  it("answers 404 with a JSON error for an unknown path", async () => {
    const res = await SELF.fetch("http://tern.test/v0/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Not found: GET /v0/nope" });
  });

  it("answers 500 with a generic JSON error when the Worker is misconfigured", async () => {
    const broken = { ...env, CLICKHOUSE_URL: "not a url" };
    const res = await worker.fetch(new Request("http://tern.test/v0/health"), broken, createExecutionContext());
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: "The server is misconfigured; see its logs." });
  });
});
