// Service-table rows buffered per isolate, against the real ClickHouse from workerd.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createBatchWriter } from "../../workers/service/batch-writer.js";
import { createTestDatabase, dropTestDatabase, testClickHouse } from "./helpers/clickhouse.js";

let db: string;

async function ids(table: string): Promise<number[]> {
  const rs = await testClickHouse().query({ query: `SELECT id FROM ${db}.${table} ORDER BY id`, format: "JSONEachRow" });
  return ((await rs.json()) as Array<{ id: number }>).map((r) => r.id);
}

/** An execution context that hands back what was given to waitUntil. */
function context() {
  const waits: Promise<unknown>[] = [];
  return { waits, ctx: { waitUntil: (p: Promise<unknown>) => void waits.push(p) } };
}

beforeAll(async () => {
  db = await createTestDatabase("batch_writer");
  for (const t of ["windowed", "now"]) await testClickHouse().command({ query: `CREATE TABLE ${db}.${t} (id UInt32) ENGINE = MergeTree ORDER BY id` });
});
afterAll(async () => {
  await dropTestDatabase(db);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("createBatchWriter", () => {
  it("writes the rows of one window in one insert, held by the first request's waitUntil", async () => {
    const writer = createBatchWriter<{ id: number }>(`${db}.windowed`, { flushMs: 50 });
    const first = context();
    const second = context();
    writer.add(testClickHouse(), first.ctx, [{ id: 1 }]);
    writer.add(testClickHouse(), second.ctx, [{ id: 2 }, { id: 3 }]);
    expect(first.waits).toHaveLength(1);
    expect(second.waits).toHaveLength(0);
    await Promise.all(first.waits);
    expect(await ids("windowed")).toEqual([1, 2, 3]);
  });

  it("writes at once with flushMs 0 (a queue batch is not done until its waitUntil settles)", async () => {
    // With setTimeout frozen, a flush that waited for its window would never finish.
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const writer = createBatchWriter<{ id: number }>(`${db}.now`, { flushMs: 60_000 });
    const { waits, ctx } = context();
    writer.add(testClickHouse(), ctx, [{ id: 7 }], { flushMs: 0 });
    vi.useRealTimers();
    await Promise.all(waits);
    expect(await ids("now")).toEqual([7]);
  });
});
