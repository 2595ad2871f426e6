// Tinybird's TypeScript SDK (@tinybirdco/sdk) end to end against `npm run dev`,
// changing only host and token: a typed project (defineDatasource /
// defineEndpoint / defineMaterializedView / defineToken) deployed by the SDK's
// own CLI, then its runtime client ingesting (ingest, ingestBatch, client.ingest,
// wait true/false), querying, appending files, deleting and truncating.
import { execFile } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "@tinybirdco/sdk";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { REPO_ROOT } from "./helpers/dev-platform.js";
import { sharedWorkspace, type SharedWorkspace } from "./helpers/shared-workspace.js";

const PROJECT = `import { defineDatasource, defineEndpoint, defineMaterializedView, defineToken, node, t, p, engine } from "@tinybirdco/sdk";

export const appendToken = defineToken("e2e_append");

export const pageViews = defineDatasource("page_views", {
  description: "Page views",
  schema: {
    timestamp: t.dateTime(),
    pathname: t.string(),
    session_id: t.string(),
    country: t.string().lowCardinality().nullable(),
    duration_ms: t.uint32().default(0),
    tags: t.array(t.string()),
  },
  engine: engine.mergeTree({ sortingKey: ["pathname", "timestamp"], partitionKey: "toYYYYMM(timestamp)" }),
  tokens: [{ token: appendToken, scope: "APPEND" }],
});

export const dailyViews = defineDatasource("daily_views", {
  schema: { day: t.date(), pathname: t.string(), views: t.simpleAggregateFunction("sum", t.uint64()) },
  engine: engine.aggregatingMergeTree({ sortingKey: ["day", "pathname"] }),
});

export const dailyViewsMv = defineMaterializedView("daily_views_mv", {
  datasource: dailyViews,
  nodes: [node({ name: "agg", sql: "SELECT toDate(timestamp) AS day, pathname, count() AS views FROM page_views GROUP BY day, pathname" })],
});

export const topPages = defineEndpoint("top_pages", {
  params: { country: p.string().optional(), limit: p.int32().optional(10) },
  nodes: [
    node({
      name: "endpoint",
      sql: \`SELECT pathname, count() AS views FROM page_views
        {% if defined(country) %} WHERE country = {{String(country)}} {% end %}
        GROUP BY pathname ORDER BY views DESC, pathname LIMIT {{Int32(limit, 10)}}\`,
    }),
  ],
  output: { pathname: t.string(), views: t.uint64() },
});
`;

const run = promisify(execFile);
let platform: SharedWorkspace;
let baseUrl: string;
let token: string;
let dir: string;
/** The project module, imported from the temp folder the CLI deployed. */
let project: Record<string, any>;

function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TINYBIRD_URL: baseUrl, TINYBIRD_TOKEN: token, NO_COLOR: "1", FORCE_COLOR: "0" };
  delete env.TINYBIRD_BRANCH_TOKEN; // the SDK prefers it over everything
  return env;
}

async function tinybird(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(join(REPO_ROOT, "node_modules", ".bin", "tinybird"), args, { cwd: dir, env: cliEnv(), timeout: 90_000 });
    return { code: 0, out: stdout + stderr };
  } catch (e: any) {
    return { code: e.code ?? 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

async function get(path: string): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
}

beforeAll(async () => {
  platform = await sharedWorkspace("e2e_sdk");
  baseUrl = `http://127.0.0.1:${platform.port}`;
  token = platform.adminToken;
  dir = await mkdtemp(join(tmpdir(), "tern-e2e-sdk-"));
  // The CLI bundles src/*.ts with @tinybirdco/sdk external: it must resolve from the folder.
  await symlink(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  await mkdir(join(dir, "src"));
  await writeFile(join(dir, "src", "tinybird.ts"), PROJECT);
  await writeFile(join(dir, "tinybird.config.json"), JSON.stringify({ include: ["src/tinybird.ts"], token: "${TINYBIRD_TOKEN}", baseUrl: "${TINYBIRD_URL}" }));
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("tinybird deploy (the SDK's CLI)", () => {
  it("deploys the typed project and makes it live", async () => {
    const { code, out } = await tinybird("deploy");
    expect(code, out).toBe(0);
    expect(out).toMatch(/Deployment #1 is live/);
    const { deployments } = await get("/v1/deployments");
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatchObject({
      id: "1",
      status: "data_ready",
      live: true,
      new_datasource_names: ["daily_views", "page_views"],
      new_pipe_names: ["daily_views_mv", "top_pages"],
    });
    const { datasources } = await get("/v0/datasources");
    expect(datasources.map((d: any) => d.name).sort()).toEqual(["daily_views", "page_views"]);
    const pageViews = datasources.find((d: any) => d.name === "page_views");
    expect(pageViews.schema.columns.map((c: any) => `${c.name} ${c.type}`)).toEqual([
      "timestamp DateTime",
      "pathname String",
      "session_id String",
      "country LowCardinality(Nullable(String))",
      "duration_ms UInt32",
      "tags Array(String)",
    ]);
    const { tokens } = await get("/v0/tokens");
    expect(tokens.find((t: any) => t.name === "e2e_append")?.scopes).toEqual([{ type: "DATASOURCES:APPEND", resource: "page_views" }]);
  }, 120_000);

  it("reports no changes on a second deploy", async () => {
    const { code, out } = await tinybird("deploy");
    expect(code, out).toBe(0);
    expect(out).toMatch(/No changes/i);
    const { deployments } = await get("/v1/deployments");
    expect(deployments.map((d: any) => [d.id, d.live])).toEqual([["1", true]]);
  }, 120_000);

  it("validates with deploy --check without deploying", async () => {
    const { code, out } = await tinybird("deploy", "--check");
    expect(code, out).toBe(0);
    const { deployments } = await get("/v1/deployments");
    expect(deployments.map((d: any) => [d.id, d.live])).toEqual([["1", true]]);
  }, 120_000);
});

const row = (session: string, timestamp: string, pathname: string, country: string | null, duration: number, tags: string[]) => ({
  timestamp,
  pathname,
  session_id: session,
  country,
  duration_ms: duration,
  tags,
});

describe("the SDK's runtime client", () => {
  let tb: any;
  const client = () => createClient({ baseUrl, token, devMode: false });

  beforeAll(async () => {
    project = await import(join(dir, "src", "tinybird.ts"));
    const { Tinybird } = await import("@tinybirdco/sdk");
    tb = new Tinybird({
      datasources: { pageViews: project.pageViews, dailyViews: project.dailyViews },
      pipes: { topPages: project.topPages },
      baseUrl,
      token,
      devMode: false,
    });
  });

  it("ingests with ingest, ingestBatch and client.ingest, waiting or not", async () => {
    expect(await tb.pageViews.ingest(row("s1", "2026-01-01 10:00:00", "/a", "ES", 5, ["x"]))).toEqual({ successful_rows: 1, quarantined_rows: 0 });
    // A missing key takes the column DEFAULT; ISO timestamps are accepted.
    const { duration_ms: _omitted, ...noDuration } = row("s2", "2026-01-01 11:00:00", "/b", null, 0, []);
    expect(await tb.pageViews.ingestBatch([noDuration, row("s3", "2026-01-01T12:00:00.000Z", "/a", "FR", 7, ["y", "z"])])).toEqual({
      successful_rows: 2,
      quarantined_rows: 0,
    });
    expect(await tb.pageViews.ingestBatch([row("s4", "2026-01-02 10:00:00", "/c", "ES", 1, [])], { wait: false })).toMatchObject({ successful_rows: 1 });
    expect(await client().ingest("page_views", row("s5", "2026-01-02 11:00:00", "/c", "DE", 2, ["q"]))).toEqual({ successful_rows: 1, quarantined_rows: 0 });
    expect(await client().ingest("page_views", row("s6", "2026-01-02 12:00:00", "/d", "DE", 3, []), { wait: false })).toMatchObject({ successful_rows: 1 });
    // The project's APPEND token (defineToken) works for ingest too.
    const { tokens } = await get("/v0/tokens");
    const appendToken = tokens.find((t: any) => t.name === "e2e_append").token;
    const appender = createClient({ baseUrl, token: appendToken, devMode: false });
    expect(await appender.ingest("page_views", row("s7", "2026-01-03 09:00:00", "/a", "PT", 4, []))).toEqual({ successful_rows: 1, quarantined_rows: 0 });

    const rows = await vi.waitUntil(
      async () => {
        const r = await tb.sql("SELECT * FROM page_views ORDER BY session_id");
        return r.data.length === 7 ? r.data : undefined;
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(rows).toEqual([
      row("s1", "2026-01-01 10:00:00", "/a", "ES", 5, ["x"]),
      row("s2", "2026-01-01 11:00:00", "/b", null, 0, []),
      row("s3", "2026-01-01 12:00:00", "/a", "FR", 7, ["y", "z"]),
      row("s4", "2026-01-02 10:00:00", "/c", "ES", 1, []),
      row("s5", "2026-01-02 11:00:00", "/c", "DE", 2, ["q"]),
      row("s6", "2026-01-02 12:00:00", "/d", "DE", 3, []),
      row("s7", "2026-01-03 09:00:00", "/a", "PT", 4, []),
    ]);
  });

  it("reads the materialized view and queries the endpoint", async () => {
    const mv = await client().sql("SELECT day, pathname, sum(views) AS views FROM daily_views GROUP BY day, pathname ORDER BY day, pathname");
    expect(mv.data).toEqual([
      { day: "2026-01-01", pathname: "/a", views: 2 },
      { day: "2026-01-01", pathname: "/b", views: 1 },
      { day: "2026-01-02", pathname: "/c", views: 2 },
      { day: "2026-01-02", pathname: "/d", views: 1 },
      { day: "2026-01-03", pathname: "/a", views: 1 },
    ]);
    const top = await tb.topPages.query({ limit: 2 });
    expect(top.data).toEqual([
      { pathname: "/a", views: 3 },
      { pathname: "/c", views: 2 },
    ]);
    expect((await tb.topPages.query({ country: "DE" })).data).toEqual([
      { pathname: "/c", views: 1 },
      { pathname: "/d", views: 1 },
    ]);
  });

  it("quarantines a row that does not fit and says so", async () => {
    expect(await tb.pageViews.ingest({ timestamp: "not a date", pathname: "/x", session_id: "bad", tags: [] })).toEqual({ successful_rows: 0, quarantined_rows: 1 });
    const q = await tb.sql("SELECT session_id, c__error_column FROM page_views_quarantine");
    expect(q.data).toEqual([{ session_id: "bad", c__error_column: ["timestamp"] }]);
  });

  it("appends CSV and NDJSON files with datasource.append({file})", async () => {
    const csv = join(dir, "more.csv");
    await writeFile(csv, `2026-01-04 10:00:00,/e,s8,IT,4,"['a']"\n2026-01-04 11:00:00,/e,s9,,5,[]\n`);
    expect(await tb.pageViews.append({ file: csv })).toMatchObject({ successful_rows: 2, quarantined_rows: 0 });
    const ndjson = join(dir, "more.ndjson");
    await writeFile(ndjson, `${JSON.stringify(row("s10", "2026-01-05 10:00:00", "/f", "PT", 9, ["n"]))}\n`);
    expect(await tb.pageViews.append({ file: ndjson })).toMatchObject({ successful_rows: 1, quarantined_rows: 0 });
    const added = await tb.sql("SELECT session_id, pathname, country, duration_ms, tags FROM page_views WHERE timestamp >= '2026-01-04' ORDER BY timestamp");
    expect(added.data).toEqual([
      { session_id: "s8", pathname: "/e", country: "IT", duration_ms: 4, tags: ["a"] },
      { session_id: "s9", pathname: "/e", country: "", duration_ms: 5, tags: [] },
      { session_id: "s10", pathname: "/f", country: "PT", duration_ms: 9, tags: ["n"] },
    ]);
  });

  it("deletes with a condition (dry run first) and truncates", async () => {
    expect(await tb.pageViews.delete({ deleteCondition: "pathname = '/e'", dryRun: true })).toEqual({ rows_to_be_deleted: 2 });
    const job = await tb.pageViews.delete({ deleteCondition: "pathname = '/e'" });
    expect(job).toMatchObject({ job_id: expect.any(String), delete_id: expect.any(String), job_url: expect.stringContaining("/v0/jobs/") });
    await vi.waitUntil(async () => (await get(`/v0/jobs/${job.job_id}`)).status === "done", { timeout: 15_000, interval: 200 });
    expect((await tb.sql("SELECT count() AS c, countIf(pathname = '/e') AS e FROM page_views")).data).toEqual([{ c: 8, e: 0 }]);

    await tb.pageViews.truncate();
    expect((await tb.sql("SELECT count() AS c FROM page_views")).data).toEqual([{ c: 0 }]);
  });
});

describe("tinybird deploy of a change", () => {
  it("deploys a changed endpoint as a new live deployment", async () => {
    await writeFile(join(dir, "src", "tinybird.ts"), PROJECT.replace("{{Int32(limit, 10)}}", "{{Int32(limit, 1)}}"));
    const { code, out } = await tinybird("deploy");
    expect(code, out).toBe(0);
    expect(out).toMatch(/modified\s*│\s*top_pages/);
    const { deployments } = await get("/v1/deployments");
    const live = deployments.filter((d: any) => d.live);
    expect(live).toEqual([expect.objectContaining({ id: "2", changed_pipe_names: ["top_pages"], new_pipe_names: [], new_datasource_names: [] })]);
    const c = createClient({ baseUrl, token, devMode: false });
    await c.ingestBatch("page_views", [row("s11", "2026-01-06 10:00:00", "/g", "ES", 1, []), row("s12", "2026-01-06 11:00:00", "/g", "ES", 1, []), row("s13", "2026-01-06 12:00:00", "/h", "ES", 1, [])]);
    // The new default LIMIT 1 is live.
    expect((await c.query("top_pages", {})).data).toEqual([{ pathname: "/g", views: 2 }]);
  }, 120_000);
});
