/**
 * The one-minute cron, driven with chosen times through the Worker's own
 * `scheduled()` handler: due copies are enqueued once on Queue `tern-jobs`
 * (the real local queue, whose consumer runs them against the real local
 * ClickHouse), a run never overlaps the previous run of its pipe, runs missed
 * while the Worker was down are caught up once, and COPY_AFTER copies run
 * after the copies they name.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../workers/index.js";
import { platformFor } from "../../workers/platform/platform.js";
import { api, createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { copyPipe, countOf, datasource, ended, physical, type JobJson } from "./helpers/copies.js";

let ws: { id: string; token: string };

const project = {
  "events.datasource": datasource(),
  "hourly_snap.datasource": datasource(),
  "rollup.datasource": datasource(),
  "final.datasource": datasource(),
  // Hourly, replacing its target with every event.
  "hourly.pipe": copyPipe("SELECT ts, n, tag FROM events", ["TARGET_DATASOURCE hourly_snap", "COPY_SCHEDULE 0 * * * *", "COPY_MODE replace"]),
  // Runs after `hourly`, reading what it wrote: wrong counts if it ran before.
  "after_hourly.pipe": copyPipe("SELECT ts, n, 'rolled' AS tag FROM hourly_snap", ["TARGET_DATASOURCE rollup", "COPY_AFTER hourly", "COPY_MODE replace"]),
  // Runs after both: a join in the DAG.
  "last.pipe": copyPipe("SELECT ts, n, tag FROM rollup", ["TARGET_DATASOURCE final", "COPY_AFTER after_hourly, hourly", "COPY_MODE replace"]),
  // On demand: the cron never starts it.
  "manual.pipe": copyPipe("SELECT ts, n, tag FROM events", ["TARGET_DATASOURCE final"]),
};

/** One cron tick of the Worker at `iso`, as Cloudflare would deliver it. */
async function tick(iso: string): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: new Date(iso), cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function copyJobs(pipe?: string): Promise<JobJson[]> {
  const res = await api(`/v0/jobs?kind=copy${pipe ? `&pipe_name=${pipe}` : ""}`, { token: ws.token });
  return ((await res.json()) as { jobs: JobJson[] }).jobs;
}

async function allEnded(): Promise<void> {
  await vi.waitUntil(async () => (await copyJobs()).every((j) => ["done", "error", "cancelled"].includes(j.status)), { timeout: 30_000, interval: 250 });
}

const catalog = () => platformFor(env, createExecutionContext()).catalog.workspace(ws.id);

beforeAll(async () => {
  ws = await createWorkspace("sched");
  const res = await deploy(project, "auto_promote=true", ws.token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  await testClickHouse().command({ query: `INSERT INTO ${await physical(ws.id, "events")} SELECT toDateTime('2026-01-01 00:00:00') + number * 3600, number, 'e' FROM numbers(500)` });
});

describe("the one-minute cron", () => {
  it("enqueues a due copy once: the tick at its time runs it, the same tick again and the next minutes do not", async () => {
    await tick("2026-11-24T09:59:00Z"); // first sight of the pipe: nothing was due before
    await tick("2026-11-24T10:00:00Z");
    await tick("2026-11-24T10:00:00Z"); // a tick delivered twice
    await tick("2026-11-24T10:01:00Z");
    await tick("2026-11-24T10:30:00Z");
    const runs = await copyJobs("hourly");
    expect(runs).toHaveLength(1);
    const done = await ended(runs[0]!.id, ws.token);
    expect(done.status).toBe("done");
    expect(await countOf(await physical(ws.id, "hourly_snap"))).toBe(500);
    expect((await copyJobs("manual")).length).toBe(0);
  });

  it("runs COPY_AFTER copies after the copies they name, in order, once all of them are done", async () => {
    await allEnded();
    const [hourly] = await copyJobs("hourly");
    const [after] = await copyJobs("after_hourly");
    const [last] = await copyJobs("last");
    expect(after).toBeDefined();
    expect(last).toBeDefined();
    // Each started after what it waits for had ended.
    expect(after!.created_at >= hourly!.updated_at).toBe(true);
    expect(last!.created_at >= after!.updated_at).toBe(true);
    expect([after!.status, last!.status]).toEqual(["done", "done"]);
    // Each read what the one before it had written, whole.
    expect(await countOf(await physical(ws.id, "rollup"))).toBe(500);
    expect(await countOf(await physical(ws.id, "final"))).toBe(500);
    // `last` waits for both `after_hourly` and `hourly`: one run each.
    expect((await copyJobs("after_hourly")).length).toBe(1);
    expect((await copyJobs("last")).length).toBe(1);
  });

  it("refuses a run while the pipe's previous run is unfinished, and does not queue it behind", async () => {
    await allEnded();
    // A run of `hourly` still waiting (its message not delivered yet).
    const held = await catalog().beginRun(
      { id: crypto.randomUUID(), kind: "copy", pipe: "hourly", details: {} },
      { kinds: ["copy", "sink"], maxUnfinished: 10, staleAfterMs: 300_000 },
    );
    await tick("2026-11-24T11:00:00Z");
    expect((await copyJobs("hourly")).filter((j) => j.id !== held.id && j.created_at > held.created_at)).toHaveLength(0);
    await catalog().cancelJob(held.id);
    await tick("2026-11-24T11:01:00Z"); // the 11:00 run was skipped, not deferred
    expect((await copyJobs("hourly")).filter((j) => j.created_at > held.created_at && j.id !== held.id)).toHaveLength(0);
    await tick("2026-11-24T12:00:00Z");
    const later = (await copyJobs("hourly")).filter((j) => j.created_at > held.created_at && j.id !== held.id);
    expect(later).toHaveLength(1);
    expect((await ended(later[0]!.id, ws.token)).status).toBe("done");
  });

  it("catches up the runs missed while the Worker was down once, not once per missed hour", async () => {
    await allEnded();
    const before = (await copyJobs("hourly")).length;
    await tick("2026-11-24T17:30:00Z"); // no tick since 12:00: five runs missed
    await tick("2026-11-24T17:31:00Z");
    const runs = await copyJobs("hourly");
    expect(runs.length).toBe(before + 1);
    const caughtUp = await ended(runs[0]!.id, ws.token);
    expect(caughtUp.status).toBe("done");
    // The run is the latest missed one: templates read job_timestamp as 17:00.
    const job = await catalog().getJob(runs[0]!.id);
    expect(job!.details).toMatchObject({ trigger: "schedule", job_timestamp: "2026-11-24T17:00:00.000Z" });
  });

  it("does not run a paused copy, and does not catch up what was missed while paused", async () => {
    await allEnded();
    const pause = await api("/v0/pipes/hourly/copy/pause", { method: "POST", token: ws.token });
    expect(await pause.json()).toMatchObject({ name: "hourly", type: "copy", schedule: { status: "paused", cron: "0 * * * *" } });
    const before = (await copyJobs("hourly")).length;
    await tick("2026-11-24T18:00:00Z");
    expect((await copyJobs("hourly")).length).toBe(before);
    const resume = await api("/v0/pipes/hourly/copy/resume", { method: "POST", token: ws.token });
    expect(await resume.json()).toMatchObject({ schedule: { status: "running" } });
    await tick("2026-11-24T18:30:00Z");
    expect((await copyJobs("hourly")).length).toBe(before);
  });
});

describe("a pipe first seen between its fire times", () => {
  let first: { id: string; token: string };

  beforeAll(async () => {
    first = await createWorkspace("sched_first");
    const res = await deploy(
      {
        "events.datasource": datasource(),
        "daily_snap.datasource": datasource(),
        "daily.pipe": copyPipe("SELECT ts, n, tag FROM events", ["TARGET_DATASOURCE daily_snap", "COPY_SCHEDULE 0 0 * * *", "COPY_MODE replace"]),
      },
      "auto_promote=true",
      first.token,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it("has its window from that tick: its first fire time missed while the Worker was down is caught up once", async () => {
    const dailyJobs = async () => ((await (await api("/v0/jobs?kind=copy&pipe_name=daily", { token: first.token })).json()) as { jobs: JobJson[] }).jobs;
    await tick("2026-11-25T10:00:00Z"); // first sight: nothing due
    expect(await dailyJobs()).toHaveLength(0);
    await tick("2026-11-26T00:05:00Z"); // no tick from 10:01 to 00:04: midnight was missed
    await tick("2026-11-26T00:06:00Z");
    const runs = await dailyJobs();
    expect(runs).toHaveLength(1);
    expect((await ended(runs[0]!.id, first.token)).status).toBe("done");
    const job = await platformFor(env, createExecutionContext()).catalog.workspace(first.id).getJob(runs[0]!.id);
    expect(job!.details).toMatchObject({ trigger: "schedule", job_timestamp: "2026-11-26T00:00:00.000Z" });
  });

  it("a run due at its first sight that waits for a slot runs at a later tick, once", async () => {
    const cat = platformFor(env, createExecutionContext()).catalog.workspace(first.id);
    const pipes = [{ pipe: "capped", kind: "copy", cron: "0 * * * *" }];
    const limits = { kinds: ["copy", "sink"], maxUnfinished: 10, staleAfterMs: 300_000 };
    const full = await cat.claimScheduledRuns(pipes, "2026-11-25T10:00:00.000Z", { ...limits, maxUnfinished: 0 });
    expect(full).toEqual({ runs: [], decisions: [{ pipe: "capped", kind: "copy", action: "wait", fireAt: "2026-11-25T10:00:00.000Z", reason: "cap" }] });
    // The next tick comes five minutes later (a slot freed meanwhile): the 10:00 run still happens.
    const freed = await cat.claimScheduledRuns(pipes, "2026-11-25T10:05:00.000Z", limits);
    expect(freed.decisions).toEqual([{ pipe: "capped", kind: "copy", action: "run", fireAt: "2026-11-25T10:00:00.000Z" }]);
    expect(freed.runs).toHaveLength(1);
    expect((await cat.claimScheduledRuns(pipes, "2026-11-25T10:06:00.000Z", limits)).runs).toEqual([]);
    await cat.cancelJob(freed.runs[0]!.id); // never enqueued: no pipe of that name to run
  });
});
