import { createExecutionContext, createMessageBatch, createScheduledController, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/index.js";

describe("queue handler", () => {
  it("retries, never acknowledges, a batch from a queue without a consumer", async () => {
    const batch = createMessageBatch("tern-unknown", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { x: 1 } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryBatch.retry).toBe(true);
    expect(result.explicitAcks).toEqual([]);
  });
});

describe("scheduled handler", () => {
  it("runs on the cron tick without error when nothing is due", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: new Date("2026-11-24T10:00:00Z"), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
  });
});
