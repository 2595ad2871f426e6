// Group commit for wait=true batches, against the real ClickHouse from workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClickHouseError } from "@clickhouse/client-web";
import { insertGrouped } from "../../workers/ingest/group-insert.js";
import { createTestDatabase, dropTestDatabase, testClickHouse } from "./helpers/clickhouse.js";

let db: string;

async function count(table: string): Promise<number> {
  const rs = await testClickHouse().query({ query: `SELECT count() AS c FROM ${db}.${table}`, format: "JSONEachRow" });
  return Number(((await rs.json()) as Array<{ c: string }>)[0]!.c);
}

/**
 * Inserts a table received: each INSERT here is one block, so one level-0 part
 * (merged-away parts stay listed, inactive, for minutes).
 */
async function insertsInto(table: string): Promise<number> {
  const rs = await testClickHouse().query({
    query: `SELECT count() AS c FROM system.parts WHERE database = {db:String} AND table = {t:String} AND level = 0`,
    query_params: { db, t: table },
    format: "JSONEachRow",
  });
  return Number(((await rs.json()) as Array<{ c: string }>)[0]!.c);
}

async function table(name: string): Promise<{ database: string; table: string }> {
  // No deduplication window: identical batches must both land unless a token says otherwise.
  await testClickHouse().command({ query: `CREATE TABLE ${db}.${name} (id UInt32, s String) ENGINE = MergeTree ORDER BY id` });
  return { database: db, table: name };
}

function lines(from: number, n: number): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ id: from + i, s: `row ${from + i}` })).join("\n");
}

beforeAll(async () => {
  db = await createTestDatabase("group_insert");
});
afterAll(async () => {
  await dropTestDatabase(db);
});

describe("insertGrouped", () => {
  it("inserts a lone batch at once and reports its rows", async () => {
    const t = await table("lone");
    const r = await insertGrouped(testClickHouse(), t, lines(0, 3), { dedupToken: "lone-1", rows: 3 });
    expect(r.rows).toBe(3);
    expect(await count("lone")).toBe(3);
  });

  it("lands every row of 20 concurrent batches exactly once, in fewer inserts than batches", async () => {
    const t = await table("concurrent");
    const ch = testClickHouse();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => insertGrouped(ch, t, lines(i * 100, 100), { dedupToken: `c-${i}`, rows: 100 })),
    );
    expect(results.map((r) => r.rows)).toEqual(Array(20).fill(100));
    expect(await count("concurrent")).toBe(2000);
    const rs = await ch.query({ query: `SELECT uniqExact(id) AS u FROM ${db}.concurrent`, format: "JSONEachRow" });
    expect(Number(((await rs.json()) as Array<{ u: string | number }>)[0]!.u)).toBe(2000);
    // The first batch goes alone; the other 19 were waiting and go together.
    expect(await insertsInto("concurrent")).toBe(2);
  });

  it("keeps batches for different tables apart", async () => {
    const a = await table("apart_a");
    const b = await table("apart_b");
    const ch = testClickHouse();
    await Promise.all([
      insertGrouped(ch, a, lines(0, 5), { dedupToken: "a-1", rows: 5 }),
      insertGrouped(ch, b, lines(0, 7), { dedupToken: "b-1", rows: 7 }),
      insertGrouped(ch, a, lines(5, 5), { dedupToken: "a-2", rows: 5 }),
    ]);
    expect(await count("apart_a")).toBe(10);
    expect(await count("apart_b")).toBe(7);
  });

  it("fails only the batch ClickHouse refuses when a group is refused", async () => {
    const t = await table("refused");
    const ch = testClickHouse();
    const outcomes = await Promise.allSettled([
      insertGrouped(ch, t, lines(0, 2), { dedupToken: "r-1", rows: 2 }),
      insertGrouped(ch, t, lines(10, 2), { dedupToken: "r-2", rows: 2 }),
      // Not valid for the table: "id" is not a number. The edge validator never lets this through;
      // here it stands for anything ClickHouse may still refuse.
      insertGrouped(ch, t, '{"id":"not a number","s":"x"}', { dedupToken: "r-3", rows: 1 }),
      insertGrouped(ch, t, lines(20, 2), { dedupToken: "r-4", rows: 2 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(ClickHouseError);
    const rs = await ch.query({ query: `SELECT id FROM ${db}.refused ORDER BY id`, format: "JSONEachRow" });
    expect(await rs.json()).toEqual([0, 1, 10, 11, 20, 21].map((id) => ({ id })));
  });

  it("hands each insert to the leading request's waitUntil (the others' rows must not depend on its client)", async () => {
    const t = await table("wait_until");
    const ch = testClickHouse();
    const held: Array<{ by: string; work: Promise<unknown> }> = [];
    const waitUntil = (by: string) => (work: Promise<unknown>) => void held.push({ by, work });
    await Promise.all([
      insertGrouped(ch, t, lines(0, 1), { dedupToken: "w-1", rows: 1, waitUntil: waitUntil("first") }),
      insertGrouped(ch, t, lines(1, 1), { dedupToken: "w-2", rows: 1, waitUntil: waitUntil("second") }),
      insertGrouped(ch, t, lines(2, 1), { dedupToken: "w-3", rows: 1, waitUntil: waitUntil("third") }),
    ]);
    // The first goes alone; the second leads the group of the other two.
    expect(held.map((h) => h.by)).toEqual(["first", "second"]);
    await Promise.all(held.map((h) => h.work));
    expect(await count("wait_until")).toBe(3);
  });

  it("does nothing for an empty batch", async () => {
    const t = await table("empty");
    expect(await insertGrouped(testClickHouse(), t, "", { dedupToken: "e-1", rows: 0 })).toEqual({ rows: 0, bytes: 0 });
    expect(await count("empty")).toBe(0);
  });
});
