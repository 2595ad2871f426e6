/**
 * @module ingest/write-now
 * Rows written while the request waits: `wait=true` batches, and lines too
 * large for a queue message. The rows go in as one insert (shared with other
 * requests by group commit, unless the request is keyed: a keyed request's
 * insert must carry its own token, whatever else is in flight); when
 * ClickHouse refuses them over some rows, the batch is split until those rows
 * stand alone (land.ts), they go to the quarantine with ClickHouse's reason,
 * and everything else lands. Ranges the insert budget does not reach are put
 * on the queue, keyed so their tokens do not change.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { insertGrouped } from "./group-insert.js";
import { insertJsonLines, type TableRef } from "../write/insert.js";
import { dedupToken, landUnits, type LandResult } from "./land.js";
import { classifyInsertFailure, refusedRowLine } from "./refusal.js";
import type { IngestMessage } from "./message.js";

/** Inserts a waiting request may spend isolating refused rows before the rest goes to the queue. */
export const WAIT_MAX_ISOLATION_INSERTS = 32;

export interface WriteNowResult {
  landed: number;
  quarantined: number;
  /** Rows handed to the queue (the isolation budget ran out): the answer is then 202. */
  queued: number;
}

export interface WriteNowOptions {
  /** The request's stable key (request id, or the scoped Idempotency-Key): tokens derive from it. */
  unitKey: string;
  /** A keyed request never shares an insert with other requests (its token must be its own). */
  keyed: boolean;
  /** Datasource column names, for quarantine rows of refused lines. */
  columns: readonly string[];
  importId: string;
  receivedAt: Date;
  waitUntil(p: Promise<unknown>): void;
  /** Puts keyed messages on the queue. */
  enqueue(messages: IngestMessage[]): Promise<void>;
  /** Envelope of queued messages. */
  base: Pick<IngestMessage, "v" | "workspaceId" | "datasource" | "importId" | "receivedAt" | "deployment">;
}

/** Lines already joined with "\n" (valid JSONEachRow lines never hold a raw line break): split again only to isolate refused rows. */
export interface JoinedLines {
  text: string;
  count: number;
}

/**
 * Writes `lines` to `target` and `quarantineLines` (plus the lines ClickHouse
 * refuses) to `quarantineTarget`. Throws when ClickHouse fails for a reason
 * that is not the rows' (nothing is acknowledged then; a retry with the same
 * key lands nothing twice). The work is held by `waitUntil`, so it finishes
 * even if the client hangs up meanwhile (its retry then finds the rows there).
 */
export function writeNow(
  ch: ClickHouseClient, target: TableRef, quarantineTarget: TableRef,
  lines: readonly string[] | JoinedLines, quarantineLines: readonly string[], opts: WriteNowOptions,
): Promise<WriteNowResult> {
  const work = write(ch, target, quarantineTarget, lines, quarantineLines, opts);
  opts.waitUntil(work.catch(() => undefined));
  return work;
}

async function write(
  ch: ClickHouseClient, target: TableRef, quarantineTarget: TableRef,
  rows: readonly string[] | JoinedLines, quarantineLines: readonly string[], opts: WriteNowOptions,
): Promise<WriteNowResult> {
  const token = dedupToken([opts.unitKey]);
  const joined = isJoined(rows) ? rows : { text: rows.join("\n"), count: rows.length };
  const count = joined.count;
  let landed: LandResult = { landed: [count], refused: [], spill: [], split: false, inserts: 1 };
  try {
    if (opts.keyed) await insertJsonLines(ch, target, joined.text, { dedupToken: token, rows: count });
    else await insertGrouped(ch, target, joined.text, { dedupToken: token, rows: count, waitUntil: opts.waitUntil });
  } catch (e) {
    if (classifyInsertFailure(e) === "other") throw e;
    const lines = isJoined(rows) ? (count === 0 ? [] : rows.text.split("\n")) : rows;
    landed = await landUnits(ch, target, [{ key: opts.unitKey, lines }], { maxInserts: WAIT_MAX_ISOLATION_INSERTS, firstError: e });
    // Nothing is acknowledged: the client retries the whole request (with its key, nothing lands twice).
    if (landed.aborted !== undefined) throw landed.aborted;
  }
  if (landed.spill.length > 0) {
    await opts.enqueue(landed.spill.map((u, part) => ({
      ...opts.base, key: u.key, part, rows: u.lines.length, lines: u.lines.join("\n"), quarantined: 0, quarantineLines: "",
    })));
  }
  const refused = landed.refused.map((r) => refusedRowLine(r.line, r.error, opts.columns, { importId: opts.importId, now: opts.receivedAt }));
  const q = [...quarantineLines, ...refused];
  const qText = q.join("\n");
  if (opts.keyed) await insertJsonLines(ch, quarantineTarget, qText, { dedupToken: `${token}-q`, rows: q.length });
  else await insertGrouped(ch, quarantineTarget, qText, { dedupToken: `${token}-q`, rows: q.length, waitUntil: opts.waitUntil });
  const queued = landed.spill.reduce((n, u) => n + u.lines.length, 0);
  return { landed: count - refused.length - queued, quarantined: q.length, queued };
}

function isJoined(rows: readonly string[] | JoinedLines): rows is JoinedLines {
  return !Array.isArray(rows);
}
