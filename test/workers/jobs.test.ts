/**
 * The Queue `tern-jobs` consumer around any runner: what it acknowledges, what
 * it retries, and how a job ends when no runner can take it.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../workers/index.js";
import { platformFor } from "../../workers/platform/platform.js";
import { createWorkspace } from "./helpers/api.js";
import { job } from "./helpers/copies.js";

let ws: { id: string; token: string };
const limits = { kinds: ["copy", "sink", "mystery"], maxUnfinished: 10, staleAfterMs: 300_000 };

beforeAll(async () => {
  ws = await createWorkspace("jobs");
});

async function deliver(bodies: unknown[]) {
  const batch = createMessageBatch("tern-jobs", bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("Queue tern-jobs consumer", () => {
  it("acknowledges a message that names no job, and one whose job already ended, without running anything", async () => {
    const catalog = platformFor(env, createExecutionContext()).catalog.workspace(ws.id);
    const ended = await catalog.beginRun({ id: crypto.randomUUID(), kind: "copy", pipe: "p", details: {} }, limits);
    await catalog.cancelJob(ended.id);
    const result = await deliver([{ nonsense: true }, { workspaceId: ws.id, jobId: ended.id }]);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1"]);
    expect(result.retryMessages).toEqual([]);
    expect((await job(ended.id, ws.token)).status).toBe("cancelled");
  });

  it("ends a job of a kind no runner takes in error, frees its pipe, and acknowledges it", async () => {
    const catalog = platformFor(env, createExecutionContext()).catalog.workspace(ws.id);
    const run = await catalog.beginRun({ id: crypto.randomUUID(), kind: "mystery", pipe: "q", details: {} }, limits);
    const result = await deliver([{ workspaceId: ws.id, jobId: run.id }]);
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(await job(run.id, ws.token)).toMatchObject({ status: "error", error: "No runner for jobs of kind 'mystery' in this Worker" });
    // The pipe is free again: a new run of it is accepted.
    expect((await catalog.beginRun({ id: crypto.randomUUID(), kind: "mystery", pipe: "q", details: {} }, limits)).status).toBe("waiting");
  });
});
