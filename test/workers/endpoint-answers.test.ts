// How answers leave the Worker (small ones whole and uncompressed, large ones
// streamed), and the per-isolate caches of the request path: compiled pipes and
// verified JWTs must never hand one caller what another was allowed.
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "./helpers/api.js";
import { deployProject, PROJECT, type Deployed } from "./endpoints-project.js";
import { readConfig } from "../../workers/env.js";

const VIA_TOP = `NODE endpoint
SQL >
    SELECT pathname, views FROM top_pages

TYPE endpoint
`;

let ws: Deployed;

beforeAll(async () => {
  ws = await deployProject("answers", { ...PROJECT, "via_top.pipe": VIA_TOP });
});

const sql = (q: string) => api(`/v0/sql?q=${encodeURIComponent(q)}`, { token: ws.token });

describe("answer delivery", () => {
  it("sends an answer of up to 1,400 bytes whole, with its length and uncompressed", async () => {
    const res = await sql("SELECT number FROM numbers(3) FORMAT JSON");
    const body = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(new TextEncoder().encode(body).byteLength));
    expect(res.headers.get("content-encoding")).toBe("identity");
    expect(JSON.parse(body).data).toEqual([{ number: 0 }, { number: 1 }, { number: 2 }]);
  });

  it("streams a larger answer, whole and in order", async () => {
    const res = await sql("SELECT number, repeat('x', 50) AS pad FROM numbers(500) FORMAT JSON");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBeNull();
    expect(res.headers.get("content-encoding")).toBeNull();
    const answer = JSON.parse(await res.text());
    expect(answer.rows).toBe(500);
    expect(answer.data[0]).toEqual({ number: 0, pad: "x".repeat(50) });
    expect(answer.data[499]).toEqual({ number: 499, pad: "x".repeat(50) });
  });

  it("sends a small endpoint answer in every format the same way", async () => {
    for (const format of ["json", "csv", "ndjson", "csvwithnames"]) {
      const res = await api(`/v0/pipes/metrics.${format}`, { token: ws.token });
      expect([format, res.status, res.headers.get("content-encoding")]).toEqual([format, 200, "identity"]);
      expect(res.headers.get("content-length")).toBe(String((await res.arrayBuffer()).byteLength));
    }
  });

  it("reads the size limit from TERN_SMALL_ANSWER_BYTES, 0 turning it off", () => {
    const smallAnswerBytes = (vars: Record<string, string>) => readConfig({ CLICKHOUSE_URL: "http://127.0.0.1:9", ...vars }).reads.smallAnswerBytes;
    expect(smallAnswerBytes({})).toBe(1400);
    expect(smallAnswerBytes({ TERN_SMALL_ANSWER_BYTES: "0" })).toBe(0);
    expect(smallAnswerBytes({ TERN_SMALL_ANSWER_BYTES: "4096" })).toBe(4096);
  });
});

const now = () => Math.floor(Date.now() / 1000);
function sign(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ workspace_id: ws.id, name: "answers", exp: now() + 600, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(ws.token));
}

async function data(res: Response): Promise<unknown> {
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { data: unknown }).data;
}

describe("compiled pipes are reused only for the same caller and call", () => {
  it("a token's row filter applies between unfiltered calls of the same endpoint", async () => {
    const filtered = await sign({
      scopes: [
        { type: "PIPES:READ", resource: "top_pages" },
        { type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'globex'" },
      ],
    });
    const all = [
      { pathname: "/p0", views: 4, total: 18 },
      { pathname: "/p1", views: 3, total: 12 },
      { pathname: "/p2", views: 3, total: 15 },
    ];
    expect(await data(await api("/v0/pipes/top_pages.json", { token: ws.token }))).toEqual(all);
    expect(await data(await api("/v0/pipes/top_pages.json", { token: filtered }))).toEqual([
      { pathname: "/p0", views: 2, total: 12 },
      { pathname: "/p1", views: 2, total: 8 },
      { pathname: "/p2", views: 1, total: 5 },
    ]);
    expect(await data(await api("/v0/pipes/top_pages.json", { token: ws.token }))).toEqual(all);
  });

  it("a pipe reading another pipe follows each call's params", async () => {
    const acme = await data(await api("/v0/pipes/via_top.json?tenant=acme", { token: ws.token }));
    const globex = await data(await api("/v0/pipes/via_top.json?tenant=globex", { token: ws.token }));
    expect(acme).toEqual([
      { pathname: "/p0", views: 2 },
      { pathname: "/p1", views: 1 },
      { pathname: "/p2", views: 2 },
    ]);
    expect(globex).toEqual([
      { pathname: "/p0", views: 2 },
      { pathname: "/p1", views: 2 },
      { pathname: "/p2", views: 1 },
    ]);
  });
});

describe("verified JWTs", () => {
  it("a JWT accepted once is refused once it expires", async () => {
    const token = await sign({ exp: now() + 2, scopes: [{ type: "PIPES:READ", resource: "metrics" }] });
    expect((await api("/v0/pipes/metrics.json", { token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, (now() + 3 - Date.now() / 1000) * 1000));
    const res = await api("/v0/pipes/metrics.json", { token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "Invalid token: the JWT has expired" });
  });
});
