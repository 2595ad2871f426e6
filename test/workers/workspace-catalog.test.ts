import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("WorkspaceCatalog Durable Object", () => {
  it("records the workspace once, in SQLite storage", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("ws-1"));
    const first = await stub.ensureWorkspace("ws-1", "analytics");
    const again = await stub.ensureWorkspace("ws-1", "renamed");
    expect(first).toMatchObject({ id: "ws-1", name: "analytics" });
    expect(again).toEqual(first);
  });

  it("has no workspace before it is created", async () => {
    const stub = env.WORKSPACE.get(env.WORKSPACE.idFromName("empty"));
    expect(await stub.info()).toBeUndefined();
  });
});
