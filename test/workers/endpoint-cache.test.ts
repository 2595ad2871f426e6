// CACHE <seconds> on endpoints: answers kept in the Workers Cache API (miniflare's), keyed by the SQL
// that would run and the token's scope; hit, miss, expiry, stale-while-revalidate, invalidation on
// promote and rollback, JWTs with different fixed params, bypass, failures and huge answers never
// stored (an answer that fails after it started is test/unit/cache/endpoint-key.test.ts), rate limits and pipe_stats_rt on hits. Rows are added straight into ClickHouse between
// calls, so a hit is told from a fresh read by what it answers, not only by its X-Tern-Cache header.
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { deployProject, EVENTS, type Deployed } from "./endpoints-project.js";

const BY_TENANT = `NODE endpoint
SQL >
    %
    SELECT tenant, count() AS c, sum(value) AS total FROM events
    WHERE tenant = {{ String(tenant, 'acme') }} AND value >= {{ Int32(lowest, 0) }}
    GROUP BY tenant

TYPE endpoint
CACHE 60
`;

/** Every tenant's rows: what a DATASOURCES:READ filter narrows. */
const ALL = `NODE endpoint
SQL >
    SELECT tenant, count() AS c FROM events GROUP BY tenant ORDER BY tenant

TYPE endpoint
CACHE 60
`;

const SHORT = `NODE endpoint
SQL >
    SELECT count() AS c FROM events

TYPE endpoint
CACHE 1
`;

const SWR = `NODE endpoint
SQL >
    SELECT count() AS c FROM events

TYPE endpoint
CACHE 1
CACHE_STALE_WHILE_REVALIDATE 60
`;

const UNCACHED = `NODE endpoint
SQL >
    SELECT count() AS c FROM events

TYPE endpoint
`;

const NUMBERS = `NODE endpoint
SQL >
    %
    SELECT number FROM numbers({{ Int32(n, 10) }})

TYPE endpoint
CACHE 60
`;

/** Fails while the workspace has fewer than `min` rows. */
const AT_LEAST = `NODE endpoint
SQL >
    %
    SELECT throwIf(count() < {{ Int32(lowest, 0) }}, 'not enough rows') AS failed, count() AS c FROM events

TYPE endpoint
CACHE 60
`;

/** A column picked by the caller: column(), columns() and symbol() params. */
const PICK = `NODE endpoint
SQL >
    %
    SELECT {{ column(col, 'tenant') }} AS {{ symbol(name) }}, {{ columns(more, 'value') }} FROM events
    ORDER BY timestamp LIMIT 1

TYPE endpoint
CACHE 60
`;

/** No CACHE: the template asks for caching with Tinybird's cache_ttl(). */
const TTL_TEMPLATE = `NODE endpoint
SQL >
    %
    {{ cache_ttl('5m') }}
    SELECT count() AS c FROM events WHERE value >= {{ Int32(lowest, 0) }}

TYPE endpoint
`;

/** cache_ttl() only when the caller sends a cached param. */
const TTL_IF = `NODE endpoint
SQL >
    %
    {% if defined(cached) %}{{ cache_ttl('1m') }}{% end %}
    SELECT count() AS c FROM events

TYPE endpoint
`;

/** Entries of their own for the memory tier's freshness tests. */
const SHORT_MEM = `NODE endpoint
SQL >
    SELECT count() AS c, 'short_mem' AS t FROM events

TYPE endpoint
CACHE 1
`;

const SWR_MEM = `NODE endpoint
SQL >
    SELECT count() AS c, 'swr_mem' AS t FROM events

TYPE endpoint
CACHE 1
CACHE_STALE_WHILE_REVALIDATE 60
`;

const FILES: Record<string, string> = {
  "short_mem.pipe": SHORT_MEM,
  "swr_mem.pipe": SWR_MEM,
  "ttl_template.pipe": TTL_TEMPLATE,
  "ttl_if.pipe": TTL_IF,
  "pick.pipe": PICK,
  "events.datasource": EVENTS,
  "by_tenant.pipe": BY_TENANT,
  "all_tenants.pipe": ALL,
  "short.pipe": SHORT,
  "swr.pipe": SWR,
  "uncached.pipe": UNCACHED,
  "numbers.pipe": NUMBERS,
  "at_least.pipe": AT_LEAST,
};

let ws: Deployed;

beforeAll(async () => {
  ws = await deployProject("edgecache", FILES);
});

let added = 100;
/** One more acme row (value 100, 101, …) straight into ClickHouse: a read sees it, a cached answer does not. */
async function addRow(tenant = "acme"): Promise<void> {
  await testClickHouse().command({ query: `INSERT INTO ${ws.eventsTable} VALUES ('2026-02-01 00:00:00', '${tenant}', '/new', ${added++})` });
}

async function call(path: string, token: string = ws.token): Promise<{ status: number; cache: string | null; tier: string | undefined; body: any; headers: Headers }> {
  const res = await api(path, { token });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV and errors as text
  }
  const tier = /(?:^|,)\s*cache;dur=[\d.]+;desc="([a-z]+)"/.exec(res.headers.get("server-timing") ?? "")?.[1];
  return { status: res.status, cache: res.headers.get("x-tern-cache"), tier, body, headers: res.headers };
}

/** The rows of a JSON answer. */
const data = (r: { body: any }) => r.body.data;

/** Calls until the answer is a hit: the entry is stored after the miss's answer went out (waitUntil). */
async function untilHit(path: string, token?: string) {
  let last!: Awaited<ReturnType<typeof call>>;
  await vi.waitUntil(async () => (last = await call(path, token)).cache === "HIT", { timeout: 5000, interval: 50 });
  return last;
}

const now = () => Math.floor(Date.now() / 1000);
function jwt(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ workspace_id: ws.id, name: "viewer", exp: now() + 600, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(ws.token));
}

describe("hit and miss", () => {
  it("a first call is a miss, the next a hit that answers what was stored, not what ClickHouse has now", async () => {
    const first = await call("/v0/pipes/by_tenant.json?tenant=acme&lowest=1");
    expect(first.status).toBe(200);
    expect(first.cache).toBe("MISS");
    expect(first.headers.get("cache-control")).toBe("private, max-age=60");
    expect(first.headers.get("age")).toBe("0");
    expect(data(first)).toEqual([{ tenant: "acme", c: 4, total: 20 }]);
    await untilHit("/v0/pipes/by_tenant.json?tenant=acme&lowest=1");
    await addRow();
    const hit = await call("/v0/pipes/by_tenant.json?tenant=acme&lowest=1");
    expect(hit.cache).toBe("HIT");
    expect(hit.body).toEqual(first.body);
    expect(hit.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(Number(hit.headers.get("age"))).toBeLessThan(60);
    expect(hit.headers.get("cache-control")).toMatch(/^private, max-age=\d+$/);
    expect(hit.headers.get("vary")).toMatch(/authorization/i);
    // Another value of a parameter is another entry: a fresh read that sees the new row.
    const other = await call("/v0/pipes/by_tenant.json?tenant=acme&lowest=2");
    expect(other.cache).toBe("MISS");
    expect(data(other)).toEqual([{ tenant: "acme", c: 5, total: 120 }]);
  });

  it("parameter order, a default sent explicitly and a parameter the pipe does not use give the same entry", async () => {
    await call("/v0/pipes/by_tenant.json?tenant=globex&lowest=0");
    await untilHit("/v0/pipes/by_tenant.json?tenant=globex&lowest=0");
    expect((await call("/v0/pipes/by_tenant.json?lowest=0&tenant=globex")).cache).toBe("HIT");
    expect((await call("/v0/pipes/by_tenant.json?tenant=globex")).cache).toBe("HIT");
    expect((await call("/v0/pipes/by_tenant.json?tenant=globex&unused=1&from=sdk")).cache).toBe("HIT");
  });

  it("the format is part of the key", async () => {
    const json = await call("/v0/pipes/by_tenant.json?tenant=acme&lowest=3");
    expect(json.cache).toBe("MISS");
    await untilHit("/v0/pipes/by_tenant.json?tenant=acme&lowest=3");
    const csv = await call("/v0/pipes/by_tenant.csv?tenant=acme&lowest=3");
    expect(csv.cache).toBe("MISS");
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.body).toMatch(/^"acme",/);
  });

  it("q= is part of the key", async () => {
    const a = await call("/v0/pipes/by_tenant.json?tenant=acme&q=SELECT%20c%20FROM%20_");
    expect(a.cache).toBe("MISS");
    await untilHit("/v0/pipes/by_tenant.json?tenant=acme&q=SELECT%20c%20FROM%20_");
    const b = await call("/v0/pipes/by_tenant.json?tenant=acme&q=SELECT%20total%20FROM%20_");
    expect(b.cache).toBe("MISS");
    expect(Object.keys(data(b)[0])).toEqual(["total"]);
  });

  it("column(), columns() and symbol() params are part of the key", async () => {
    const base = "/v0/pipes/pick.json?col=tenant&more=value&name=picked";
    const first = await call(base);
    expect(first.cache, JSON.stringify(first.body)).toBe("MISS");
    await untilHit(base);
    const byColumn = await call("/v0/pipes/pick.json?col=pathname&more=value&name=picked");
    expect(byColumn.cache).toBe("MISS");
    expect(data(byColumn)[0].picked).not.toBe(data(first)[0].picked);
    const byColumns = await call("/v0/pipes/pick.json?col=tenant&more=value,pathname&name=picked");
    expect(byColumns.cache).toBe("MISS");
    expect(Object.keys(data(byColumns)[0])).toEqual(["picked", "value", "pathname"]);
    const bySymbol = await call("/v0/pipes/pick.json?col=tenant&more=value&name=other");
    expect(bySymbol.cache).toBe("MISS");
    expect(Object.keys(data(bySymbol)[0])).toEqual(["other", "value"]);
  });

  it("a browser on another origin may read X-Tern-Cache and Age (CORS exposes them)", async () => {
    const res = await api("/v0/pipes/by_tenant.json?tenant=acme&lowest=8", { token: ws.token, headers: { origin: "https://app.example" } });
    const body = await res.text();
    expect(res.status, body).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const exposed = (res.headers.get("access-control-expose-headers") ?? "").split(",").map((h) => h.trim().toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(["x-tern-cache", "age"]));
    expect(res.headers.get("x-tern-cache")).toBe("MISS");
  });

  it("an endpoint without CACHE is never cached and carries no cache headers", async () => {
    const a = await call("/v0/pipes/uncached.json");
    await addRow("globex");
    const b = await call("/v0/pipes/uncached.json");
    expect([a.cache, b.cache]).toEqual([null, null]);
    expect(b.headers.get("cache-control")).toBeNull();
    expect(data(b)[0].c).toBe(data(a)[0].c + 1);
  });
});

describe("freshness", () => {
  it("an entry expires after CACHE seconds", async () => {
    const first = await call("/v0/pipes/short.json");
    expect(first.cache).toBe("MISS");
    const hit = await untilHit("/v0/pipes/short.json");
    expect(hit.body).toEqual(first.body);
    await addRow();
    await new Promise((r) => setTimeout(r, 1100));
    const after = await call("/v0/pipes/short.json");
    expect(after.cache).toBe("MISS");
    expect(data(after)[0].c).toBeGreaterThan(data(first)[0].c);
  });

  it("stale-while-revalidate: an expired answer is served once more while it is refreshed in the background", async () => {
    const first = await call("/v0/pipes/swr.json");
    expect(first.cache).toBe("MISS");
    expect(first.headers.get("cache-control")).toBe("private, max-age=1, stale-while-revalidate=60");
    await untilHit("/v0/pipes/swr.json");
    await addRow();
    await new Promise((r) => setTimeout(r, 1100));
    const stale = await call("/v0/pipes/swr.json");
    expect(stale.cache).toBe("STALE");
    expect(stale.body).toEqual(first.body);
    expect(Number(stale.headers.get("age"))).toBeGreaterThanOrEqual(1);
    expect(stale.headers.get("cache-control")).toBe("private, max-age=0, stale-while-revalidate=60");
    // The refresh replaced the entry: the new row shows without any call being a miss.
    let next!: Awaited<ReturnType<typeof call>>;
    await vi.waitUntil(async () => data((next = await call("/v0/pipes/swr.json")))[0].c > data(first)[0].c, { timeout: 5000, interval: 50 });
    expect(["HIT", "STALE"]).toContain(next.cache);
  });
});

describe("cache_ttl() in a template", () => {
  it("caches the call for that TTL on an endpoint without CACHE", async () => {
    const first = await call("/v0/pipes/ttl_template.json?lowest=1");
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.cache).toBe("MISS");
    expect(first.headers.get("cache-control")).toBe("private, max-age=300");
    await untilHit("/v0/pipes/ttl_template.json?lowest=1");
    await addRow();
    const hit = await call("/v0/pipes/ttl_template.json?lowest=1");
    expect(hit.cache).toBe("HIT");
    expect(hit.body).toEqual(first.body);
  });

  it("caches only the calls whose render reached it", async () => {
    const plain = await call("/v0/pipes/ttl_if.json");
    expect(plain.status).toBe(200);
    expect(plain.cache).toBeNull();
    expect(plain.headers.get("cache-control")).toBeNull();
    const cached = await call("/v0/pipes/ttl_if.json?cached=1");
    expect(cached.cache).toBe("MISS");
    expect(cached.headers.get("cache-control")).toBe("private, max-age=60");
    await untilHit("/v0/pipes/ttl_if.json?cached=1");
    expect((await call("/v0/pipes/ttl_if.json")).cache).toBeNull();
  });
});

describe("deployments", () => {
  it("a promote makes every entry unreachable, and so does a rollback to the deployment they were stored under", async () => {
    const path = "/v0/pipes/all_tenants.json";
    expect((await call(path)).cache).toBe("MISS");
    const before = await untilHit(path);
    // A second deployment (one pipe's description changed) goes live: the entry is not found.
    const changed = { ...FILES, "uncached.pipe": `DESCRIPTION >\n    changed\n\n${UNCACHED}` };
    const res = await api("/v1/deploy?auto_promote=true", { method: "POST", body: form(changed), token: ws.token });
    expect(res.status, await res.clone().text()).toBe(200);
    await addRow();
    const afterPromote = await call(path);
    expect(afterPromote.cache).toBe("MISS");
    expect(afterPromote.body).not.toEqual(before.body);
    await untilHit(path);
    // Back to the first deployment: its entries from before are not served again.
    await addRow();
    const rollback = await api("/v1/deployments/rollback", { method: "POST", token: ws.token });
    expect(rollback.status, await rollback.clone().text()).toBe(200);
    const afterRollback = await call(path);
    expect(afterRollback.cache).toBe("MISS");
    expect(afterRollback.body).not.toEqual(afterPromote.body);
  });
});

function form(files: Record<string, string>): FormData {
  const f = new FormData();
  for (const [name, text] of Object.entries(files)) f.append("data_project://", new File([text], name, { type: "text/plain" }));
  return f;
}

describe("tokens", () => {
  it("two JWTs with different fixed params never see each other's cached rows; the same fixed params share an entry", async () => {
    const scope = (tenant: string) => [{ type: "PIPES:READ", resource: "by_tenant", fixed_params: { tenant, lowest: 0 } }];
    const acme = await jwt({ name: "acme_viewer", scopes: scope("acme") });
    const globex = await jwt({ name: "globex_viewer", scopes: scope("globex") });
    const path = "/v0/pipes/by_tenant.json?lowest=7&tenant=globex";
    const a = await call(path, acme);
    expect(a.cache).toBe("MISS");
    expect(data(a).map((r: any) => r.tenant)).toEqual(["acme"]);
    await untilHit(path, acme);
    const g = await call(path, globex);
    expect(g.cache).toBe("MISS");
    expect(data(g).map((r: any) => r.tenant)).toEqual(["globex"]);
    const g2 = await untilHit(path, globex);
    expect(data(g2).map((r: any) => r.tenant)).toEqual(["globex"]);
    expect(data(await call(path, acme)).map((r: any) => r.tenant)).toEqual(["acme"]);
    // Another JWT (another name, a later expiry) with acme's fixed params: the same rows, so the same entry.
    const acme2 = await jwt({ name: "acme_other", exp: now() + 900, scopes: scope("acme") });
    const shared = await call(path, acme2);
    expect(shared.cache).toBe("HIT");
    expect(shared.body).toEqual(a.body);
  });

  it("a DATASOURCES:READ filter is part of the key: a filtered JWT and the admin token never share an entry", async () => {
    const filtered = await jwt({ scopes: [{ type: "PIPES:READ", resource: "all_tenants" }, { type: "DATASOURCES:READ", resource: "events", filter: "tenant = 'globex'" }] });
    const path = "/v0/pipes/all_tenants.json?n=filtered";
    const admin = await call(path);
    await untilHit(path);
    const f = await call(path, filtered);
    expect(f.cache).toBe("MISS");
    expect(data(f).map((r: any) => r.tenant)).toEqual(["globex"]);
    expect(data(admin).map((r: any) => r.tenant)).toEqual(["acme", "globex"]);
  });

  it("?__tb__cache=bypass reads ClickHouse for an admin token and is refused to others", async () => {
    const path = "/v0/pipes/by_tenant.json?tenant=acme&lowest=4";
    const first = await call(path);
    await untilHit(path);
    await addRow();
    const bypass = await call(`${path}&__tb__cache=bypass`);
    expect(bypass.cache).toBe("BYPASS");
    expect(data(bypass)[0].c).toBe(data(first)[0].c + 1);
    // The entry is untouched by a bypass.
    expect((await call(path)).body).toEqual(first.body);
    const viewer = await jwt({ scopes: [{ type: "PIPES:READ", resource: "by_tenant" }] });
    const refused = await call(`${path}&__tb__cache=bypass`, viewer);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: "__tb__cache=bypass needs an ADMIN token" });
    expect((await call(`${path}&__tb__cache=yes`)).status).toBe(400);
  });
});

describe("what is never stored", () => {
  it("a failed answer: the call after the data changed reads ClickHouse", async () => {
    const count = data(await call("/v0/pipes/uncached.json"))[0].c as number;
    const path = `/v0/pipes/at_least.json?lowest=${count + 1}`;
    const failed = await call(path);
    expect(failed.status).toBe(400);
    expect(failed.cache).toBeNull();
    await new Promise((r) => setTimeout(r, 200));
    await addRow();
    const ok = await call(path);
    expect(ok.status).toBe(200);
    expect(ok.cache).toBe("MISS");
    expect(data(ok)[0].c).toBe(count + 1);
  });

  it("an answer larger than MAX_CACHED_ANSWER_BYTES (1 MiB)", async () => {
    const big = await call("/v0/pipes/numbers.json?n=100000");
    expect(big.status).toBe(200);
    expect(big.cache).toBe("MISS");
    expect(data(big)).toHaveLength(100000);
    await new Promise((r) => setTimeout(r, 300));
    expect((await call("/v0/pipes/numbers.json?n=100000")).cache).toBe("MISS");
    // A smaller one of the same endpoint is kept (600 KB: past the memory tier's 64 KiB, so this hit comes from the Cache API).
    expect((await call("/v0/pipes/numbers.json?n=20000")).cache).toBe("MISS");
    const hit = await untilHit("/v0/pipes/numbers.json?n=20000");
    expect(hit.tier).toBe("location");
  });
});

describe("the isolate-memory tier in front of the Cache API", () => {
  it("a hit of a small answer is answered from this isolate's memory, and says so in Server-Timing", async () => {
    const path = "/v0/pipes/by_tenant.json?tenant=acme&lowest=21";
    const first = await call(path);
    expect([first.cache, first.tier]).toEqual(["MISS", "miss"]);
    await untilHit(path);
    await addRow();
    const hit = await call(path);
    expect([hit.cache, hit.tier]).toEqual(["HIT", "memory"]);
    expect(hit.body).toEqual(first.body);
  });

  it("an answer over MEMORY_ENTRY_BYTES (64 KiB) is never kept in memory: its hits come from the location's Cache API", async () => {
    const big = "/v0/pipes/numbers.json?n=5000";
    const first = await call(big);
    expect(first.cache).toBe("MISS");
    // Even written compactly (ClickHouse's JSON is longer), the answer is over 64 KiB.
    expect(JSON.stringify(first.body).length).toBeGreaterThan(64 * 1024);
    await untilHit(big);
    const again = await call(big);
    expect([again.cache, again.tier]).toEqual(["HIT", "location"]);
    expect(data(again)).toHaveLength(5000);
    // One under it, of the same endpoint, is.
    const small = "/v0/pipes/numbers.json?n=1000";
    expect((await call(small)).cache).toBe("MISS");
    await untilHit(small);
    expect((await call(small)).tier).toBe("memory");
  });

  it("a memory entry expires after CACHE seconds exactly as the Cache API's", async () => {
    const first = await call("/v0/pipes/short_mem.json");
    expect(first.cache).toBe("MISS");
    await untilHit("/v0/pipes/short_mem.json");
    await addRow();
    const hit = await call("/v0/pipes/short_mem.json");
    if (hit.cache === "HIT") {
      // Still within its second: from memory, the stored answer.
      expect(hit.tier).toBe("memory");
      expect(hit.body).toEqual(first.body);
    }
    await new Promise((r) => setTimeout(r, 1100));
    const after = await call("/v0/pipes/short_mem.json");
    expect([after.cache, after.tier]).toEqual(["MISS", "miss"]);
    expect(data(after)[0].c).toBeGreaterThan(data(first)[0].c);
  });

  it("stale-while-revalidate from memory: the stale answer once more, then the refreshed one, both from memory", async () => {
    const first = await call("/v0/pipes/swr_mem.json");
    expect(first.cache).toBe("MISS");
    await untilHit("/v0/pipes/swr_mem.json");
    await addRow();
    await new Promise((r) => setTimeout(r, 1100));
    const stale = await call("/v0/pipes/swr_mem.json");
    expect([stale.cache, stale.tier]).toEqual(["STALE", "memory"]);
    expect(stale.body).toEqual(first.body);
    let next!: Awaited<ReturnType<typeof call>>;
    await vi.waitUntil(async () => data((next = await call("/v0/pipes/swr_mem.json")))[0].c > data(first)[0].c, { timeout: 5000, interval: 50 });
    expect(["HIT", "STALE"]).toContain(next.cache);
    expect(next.tier).toBe("memory");
  });

  it("?__tb__cache=bypass skips the memory tier too, and leaves it as it was", async () => {
    const path = "/v0/pipes/by_tenant.json?tenant=acme&lowest=22";
    const first = await call(path);
    await untilHit(path);
    await addRow();
    const bypass = await call(`${path}&__tb__cache=bypass`);
    expect([bypass.cache, bypass.tier]).toEqual(["BYPASS", "bypass"]);
    expect(data(bypass)[0].c).toBe(data(first)[0].c + 1);
    const hit = await call(path);
    expect([hit.cache, hit.tier]).toEqual(["HIT", "memory"]);
    expect(hit.body).toEqual(first.body);
  });

  it("two JWTs with different fixed params never share a memory entry", async () => {
    const scope = (tenant: string) => [{ type: "PIPES:READ", resource: "by_tenant", fixed_params: { tenant, lowest: 23 } }];
    const acme = await jwt({ name: "acme_mem", scopes: scope("acme") });
    const globex = await jwt({ name: "globex_mem", scopes: scope("globex") });
    await addRow("acme");
    await addRow("globex");
    const path = "/v0/pipes/by_tenant.json?tenant=globex&lowest=0";
    expect((await call(path, acme)).cache).toBe("MISS");
    await untilHit(path, acme);
    const a = await call(path, acme);
    expect([a.cache, a.tier]).toEqual(["HIT", "memory"]);
    expect(data(a).map((r: any) => r.tenant)).toEqual(["acme"]);
    const g = await call(path, globex);
    expect([g.cache, g.tier]).toEqual(["MISS", "miss"]);
    expect(data(g).map((r: any) => r.tenant)).toEqual(["globex"]);
    await untilHit(path, globex);
    const g2 = await call(path, globex);
    expect([g2.cache, g2.tier]).toEqual(["HIT", "memory"]);
    expect(data(g2).map((r: any) => r.tenant)).toEqual(["globex"]);
    expect(data(await call(path, acme)).map((r: any) => r.tenant)).toEqual(["acme"]);
  });

  it("a promote leaves nothing in memory to be served: the call after it reads the new deployment", async () => {
    const path = "/v0/pipes/by_tenant.json?tenant=globex&lowest=24";
    expect((await call(path)).cache).toBe("MISS");
    await untilHit(path);
    const warm = await call(path);
    expect([warm.cache, warm.tier]).toEqual(["HIT", "memory"]);
    const changed = { ...FILES, "uncached.pipe": `DESCRIPTION >\n    changed for the memory tier\n\n${UNCACHED}` };
    const res = await api("/v1/deploy?auto_promote=true", { method: "POST", body: form(changed), token: ws.token });
    expect(res.status, await res.clone().text()).toBe(200);
    await addRow("globex");
    const after = await call(path);
    expect([after.cache, after.tier]).toEqual(["MISS", "miss"]);
    expect(after.body).not.toEqual(warm.body);
  });
});

describe("accounting", () => {
  it("hits still take from a JWT's limits.rps", async () => {
    const token = await jwt({ name: "one_rps_cached", limits: { rps: 1 }, scopes: [{ type: "PIPES:READ", resource: "by_tenant" }] });
    const admin = "/v0/pipes/by_tenant.json?tenant=acme&lowest=5";
    await call(admin);
    await untilHit(admin);
    const first = await call(admin, token);
    expect(first.cache).toBe("HIT");
    const second = await call(admin, token);
    expect(second.status).toBe(429);
  });

  it("concurrent calls on a cold key read ClickHouse once: the others wait for that answer and are hits", async () => {
    const path = "/v0/pipes/by_tenant.json?tenant=acme&lowest=9";
    const calls = await Promise.all(Array.from({ length: 5 }, () => call(path)));
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    expect(calls.map((c) => c.cache).sort()).toEqual(["HIT", "HIT", "HIT", "HIT", "MISS"]);
    for (const c of calls) expect(c.body).toEqual(calls[0]!.body);
    const sql = encodeURIComponent(
      "SELECT parameters['__tb__cache'] AS cache, read_rows FROM tinybird.pipe_stats_rt " +
        "WHERE pipe_name = 'by_tenant' AND parameters['lowest'] = '9' ORDER BY cache FORMAT JSON",
    );
    let rows: any[] = [];
    await vi.waitUntil(async () => (rows = data(await call(`/v0/sql?q=${sql}`))).length === 5, { timeout: 10000, interval: 200 });
    expect(rows.map((r) => r.cache)).toEqual(["hit", "hit", "hit", "hit", "miss"]);
    expect(rows.filter((r) => Number(r.read_rows) > 0)).toHaveLength(1);
  });

  it("concurrent calls waiting on a read that fails read for themselves: each answers the error, none is a hit", async () => {
    const count = data(await call("/v0/pipes/uncached.json"))[0].c as number;
    const path = `/v0/pipes/at_least.json?lowest=${count + 1000}`;
    const calls = await Promise.all(Array.from({ length: 4 }, () => call(path)));
    expect(calls.map((c) => c.status)).toEqual([400, 400, 400, 400]);
    expect(calls.map((c) => c.cache)).toEqual([null, null, null, null]);
    for (const c of calls) expect(c.body.error).toMatch(/not enough rows/);
    // A liveness bound, not a speed figure: waiters left on an abandoned read would hang for the read's
    // whole budget (TERN_QUERY_TIMEOUT_SECONDS + 2 = 12 s) before reading for themselves.
  }, 6000);

  it("hits appear in pipe_stats_rt, marked in parameters['__tb__cache'], with no rows read", async () => {
    const path = "/v0/pipes/by_tenant.json?tenant=globex&lowest=6";
    await call(path);
    await untilHit(path);
    const sql = encodeURIComponent(
      "SELECT parameters['__tb__cache'] AS cache, read_rows, result_rows, status_code FROM tinybird.pipe_stats_rt " +
        "WHERE pipe_name = 'by_tenant' AND parameters['lowest'] = '6' ORDER BY start_datetime, cache DESC FORMAT JSON",
    );
    let rows: any[] = [];
    await vi.waitUntil(
      async () => {
        rows = data(await call(`/v0/sql?q=${sql}`));
        return rows.some((r) => r.cache === "hit");
      },
      { timeout: 10000, interval: 200 },
    );
    const miss = rows.find((r) => r.cache === "miss");
    const hit = rows.find((r) => r.cache === "hit");
    expect(miss).toMatchObject({ status_code: 200, result_rows: 1 });
    expect(Number(miss.read_rows)).toBeGreaterThan(0);
    expect(hit).toMatchObject({ status_code: 200, result_rows: 1 });
    expect(Number(hit.read_rows)).toBe(0);
  });
});
