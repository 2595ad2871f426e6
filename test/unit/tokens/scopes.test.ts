import { describe, expect, it } from "vitest";
import { authorize, formatScope, parseScope, ScopeSyntaxError, type Scope } from "../../../shared/tokens/scopes.js";

describe("parseScope", () => {
  it.each<[string, Scope]>([
    ["ADMIN", { type: "ADMIN" }],
    ["TOKENS", { type: "TOKENS" }],
    ["WORKSPACE:READ_ALL", { type: "WORKSPACE:READ_ALL" }],
    ["DATASOURCES:CREATE", { type: "DATASOURCES:CREATE" }],
    ["DATASOURCES:APPEND:events", { type: "DATASOURCES:APPEND", resource: "events" }],
    ["DATASOURCE:APPEND:events", { type: "DATASOURCES:APPEND", resource: "events" }],
    ["DATASOURCES:READ:events", { type: "DATASOURCES:READ", resource: "events" }],
    ["DATASOURCES:READ:events:country = 'ES'", { type: "DATASOURCES:READ", resource: "events", filter: "country = 'ES'" }],
    ["DATASOURCES:READ:events:ts > '2026-01-01 00:00:00'", { type: "DATASOURCES:READ", resource: "events", filter: "ts > '2026-01-01 00:00:00'" }],
    ["PIPES:READ:top_pages", { type: "PIPES:READ", resource: "top_pages" }],
    ["PIPES:DROP:top_pages", { type: "PIPES:DROP", resource: "top_pages" }],
  ])("%s", (text, expected) => {
    expect(parseScope(text)).toEqual(expected);
  });

  it.each([
    ["NOPE", "Unknown scope 'NOPE'"],
    ["ADMIN:x", "Scope ADMIN does not take a resource"],
    ["PIPES:READ", "Scope PIPES:READ needs a resource: PIPES:READ:<name>"],
    ["PIPES:READ:bad-name", "Invalid resource name 'bad-name' in scope"],
  ])("rejects %s", (text, message) => {
    expect(() => parseScope(text)).toThrow(new ScopeSyntaxError(message));
  });

  it("formats back to the same text", () => {
    expect(formatScope(parseScope("DATASOURCES:READ:events:a = 1"))).toBe("DATASOURCES:READ:events:a = 1");
  });
});

describe("authorize", () => {
  const read = (s: string) => parseScope(s);
  it("ADMIN allows everything", () => {
    expect(authorize([read("ADMIN")], { kind: "append", datasource: "x" }).allowed).toBe(true);
    expect(authorize([read("ADMIN")], { kind: "manage_tokens" }).allowed).toBe(true);
  });

  it("an APPEND scope allows appending to its datasource only", () => {
    const scopes = [read("DATASOURCES:APPEND:events")];
    expect(authorize(scopes, { kind: "append", datasource: "events" }).allowed).toBe(true);
    expect(authorize(scopes, { kind: "append", datasource: "other" }).allowed).toBe(false);
    expect(authorize(scopes, { kind: "read_datasource", datasource: "events" }).allowed).toBe(false);
  });

  it("DATASOURCES:CREATE allows appending anywhere", () => {
    expect(authorize([read("DATASOURCES:CREATE")], { kind: "append", datasource: "any" }).allowed).toBe(true);
  });

  it("a READ scope covers the datasource's quarantine", () => {
    const scopes = [read("DATASOURCES:READ:events")];
    expect(authorize(scopes, { kind: "read_datasource", datasource: "events_quarantine" }).allowed).toBe(true);
  });

  it("a filtered READ scope returns its filter", () => {
    const grant = authorize([read("DATASOURCES:READ:events:tenant = 'a'")], { kind: "read_datasource", datasource: "events" });
    expect(grant).toEqual({ allowed: true, filters: ["tenant = 'a'"], fixedParams: {} });
  });

  it("an unfiltered READ scope wins over a filtered one", () => {
    const grant = authorize([read("DATASOURCES:READ:events:tenant = 'a'"), read("DATASOURCES:READ:events")], { kind: "read_datasource", datasource: "events" });
    expect(grant.filters).toEqual([]);
  });

  it("PIPES:READ carries JWT fixed params", () => {
    const grant = authorize([{ type: "PIPES:READ", resource: "p", fixed_params: { tenant: "t1" } }], { kind: "read_pipe", pipe: "p" });
    expect(grant).toEqual({ allowed: true, filters: [], fixedParams: { tenant: "t1" } });
  });

  it("a pipe scope does not open another pipe", () => {
    expect(authorize([read("PIPES:READ:a")], { kind: "read_pipe", pipe: "b" }).allowed).toBe(false);
  });

  it("WORKSPACE:READ_ALL reads every datasource and pipe but cannot append", () => {
    const scopes = [read("WORKSPACE:READ_ALL")];
    expect(authorize(scopes, { kind: "read_pipe", pipe: "x" }).allowed).toBe(true);
    expect(authorize(scopes, { kind: "read_datasource", datasource: "x" }).allowed).toBe(true);
    expect(authorize(scopes, { kind: "append", datasource: "x" }).allowed).toBe(false);
  });
});
