import { SELF, env, createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../workers/index.js";

// The Worker's cron tick by hand under `npm run dev` (miniflare's own trigger
// goes to the console's assets router there). What a tick decides is
// test/workers/scheduler.test.ts's; here, only the route.
describe("POST /local/scheduled (local mode only)", () => {
  it("runs one tick as if the clock read `time` and answers when it is done", async () => {
    const res = await SELF.fetch("http://tern.test/local/scheduled?time=1773136800000", { method: "POST" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ scheduled_time: "2026-03-10T10:00:00.000Z", enqueued: expect.any(Number) });
  });

  it("refuses a time that is not milliseconds since the epoch", async () => {
    const res = await SELF.fetch("http://tern.test/local/scheduled?time=yesterday", { method: "POST" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "time must be milliseconds since the epoch (an integer)" });
  });

  it("does not exist outside local mode", async () => {
    const prod = { ...env, TERN_MODE: "production" };
    const res = await worker.fetch(new Request("http://tern.test/local/scheduled", { method: "POST" }), prod, createExecutionContext());
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "Not found: POST /local/scheduled" });
  });
});
