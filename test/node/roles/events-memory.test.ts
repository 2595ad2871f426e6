// The Events API holds a segment of a request, not the request: 16 concurrent
// 10 MB bodies sent with wait=true through `acceptEvents` (the Worker's code,
// in Node: workerd does not let a test force a GC or read its isolate's heap),
// bodies generated as they are read so the sender holds none of them. While
// they are in flight the test forces a full GC now and then and reads V8's
// used heap; the peak above the heap before the requests must stay under
// 32 MB (it was ~4.3x the bytes in flight when bodies were read whole). Then
// every row is counted in ClickHouse.
import { setFlagsFromString, getHeapStatistics } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { acceptEvents } from "../../../workers/ingest/events.js";
import type { LiveDeployment } from "../../../workers/catalog/client.js";
import { ClickHouseFetch, deployWorkspace, dropWorkspace, nodePlatform, principal, rows } from "./helpers.js";
import { FILES } from "./project.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const ch = new ClickHouseFetch();
ch.record = false;
let workspaceId: string;
let live: LiveDeployment;
let table: string;

beforeAll(async () => {
  ({ workspaceId, live } = await deployWorkspace(nodePlatform(ch).platform, FILES));
  table = `${live.manifest.database}.${live.manifest.datasources.events!.table}`;
});

afterAll(async () => {
  if (live) await dropWorkspace(nodePlatform(ch).platform, live);
});

const BODIES = 16;
const BODY_BYTES = 10 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const MB = 1024 * 1024;

let peak = 0;
let baseline = 0;
let pulled = 0;
let sampledAt = 0;
function sample(): void {
  gc();
  peak = Math.max(peak, getHeapStatistics().used_heap_size - baseline);
}

/** A ~10 MB NDJSON body made as it is read, 64 KB at a time; returns the rows it held through `done`. */
function body(tenant: string, done: (rows: number) => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let sent = 0;
  let n = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      // Up to the 10 MB limit (lines are < 200 bytes, ASCII).
      const room = Math.min(CHUNK_BYTES, BODY_BYTES - sent - 200);
      if (room <= 0) {
        done(n);
        controller.close();
        return;
      }
      let text = "";
      while (text.length < room) {
        text += `{"timestamp":"2026-01-01 00:00:00","tenant":"${tenant}","pathname":"/page/${n % 1000}","value":${n}}\n`;
        n++;
      }
      const bytes = encoder.encode(text);
      sent += bytes.byteLength;
      pulled += bytes.byteLength;
      // A full GC, then the heap: every 8 MB read across all bodies.
      if (pulled - sampledAt >= 8 * MB) {
        sampledAt = pulled;
        sample();
      }
      controller.enqueue(bytes);
    },
  });
}

it("16 concurrent 10 MB bodies with wait=true: the live heap stays under 32 MB above the idle heap, and every row lands", { timeout: 600_000 }, async () => {
  const tenant = `mem-${crypto.randomUUID().slice(0, 8)}`;
  const sentRows: number[] = [];
  const tests = Array.from({ length: BODIES }, (_, i) => {
    const test = nodePlatform(ch);
    const request = new Request("http://tern.test/v0/events?name=events&wait=true", {
      method: "POST", body: body(`${tenant}-${i}`, (r) => sentRows.push(r)), duplex: "half",
    } as RequestInit);
    return { test, request };
  });
  gc();
  baseline = getHeapStatistics().used_heap_size;
  const answers = await Promise.all(tests.map(({ test, request }) =>
    acceptEvents(test.platform, principal(workspaceId), { live, datasource: "events", wait: true, idempotencyKey: undefined, body: request })));
  sample();
  await Promise.all(tests.map(({ test }) => test.settled()));
  console.log(`events memory: peak live heap ${(peak / MB).toFixed(1)} MB above idle for ${BODIES} x ${BODY_BYTES / MB} MB bodies in flight (${(pulled / MB).toFixed(0)} MB read)`);

  const total = sentRows.reduce((a, b) => a + b, 0);
  expect(answers.map((a) => a.status)).toEqual(Array(BODIES).fill(200));
  expect(answers.reduce((a, b) => a + b.body.successful_rows, 0)).toBe(total);
  const [landed] = await rows<{ c: number }>(nodePlatform(ch).platform, `SELECT count() AS c FROM ${table} WHERE startsWith(tenant, '${tenant}-')`);
  expect(landed!.c).toBe(total);
  expect(peak).toBeGreaterThan(0);
  expect(peak).toBeLessThan(32 * MB);
});
