// The Pipes API shows copy and sink pipes with Tinybird's fields for them
// (http-api.md §3.3–3.5): a copy's target, node, mode and schedule; a sink's
// node and schedule, and its node's export settings; the schedule's status
// following /copy/pause and /copy/resume. `tern copy ls` and `tern sink ls`
// read these, and nothing else; Tinybird's `tb copy ls` and `tb sink ls` also
// read each pipe's `updated_at`, and `tb job ls -s` offers one status more than
// Tern's jobs take (test/e2e/tb-copies-sinks.test.ts drives tb itself).
import { createExecutionContext, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { platformFor } from "../../workers/platform/platform.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { EVENTS_DATASOURCE, S3_CONNECTION, sinkPipe } from "./helpers/sinks.js";

const TOTALS = `SCHEMA >
    \`customer\` String,
    \`total\` UInt64

ENGINE "MergeTree"
ENGINE_SORTING_KEY "customer"
`;

const copyPipe = (directives: string) =>
  `NODE totals\nSQL >\n    SELECT customer, sum(n) AS total FROM events GROUP BY customer\n\nTYPE COPY\nTARGET_DATASOURCE totals\n${directives}\n`;

const FILES = {
  "events.datasource": EVENTS_DATASOURCE,
  "totals.datasource": TOTALS,
  "hourly_totals.pipe": copyPipe("COPY_SCHEDULE 0 * * * *\nCOPY_MODE replace"),
  "adhoc_totals.pipe": copyPipe(""),
  "after_totals.pipe": copyPipe("COPY_AFTER hourly_totals"),
  "bucket.connection": S3_CONNECTION,
  "daily_export.pipe": sinkPipe("SELECT customer, n FROM events", [
    "EXPORT_CONNECTION_NAME bucket",
    "EXPORT_BUCKET_URI s3://tern-test/pipes-api/",
    "EXPORT_FILE_TEMPLATE daily_{date}",
    "EXPORT_FORMAT ndjson",
    "EXPORT_COMPRESSION gzip",
    "EXPORT_SCHEDULE 0 2 * * *",
  ]),
  "adhoc_export.pipe": sinkPipe("SELECT customer FROM events", ["EXPORT_CONNECTION_NAME bucket", "EXPORT_BUCKET_URI s3://tern-test/pipes-api/", "EXPORT_FILE_TEMPLATE adhoc"]),
};

type PipeJson = Record<string, unknown> & { name: string; nodes: Array<Record<string, unknown>> };

let ws: { id: string; token: string };

async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await api(path, { ...init, token: ws.token });
  if (res.status !== 200) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

const pipe = (name: string) => getJson<PipeJson>(`/v0/pipes/${name}`);

beforeAll(async () => {
  ws = await createWorkspace("pipescopies");
  const res = await deploy(FILES, "auto_promote=true", ws.token);
  if (res.status !== 200) throw new Error(`deploy: ${res.status} ${JSON.stringify(res.body)}`);
});

describe("Pipes API: copy pipes", () => {
  it("a scheduled copy: target, node, mode, schedule and a running cron in UTC", async () => {
    expect(await pipe("hourly_totals")).toMatchObject({
      type: "copy",
      copy_target_datasource: "totals",
      copy_node: "totals",
      copy_mode: "replace",
      copy_schedule: "0 * * * *",
      schedule: { timezone: "Etc/UTC", cron: "0 * * * *", status: "running" },
    });
  });

  it("an on-demand copy has no cron; a COPY_AFTER copy names its upstreams", async () => {
    expect(await pipe("adhoc_totals")).toMatchObject({
      copy_mode: "append",
      copy_schedule: "@on-demand",
      schedule: { timezone: "Etc/UTC", cron: null, status: "on-demand" },
    });
    expect(await pipe("after_totals")).toMatchObject({ copy_after: ["hourly_totals"], schedule: { cron: null, status: "on-demand" } });
  });

  it("the list shows the same fields, and no copy or sink fields on other pipes' entries", async () => {
    const { pipes } = await getJson<{ pipes: PipeJson[] }>("/v0/pipes");
    const byName = new Map(pipes.map((p) => [p.name, p]));
    const { params: _params, nodes: _nodes, ...described } = await pipe("hourly_totals");
    const { nodes: _listed, ...listed } = byName.get("hourly_totals")!;
    expect(listed).toEqual(described);
    expect(Object.keys(byName.get("daily_export")!)).not.toContain("copy_schedule");
    expect(Object.keys(byName.get("hourly_totals")!)).not.toContain("sink_node");
  });

  it("pausing shows status paused, in the list and in the pipe, as the pause answer says; resuming shows running again", async () => {
    const paused = await getJson<{ schedule: unknown }>("/v0/pipes/hourly_totals/copy/pause", { method: "POST" });
    expect(paused.schedule).toEqual({ timezone: "Etc/UTC", cron: "0 * * * *", status: "paused" });
    expect((await pipe("hourly_totals")).schedule).toEqual(paused.schedule);
    const { pipes } = await getJson<{ pipes: PipeJson[] }>("/v0/pipes");
    expect(pipes.find((p) => p.name === "hourly_totals")!.schedule).toEqual(paused.schedule);
    // Pausing one copy pauses no other pipe.
    expect(pipes.filter((p) => (p.schedule as { status?: string } | undefined)?.status === "paused").map((p) => p.name)).toEqual(["hourly_totals"]);

    const resumed = await getJson<{ schedule: unknown }>("/v0/pipes/hourly_totals/copy/resume", { method: "POST" });
    expect(resumed.schedule).toEqual({ timezone: "Etc/UTC", cron: "0 * * * *", status: "running" });
    expect((await pipe("hourly_totals")).schedule).toEqual(resumed.schedule);
  });
});

describe("Pipes API: every pipe's times", () => {
  it("created_at and updated_at are the live deployment's, written as Tinybird's (UTC, microseconds), in the list and in each pipe", async () => {
    const { deployments } = await getJson<{ deployments: Array<{ live: boolean; created_at: string; updated_at: string }> }>("/v1/deployments");
    const live = deployments.find((d) => d.live)!;
    const micro = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
    expect(live.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const times = { created_at: micro(live.created_at), updated_at: micro(live.updated_at) };
    const { pipes } = await getJson<{ pipes: PipeJson[] }>("/v0/pipes");
    expect(pipes.map((p) => [p.name, p.created_at, p.updated_at])).toEqual(pipes.map((p) => [p.name, times.created_at, times.updated_at]));
    expect(pipes.length).toBe(Object.keys(FILES).filter((f) => f.endsWith(".pipe")).length);
    expect(await pipe("daily_export")).toMatchObject(times);
    // What tb shows of it: all but the last 7 characters.
    expect(times.updated_at.slice(0, -7)).toBe(live.updated_at.slice(0, 19).replace("T", " "));
  });
});

describe("Pipes API: sink pipes", () => {
  it("a scheduled sink: its node, its schedule, and the node's export settings (no credentials)", async () => {
    const sink = await pipe("daily_export");
    expect(sink).toMatchObject({ type: "sink", sink_node: "export", schedule: { timezone: "Etc/UTC", cron: "0 2 * * *", status: "running" } });
    expect(sink.nodes).toEqual([
      expect.objectContaining({
        name: "export",
        node_type: "sink",
        export_connection_name: "bucket",
        export_bucket_uri: "s3://tern-test/pipes-api/",
        export_file_template: "daily_{date}",
        export_format: "ndjson",
        export_compression: "gzip",
        export_write_strategy: "new",
        export_schedule: "0 2 * * *",
      }),
    ]);
    expect(JSON.stringify(sink)).not.toMatch(/TEST_S3|S3_SECRET|S3_ACCESS_KEY/);
  });

  it("an on-demand sink takes the defaults: csv, no compression, strategy new", async () => {
    const sink = await pipe("adhoc_export");
    expect(sink.schedule).toEqual({ timezone: "Etc/UTC", cron: null, status: "on-demand" });
    expect(sink.nodes[0]).toMatchObject({ export_format: "csv", export_compression: "none", export_write_strategy: "new", export_schedule: "@on-demand" });
  });
});

describe("Copy Pipes API: the run answer", () => {
  it("names the target under tags, where `tb copy run` reads it", async () => {
    const run = await getJson<{ id: string; tags: unknown }>("/v0/pipes/adhoc_totals/copy", { method: "POST" });
    expect(run.tags).toEqual({ copy_target_datasource: "totals", copy_target_workspace: ws.id });
    // The target it names is one the Data Sources API finds, as tb looks it up next.
    expect(await getJson<{ name: string }>("/v0/datasources/totals")).toMatchObject({ name: "totals" });
  });
});

describe("Jobs API: the statuses `tb job ls -s` offers", () => {
  it("status=cancelling answers no jobs (a cancel ends a job cancelled at once), where cancelled finds the job", async () => {
    const catalog = platformFor(env, createExecutionContext()).catalog.workspace(ws.id);
    const limits = { kinds: ["copy"], maxUnfinished: 10, staleAfterMs: 300_000 };
    const run = await catalog.beginRun({ id: crypto.randomUUID(), kind: "copy", pipe: "never_queued", details: {} }, limits);
    await catalog.cancelJob(run.id);
    const list = (status: string) => getJson<{ jobs: Array<{ id: string; status: string }> }>(`/v0/jobs?status=${status}`);
    expect(await list("cancelling")).toEqual({ jobs: [] });
    expect((await list("cancelled")).jobs.map((j) => [j.id, j.status])).toContainEqual([run.id, "cancelled"]);
    const bad = await api("/v0/jobs?status=stuck", { token: ws.token });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "status must be waiting, working, done, error, cancelling or cancelled" });
  });
});
