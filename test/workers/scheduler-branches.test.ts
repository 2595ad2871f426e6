/**
 * Schedules do not run in branches (as in Tinybird, which pauses a branch's
 * copies, sinks and connectors): the same cron tick runs the parent's scheduled
 * copy and its @auto S3 import, and nothing of the branch, which has the same
 * resources; the branch still runs them on request.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../workers/index.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { copyPipe, datasource } from "./helpers/copies.js";
import { ended, s3, S3_CONNECTION, type JobJson } from "./helpers/sinks.js";
import { testClickHouse } from "./helpers/clickhouse.js";

const P = `branch-imports-${crypto.randomUUID().slice(0, 8)}`;

const project = {
  "events.datasource": datasource(),
  "snap.datasource": datasource(),
  "hourly.pipe": copyPipe("SELECT ts, n, tag FROM events", ["TARGET_DATASOURCE snap", "COPY_SCHEDULE 0 * * * *", "COPY_MODE replace"]),
  "s3_local.connection": S3_CONNECTION,
  "landed.datasource": `SCHEMA >\n    \`n\` UInt64\n\nENGINE "MergeTree"\nENGINE_SORTING_KEY "n"\n\nIMPORT_CONNECTION_NAME s3_local\nIMPORT_BUCKET_URI s3://${s3.bucket}/${P}/*.ndjson\nIMPORT_SCHEDULE @auto\n`,
};

let parent: { id: string; token: string };
let branch: { id: string; token: string };

async function jobs(token: string): Promise<JobJson[]> {
  return ((await (await api("/v0/jobs", { token })).json()) as { jobs: JobJson[] }).jobs;
}
const runs = async (token: string) => (await jobs(token)).filter((j) => ["copy", "sink", "s3_sync", "gcs_sync"].includes(j.kind)).map((j) => j.kind).sort();

beforeAll(async () => {
  parent = await createWorkspace("sched_branch");
  await testClickHouse().command({
    query: `INSERT INTO FUNCTION s3('${s3.url}/${s3.bucket}/${P}/a.ndjson', '${s3.key}', '${s3.secret}', 'JSONEachRow', 'n UInt64') SELECT number FROM numbers(3)`,
    clickhouse_settings: { s3_truncate_on_insert: 1 },
  });
  const res = await deploy(project, "auto_promote=true", parent.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const created = await api("/v1/environments?name=paused_here", { method: "POST", token: parent.token });
  expect(created.status, await created.clone().text()).toBe(200);
  const got = (await (await api("/v0/environments/paused_here?with_token=true", { token: parent.token })).json()) as { id: string; token: string };
  branch = { id: got.id, token: got.token };
}, 60_000);

describe("schedules in branches", () => {
  it("a tick runs the parent's scheduled copy and import, and nothing in the branch", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date("2026-06-01T10:00:00Z"), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await runs(parent.token)).toEqual(["copy", "s3_sync"]);
    for (const j of await jobs(parent.token)) if (j.kind === "copy" || j.kind === "s3_sync") expect((await ended(j.id, parent.token)).status).toBe("done");
    expect(await runs(branch.token)).toEqual([]);
  });

  it("the branch still runs its import on request", async () => {
    const res = await api("/v0/datasources/landed/scheduling/runs", { method: "POST", token: branch.token });
    expect(res.status).toBe(200);
    const job = (await res.json()) as JobJson;
    expect(await ended(job.id, branch.token)).toMatchObject({ kind: "s3_sync", status: "done", statistics: { rows: 3 } });
  });
});
