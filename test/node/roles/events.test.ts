// The Events API's write path as a role function in Node: rows validated at
// the edge, written while the caller waits (wait=true) through the injected
// (real) fetch, refused rows quarantined; and, when the answer to an insert is
// lost after ClickHouse committed it, a retry with the same Idempotency-Key
// lands nothing twice; the segments of a large body wait for ClickHouse
// together and share an insert.
import { describe, expect, it } from "vitest";
import { acceptEvents, SEGMENT_CHARS } from "../../../workers/ingest/events.js";
import type { LiveDeployment } from "../../../workers/catalog/client.js";
import { TernError } from "../../../shared/errors.js";
import { ClickHouseFetch, eventsWorkspace, nodePlatform, principal, rows } from "./helpers.js";
import { FILES } from "./project.js";

const ch = new ClickHouseFetch();
let workspaceId: string;
let live: LiveDeployment;
let table: string;
let quarantine: string;
/** How the inserts name the datasource's table. */
let insertInto: string;

eventsWorkspace(ch, FILES, (ws) => ({ workspaceId, live, table, quarantine, insertInto } = ws));

const line = (n: number, tenant: string) => JSON.stringify({ timestamp: "2026-01-01 00:00:00", tenant, pathname: `/p${n}`, value: n });

function post(body: string, options: { idempotencyKey?: string; requestId?: string } = {}) {
  const test = nodePlatform(ch, options.requestId ? { requestId: options.requestId } : {});
  const answer = acceptEvents(test.platform, principal(workspaceId), {
    live,
    datasource: "events",
    wait: true,
    idempotencyKey: options.idempotencyKey,
    body: new Request("http://tern.test/v0/events?name=events&wait=true", { method: "POST", body }),
  });
  return { ...test, answer };
}

async function count(from: string, tenant: string): Promise<number> {
  const [row] = await rows<{ c: number }>(nodePlatform(ch).platform, `SELECT count() AS c FROM ${from} WHERE tenant = '${tenant}'`);
  return row!.c;
}

describe("acceptEvents with wait=true", () => {
  it("writes the valid rows, quarantines the others, and answers with the datasource's rate-limit headers", async () => {
    const body = [line(1, "a"), line(2, "a"), JSON.stringify({ timestamp: "not a time", tenant: "a", pathname: "/x", value: "NaN" }), line(3, "a")].join("\n");
    const { answer, settled } = post(body);
    expect(await answer).toEqual({
      status: 200,
      body: { successful_rows: 3, quarantined_rows: 1 },
      headers: { "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": expect.any(String), "X-RateLimit-Reset": expect.any(String) },
    });
    await settled();
    expect(await count(table, "a")).toBe(3);
    expect(await count(quarantine, "a")).toBe(1);
  });

  it("answers 503 when the insert's answer is lost after ClickHouse committed it; the same request again with its Idempotency-Key lands once", async () => {
    const body = [line(1, "b"), line(2, "b")].join("\n");
    const key = `retry-${crypto.randomUUID()}`;
    const first = crypto.randomUUID();
    ch.failWhen = (c) => (c.sql.startsWith(insertInto) ? "after" : undefined);
    const lost = post(body, { idempotencyKey: key, requestId: first });
    const err = await lost.answer.catch((e: unknown) => e);
    ch.failWhen = () => undefined;
    await lost.settled();
    expect(err).toBeInstanceOf(TernError);
    expect((err as TernError).status).toBe(503);
    // Every header of the datasource's bucket travels with the error too.
    expect((err as TernError).headers["X-RateLimit-Limit"]).toBe("100");
    // ClickHouse has the rows although the caller was told nothing landed.
    expect(await count(table, "b")).toBe(2);

    const retry = post(body, { idempotencyKey: key });
    expect((await retry.answer).body).toEqual({ successful_rows: 2, quarantined_rows: 0 });
    await retry.settled();
    expect(await count(table, "b")).toBe(2);
  });

  it("reads a body of three segments while the first one's insert is in flight, and writes the other two in one insert", async () => {
    const text = Array.from({ length: 8000 }, (_, n) => line(n, "grouped")).join("\n");
    expect([text.length > 2 * SEGMENT_CHARS, text.length < 3 * SEGMENT_CHARS]).toEqual([true, true]);
    const bytes = new TextEncoder().encode(text);
    let read!: () => void;
    const bodyRead = new Promise<void>((r) => (read = r));
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.byteLength) {
          read();
          controller.close();
          return;
        }
        controller.enqueue(bytes.subarray(offset, (offset += 64 * 1024)));
      },
    });
    const ofThisBody = (c: { sql: string }) => c.sql.startsWith(insertInto) && c.sql.includes('"tenant":"grouped"');
    // The first segment's insert is held until the whole body was read: with one write in flight
    // per request, reading would wait for that insert and never finish.
    ch.holdWhen = (c) => (ofThisBody(c) && ch.calls.filter(ofThisBody).length === 1 ? bodyRead : undefined);
    const test = nodePlatform(ch);
    const answer = await acceptEvents(test.platform, principal(workspaceId), {
      live, datasource: "events", wait: true, idempotencyKey: undefined,
      body: new Request("http://tern.test/v0/events?name=events&wait=true", { method: "POST", body: stream, duplex: "half" } as RequestInit),
    });
    ch.holdWhen = () => undefined;
    await test.settled();
    expect(answer.body).toEqual({ successful_rows: 8000, quarantined_rows: 0 });
    expect(ch.calls.filter(ofThisBody).length).toBe(2);
    expect(await count(table, "grouped")).toBe(8000);
  }, 30_000);

  it("refuses a caller without DATASOURCES:APPEND on the datasource, before reading the body", async () => {
    const test = nodePlatform(ch);
    const reader = principal(workspaceId, [{ type: "DATASOURCES:READ", resource: "events" }]);
    const request = new Request("http://tern.test/v0/events?name=events", { method: "POST", body: line(1, "c") });
    const err = await acceptEvents(test.platform, reader, { live, datasource: "events", wait: true, idempotencyKey: undefined, body: request }).catch((e: unknown) => e);
    expect([(err as TernError).status, (err as TernError).message]).toEqual([403, "Permission denied: this operation needs the DATASOURCES:APPEND scope on 'events'"]);
    expect(request.bodyUsed).toBe(false);
  });
});
