/**
 * @module ingest/group-insert
 * Group commit for `wait=true` batches. While one INSERT into a table is in
 * flight, the batches for that table that finish validating meanwhile wait,
 * then go in together as the next INSERT. ClickHouse pays a fixed price per
 * insert (a new part, parser set-up, the HTTP request), so on a busy edge
 * fewer and larger inserts cost it less CPU per MB. An idle table makes nobody
 * wait: the first batch goes straight out.
 *
 * One INSERT is one block (see insert.ts), so a group lands or fails as a
 * whole and every request in it gets that outcome. When ClickHouse refuses a
 * group (it answered with an exception, so nothing was written), each batch is
 * retried alone, so one bad batch cannot fail the others.
 *
 * The insert runs in the context of a request whose batch is waiting (the
 * "leader"): that request is still being handled, so its I/O is allowed. The
 * leader also hands the insert to its `waitUntil`, so the others' rows do not
 * depend on the leader's client staying connected.
 */
import { ClickHouseError, type ClickHouseClient } from "@clickhouse/client-web";
import { insertJsonLines, type InsertResult, type TableRef } from "../write/insert.js";

/** How a lane's groups are inserted: JSONEachRow lines (the default), or lines ClickHouse checks itself (a lane of its own). */
export interface InsertVia {
  /** Tells the lane apart from the table's JSONEachRow lane. */
  key: string;
  insert(ch: ClickHouseClient, target: TableRef, lines: string, opts: { dedupToken: string; rows: number }): Promise<InsertResult>;
}

const JSON_EACH_ROW: InsertVia = { key: "", insert: insertJsonLines };

/** Largest group, in bytes of NDJSON: memory and one insert's duration stay bounded. */
export const MAX_GROUP_BYTES = 16 * 1024 * 1024;

interface Batch {
  lines: string;
  rows: number;
  dedupToken: string;
  settled: boolean;
  resolve(r: InsertResult): void;
  reject(e: unknown): void;
}

interface Lane {
  busy: boolean;
  /** Resolves when the insert in flight finishes. */
  idle: Promise<void>;
  queue: Batch[];
}

const lanes = new WeakMap<ClickHouseClient, Map<string, Lane>>();

function laneFor(ch: ClickHouseClient, key: string): Lane {
  let byTable = lanes.get(ch);
  if (!byTable) lanes.set(ch, (byTable = new Map()));
  let lane = byTable.get(key);
  if (!lane) byTable.set(key, (lane = { busy: false, idle: Promise.resolve(), queue: [] }));
  return lane;
}

/** The first batches of the queue, up to MAX_GROUP_BYTES (always at least one). */
function takeGroup(queue: Batch[]): Batch[] {
  let bytes = 0;
  let n = 0;
  while (n < queue.length && (n === 0 || bytes + queue[n]!.lines.length <= MAX_GROUP_BYTES)) bytes += queue[n++]!.lines.length;
  return queue.splice(0, n);
}

/** A group's deduplication token: its batches' tokens, hashed (a retry of the same group dedupes). */
async function groupToken(group: Batch[]): Promise<string> {
  if (group.length === 1) return group[0]!.dedupToken;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(group.map((b) => b.dedupToken).join("\n")));
  return `group-${[...new Uint8Array(digest)].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

async function insertGroup(ch: ClickHouseClient, target: TableRef, group: Batch[], via: InsertVia): Promise<void> {
  const settle = (b: Batch, outcome: { ok: InsertResult } | { error: unknown }) => {
    b.settled = true;
    if ("ok" in outcome) b.resolve(outcome.ok);
    else b.reject(outcome.error);
  };
  try {
    const lines = group.length === 1 ? group[0]!.lines : group.map((b) => b.lines).join("\n");
    const rows = group.reduce((a, b) => a + b.rows, 0);
    await via.insert(ch, target, lines, { dedupToken: await groupToken(group), rows });
    for (const b of group) settle(b, { ok: { rows: b.rows, bytes: b.lines.length } });
  } catch (e) {
    if (group.length === 1 || !(e instanceof ClickHouseError)) {
      for (const b of group) settle(b, { error: e });
      return;
    }
    for (const b of group) {
      try {
        settle(b, { ok: await via.insert(ch, target, b.lines, { dedupToken: b.dedupToken, rows: b.rows }) });
      } catch (single) {
        settle(b, { error: single });
      }
    }
  }
}

/**
 * Inserts `lines` (NDJSON, validated) into `target`, together with whatever
 * other batches for the same table are waiting. Resolves once ClickHouse has
 * acknowledged them; rejects with the insert's error.
 */
export async function insertGrouped(
  ch: ClickHouseClient,
  target: TableRef,
  lines: string,
  opts: { dedupToken: string; rows: number; waitUntil?: (p: Promise<unknown>) => void; via?: InsertVia },
): Promise<InsertResult> {
  if (opts.rows === 0 || lines.length === 0) return { rows: 0, bytes: 0 };
  const via = opts.via ?? JSON_EACH_ROW;
  const lane = laneFor(ch, `${target.database}\u0000${target.table}\u0000${via.key}`);
  let resolve!: (r: InsertResult) => void;
  let reject!: (e: unknown) => void;
  const outcome = new Promise<InsertResult>((res, rej) => ((resolve = res), (reject = rej)));
  outcome.catch(() => undefined); // handled when returned below; no "unhandled rejection" in between
  const batch: Batch = { lines, rows: opts.rows, dedupToken: opts.dedupToken, settled: false, resolve, reject };
  lane.queue.push(batch);
  while (!batch.settled) {
    if (lane.busy) {
      await lane.idle;
      continue;
    }
    lane.busy = true;
    let done!: () => void;
    lane.idle = new Promise<void>((r) => (done = r));
    const running = insertGroup(ch, target, takeGroup(lane.queue), via).finally(() => {
      lane.busy = false;
      done();
    });
    opts.waitUntil?.(running);
    await running;
  }
  return outcome;
}
