// Copies and sinks on a schedule, end to end against `npm run dev`: a project with
// an hourly copy (hourly page views, appended, over the hour before its fire
// time) and two daily sinks of the day before (CSV into the local S3 server,
// NDJSON into the Worker's R2 bucket). Events go in over /v0/events; the clock
// moves by firing the Worker's cron tick at chosen times through local mode's
// `POST /local/scheduled?time=<ms>` (the same runScheduler as scheduled(); the
// time becomes the tick's scheduledTime, the scheduler's "now"). What the runs wrote is
// read back as a user would: the copied rows over /v0/sql, the files from the
// S3 server (signed S3 API) and from wrangler's local R2 (its explorer API).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployFiles } from "./helpers/deploy-files.js";
import { startDevPlatform, type DevPlatform } from "./helpers/dev-platform.js";
import { localS3From, r2Keys, r2Object, s3Keys, s3Object, type LocalS3 } from "./helpers/sink-files.js";

const DAY = "2026-03-10";
const NEXT_DAY = "2026-03-11";

const PROJECT: Record<string, string> = {
  "page_views.datasource": [
    "SCHEMA >",
    "    `ts` DateTime `json:$.ts`,",
    "    `page` String `json:$.page`",
    "",
    'ENGINE "MergeTree"',
    'ENGINE_SORTING_KEY "ts"',
    "",
  ].join("\n"),
  "hourly_page_views.datasource": [
    "SCHEMA >",
    "    `hour` DateTime,",
    "    `page` String,",
    "    `views` UInt64",
    "",
    'ENGINE "MergeTree"',
    'ENGINE_SORTING_KEY "hour, page"',
    "",
  ].join("\n"),
  // The hour before the fire time: job_timestamp is the cron's fire time.
  "hourly_views.pipe": [
    "NODE hourly",
    "SQL >",
    "    %",
    "    SELECT toStartOfHour(ts) AS hour, page, count() AS views",
    "    FROM page_views",
    "    WHERE ts >= {{ DateTime(job_timestamp, '2026-01-01 00:00:00') }} - INTERVAL 1 HOUR",
    "      AND ts < {{ DateTime(job_timestamp, '2026-01-01 00:00:00') }}",
    "    GROUP BY hour, page",
    "",
    "TYPE COPY",
    "TARGET_DATASOURCE hourly_page_views",
    "COPY_SCHEDULE 0 * * * *",
    "COPY_MODE append",
    "",
  ].join("\n"),
  "local_s3.connection": [
    "TYPE s3",
    "S3_REGION us-east-1",
    'S3_ACCESS_KEY {{ tb_secret("S3_ACCESS_KEY") }}',
    'S3_SECRET {{ tb_secret("S3_SECRET") }}',
    "",
  ].join("\n"),
  "own_r2.connection": "TYPE r2\n",
  "daily_export.pipe": dailySink(["EXPORT_CONNECTION_NAME local_s3", "EXPORT_BUCKET_URI s3://tern-local/e2e/daily/", "EXPORT_FORMAT csv"]),
  "daily_export_r2.pipe": dailySink(["EXPORT_CONNECTION_NAME own_r2", "EXPORT_BUCKET_URI r2://tern-sinks/e2e/daily/", "EXPORT_FORMAT ndjson"]),
};

/** A sink of the hourly totals of the day before its fire time, at midnight UTC, one file per run named after it. */
function dailySink(target: string[]): string {
  return [
    "NODE daily",
    "SQL >",
    "    %",
    "    SELECT hour, page, views FROM hourly_page_views",
    "    WHERE toDate(hour) = toDate({{ DateTime(job_timestamp, '2026-01-01 00:00:00') }}) - 1",
    "    ORDER BY hour, page",
    "",
    "TYPE SINK",
    ...target,
    "EXPORT_FILE_TEMPLATE views_{date}",
    "EXPORT_SCHEDULE 0 0 * * *",
    "",
  ].join("\n");
}

// 08:30 is in no window the test fires; 11:15 is after the last hourly one.
const EVENTS = [
  { ts: `${DAY} 08:30:00`, page: "/" },
  { ts: `${DAY} 09:05:00`, page: "/" },
  { ts: `${DAY} 09:20:00`, page: "/" },
  { ts: `${DAY} 09:40:00`, page: "/pricing" },
  { ts: `${DAY} 09:59:59`, page: "/docs" },
  { ts: `${DAY} 10:00:00`, page: "/" },
  { ts: `${DAY} 10:50:00`, page: "/docs" },
  { ts: `${DAY} 11:15:00`, page: "/" },
];

interface Job {
  id: string;
  kind: string;
  status: string;
  pipe_name?: string;
  statistics?: { rows?: number; mode?: string };
  error?: string;
}

let platform: DevPlatform;
let s3: LocalS3;
let workspaceId: string;

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${platform.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${platform.adminToken}`, ...init.headers } });
}

async function apiJson<T>(path: string): Promise<T> {
  const res = await api(path);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Polls `probe` until it returns something other than undefined. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The Worker's cron tick as if the clock read `iso` (local mode's trigger; answers once the tick is done). */
async function fireCron(iso: string): Promise<void> {
  const res = await fetch(`${platform.baseUrl}/local/scheduled?time=${Date.parse(iso)}`, { method: "POST" });
  expect({ status: res.status, body: (await res.json()) as { scheduled_time: string } }, `tick at ${iso}`).toMatchObject({ status: 200, body: { scheduled_time: new Date(iso).toISOString() } });
}

/** The jobs of `pipe`, oldest first. */
async function jobsOf(pipe: string): Promise<Job[]> {
  const { jobs } = await apiJson<{ jobs: Job[] }>(`/v0/jobs?pipe_name=${pipe}`);
  return jobs.filter((j) => j.pipe_name === pipe).reverse();
}

/** Waits for a job to end and answers it. */
async function ended(id: string): Promise<Job> {
  return until(`job ${id} to end`, async () => {
    const job = await apiJson<Job>(`/v0/jobs/${id}`);
    return job.status === "waiting" || job.status === "working" ? undefined : job;
  });
}

async function sql<T>(query: string): Promise<T[]> {
  const { data } = await apiJson<{ data: T[] }>(`/v0/sql?q=${encodeURIComponent(`${query} FORMAT JSON`)}`);
  return data;
}

const copied = () => sql<{ hour: string; page: string; views: number }>("SELECT toString(hour) AS hour, page, toUInt32(views) AS views FROM hourly_page_views ORDER BY hour, page");

beforeAll(async () => {
  platform = await startDevPlatform();
  s3 = localS3From(platform.output());
  const ws = /^ {2}Workspace: +\S+ \((\S+)\)$/m.exec(platform.output());
  if (!ws) throw new Error(`npm run dev printed no workspace line:\n${platform.output()}`);
  workspaceId = ws[1]!;
  await deployFiles(platform, PROJECT);
  const res = await api("/v0/events?name=page_views&wait=true", {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: EVENTS.map((e) => JSON.stringify(e)).join("\n"),
  });
  expect(res.status, await res.text()).toBe(200);
}, 240_000);

afterAll(async () => {
  await platform?.stop();
});

describe("an hourly copy and two daily sinks on the Worker's cron, with the clock moved", () => {
  it("a tick at 10:00 runs the copy once, over 09:00-10:00; the sinks wait for midnight", async () => {
    expect(await jobsOf("hourly_views")).toEqual([]);
    await fireCron(`${DAY}T10:00:00Z`);
    // The trigger answers once scheduled() and its waitUntil have finished, so the
    // job is there at once: this is what lets the ticks below that must run
    // nothing be checked right after they answer.
    const [job, ...more] = await jobsOf("hourly_views");
    expect(job).toMatchObject({ kind: "copy", pipe_name: "hourly_views" });
    expect(more).toEqual([]);
    expect(await ended(job!.id)).toMatchObject({ kind: "copy", status: "done", statistics: { rows: 3, mode: "append" } });
    expect(await copied()).toEqual([
      { hour: `${DAY} 09:00:00`, page: "/", views: 2 },
      { hour: `${DAY} 09:00:00`, page: "/docs", views: 1 },
      { hour: `${DAY} 09:00:00`, page: "/pricing", views: 1 },
    ]);
    expect(await jobsOf("daily_export")).toEqual([]);
    expect(await jobsOf("daily_export_r2")).toEqual([]);
  }, 180_000);

  it("a tick at 10:30 runs nothing; the tick at 11:00 appends 10:00-11:00, and the same tick again runs nothing", async () => {
    await fireCron(`${DAY}T10:30:00Z`);
    expect(await jobsOf("hourly_views")).toHaveLength(1);
    await fireCron(`${DAY}T11:00:00Z`);
    const jobs = await jobsOf("hourly_views");
    expect(jobs).toHaveLength(2);
    expect(await ended(jobs[1]!.id)).toMatchObject({ kind: "copy", status: "done", statistics: { rows: 2, mode: "append" } });
    await fireCron(`${DAY}T11:00:00Z`);
    await fireCron(`${DAY}T11:00:30Z`);
    expect(await jobsOf("hourly_views")).toHaveLength(2);
    expect(await copied()).toEqual([
      { hour: `${DAY} 09:00:00`, page: "/", views: 2 },
      { hour: `${DAY} 09:00:00`, page: "/docs", views: 1 },
      { hour: `${DAY} 09:00:00`, page: "/pricing", views: 1 },
      { hour: `${DAY} 10:00:00`, page: "/", views: 1 },
      { hour: `${DAY} 10:00:00`, page: "/docs", views: 1 },
    ]);
  }, 180_000);

  it("the tick at 00:00 the next day runs both sinks once (and the copy, caught up once for the missed hours)", async () => {
    await fireCron(`${NEXT_DAY}T00:00:00Z`);
    const [s3Job, r2Job, copyJobs] = await Promise.all([jobsOf("daily_export"), jobsOf("daily_export_r2"), jobsOf("hourly_views")]);
    expect(s3Job).toHaveLength(1);
    expect(r2Job).toHaveLength(1);
    expect(copyJobs).toHaveLength(3);
    expect(await ended(s3Job[0]!.id)).toMatchObject({ kind: "sink", status: "done", statistics: { rows: 5 } });
    expect(await ended(r2Job[0]!.id)).toMatchObject({ kind: "sink", status: "done", statistics: { rows: 5 } });
    // 23:00-00:00 held no events: the copy ran and appended nothing.
    expect(await ended(copyJobs[2]!.id)).toMatchObject({ kind: "copy", status: "done", statistics: { rows: 0 } });
    expect(await copied()).toHaveLength(5);

    const { jobs } = await apiJson<{ jobs: Job[] }>("/v0/jobs");
    expect(jobs.filter((j) => j.pipe_name).map((j) => [j.pipe_name, j.kind, j.status]).sort()).toEqual([
      ["daily_export", "sink", "done"],
      ["daily_export_r2", "sink", "done"],
      ["hourly_views", "copy", "done"],
      ["hourly_views", "copy", "done"],
      ["hourly_views", "copy", "done"],
    ]);
  }, 180_000);

  it("tinybird.jobs_log names each run's fire time as its job_timestamp", async () => {
    const query =
      "SELECT JSONExtractString(job_metadata, 'job_timestamp') AS fired, pipe_name, job_type, status, toUInt32(rows) AS rows," +
      " JSONExtractString(job_metadata, 'trigger') AS trigger FROM tinybird.jobs_log ORDER BY fired, pipe_name";
    // The service logs are written in batches: poll until the five runs are there.
    const log = await until("five rows in tinybird.jobs_log", async () => {
      const rows = await sql<Record<string, unknown>>(query);
      return rows.length >= 5 ? rows : undefined;
    });
    expect(log).toEqual([
      { fired: `${DAY}T10:00:00.000Z`, pipe_name: "hourly_views", job_type: "copy", status: "done", rows: 3, trigger: "schedule" },
      { fired: `${DAY}T11:00:00.000Z`, pipe_name: "hourly_views", job_type: "copy", status: "done", rows: 2, trigger: "schedule" },
      { fired: `${NEXT_DAY}T00:00:00.000Z`, pipe_name: "daily_export", job_type: "sink", status: "done", rows: 5, trigger: "schedule" },
      { fired: `${NEXT_DAY}T00:00:00.000Z`, pipe_name: "daily_export_r2", job_type: "sink", status: "done", rows: 5, trigger: "schedule" },
      { fired: `${NEXT_DAY}T00:00:00.000Z`, pipe_name: "hourly_views", job_type: "copy", status: "done", rows: 0, trigger: "schedule" },
    ]);
  }, 180_000);

  it("the S3 sink wrote one CSV named after its fire time's date, with the day's hourly totals", async () => {
    expect(await s3Keys(s3, "e2e/")).toEqual([`e2e/daily/views_${NEXT_DAY}.csv`]);
    expect((await s3Object(s3, `e2e/daily/views_${NEXT_DAY}.csv`)).toString("utf8")).toBe(
      [
        '"hour","page","views"',
        `"${DAY} 09:00:00","/",2`,
        `"${DAY} 09:00:00","/docs",1`,
        `"${DAY} 09:00:00","/pricing",1`,
        `"${DAY} 10:00:00","/",1`,
        `"${DAY} 10:00:00","/docs",1`,
        "",
      ].join("\n"),
    );
  });

  it("the R2 sink wrote one NDJSON file under the workspace's prefix in the Worker's bucket", async () => {
    const prefix = `sinks/${workspaceId}/e2e/`;
    expect(await r2Keys(platform.baseUrl, "tern-sinks", prefix)).toEqual([`${prefix}daily/views_${NEXT_DAY}.ndjson`]);
    const rows = [
      { hour: `${DAY} 09:00:00`, page: "/", views: 2 },
      { hour: `${DAY} 09:00:00`, page: "/docs", views: 1 },
      { hour: `${DAY} 09:00:00`, page: "/pricing", views: 1 },
      { hour: `${DAY} 10:00:00`, page: "/", views: 1 },
      { hour: `${DAY} 10:00:00`, page: "/docs", views: 1 },
    ];
    const text = (await r2Object(platform.baseUrl, "tern-sinks", `${prefix}daily/views_${NEXT_DAY}.ndjson`)).toString("utf8");
    // ClickHouse's JSONEachRow writes "/" as "\/" (valid JSON; its default output_format_json_escape_forward_slashes).
    expect(text).toBe(rows.map((r) => `${JSON.stringify(r).replaceAll("/", "\\/")}\n`).join(""));
    expect(text.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual(rows);
  });
});
