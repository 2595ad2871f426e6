import { describe, expect, it } from "vitest";
import { decodeToken, signToken, verifyToken } from "../../../shared/tokens/format.js";
import { createLocalCredentials } from "../../../shared/tokens/local.js";

const payload = { u: "3c1b6a0e-7d2f-4a57-9d8e-5c0f1e2d3a4b", id: "f0e1d2c3-b4a5-4697-8877-665544332211", host: "local" };

describe("static token format", () => {
  it("is p.<base64url JSON>.<43-char signature>", async () => {
    const token = await signToken(payload, "secret-one-secret-one");
    const [p, body, sig] = token.split(".");
    expect(p).toBe("p");
    expect(JSON.parse(Buffer.from(body!, "base64url").toString())).toEqual(payload);
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("is deterministic for the same payload and secret", async () => {
    expect(await signToken(payload, "k".repeat(20))).toBe(await signToken(payload, "k".repeat(20)));
  });

  it("decodes the workspace id without the secret", async () => {
    expect(decodeToken(await signToken(payload, "s".repeat(20)))).toEqual(payload);
  });

  it.each([
    ["not a token", "hello"],
    ["a JWT", "eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.abc"],
    ["bad JSON", "p.bm90IGpzb24.sig"],
    ["missing u", `p.${Buffer.from('{"id":"x"}').toString("base64url")}.sig`],
  ])("decodes %s to undefined", (_label, text) => {
    expect(decodeToken(text)).toBeUndefined();
  });

  it("verifies with the right secret only", async () => {
    const token = await signToken(payload, "right-secret-123456");
    expect(await verifyToken(token, "right-secret-123456")).toBe(true);
    expect(await verifyToken(token, "wrong-secret-123456")).toBe(false);
  });

  it("rejects a token whose payload was altered", async () => {
    const token = await signToken(payload, "right-secret-123456");
    const [, , sig] = token.split(".");
    const forged = `p.${Buffer.from(JSON.stringify({ ...payload, u: "other" })).toString("base64url")}.${sig}`;
    expect(await verifyToken(forged, "right-secret-123456")).toBe(false);
  });
});

describe("local credentials", () => {
  it("mint three distinct tokens of one workspace, signed by its secret", async () => {
    const c = await createLocalCredentials("default");
    const tokens = [c.adminToken, c.userToken, c.workspaceAdminToken];
    expect(new Set(tokens).size).toBe(3);
    for (const t of tokens) {
      expect(decodeToken(t)).toMatchObject({ u: c.workspaceId, host: "local" });
      expect(await verifyToken(t, c.signingSecret)).toBe(true);
    }
  });
});
