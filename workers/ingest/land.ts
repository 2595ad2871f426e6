/**
 * @module ingest/land
 * Lands validated rows even when ClickHouse refuses some of them. One INSERT
 * is one block: it lands whole or not at all. When ClickHouse refuses a batch
 * over its rows (see refusal.ts), the batch is split in halves, each half
 * inserted, and the refused halves split again, until the refused rows stand
 * alone: those are the guilty ones, returned for the quarantine; everything
 * else lands.
 *
 * Deduplication stays deterministic: a piece's token depends only on the keys
 * of the units in it (a queue message, a request) and, below one unit, on the
 * row range (`<key>:<from>-<to>`), never on timing, so a retried walk over the
 * same units re-sends the same pieces with the same tokens and ClickHouse drops
 * what already landed.
 *
 * Bounded: at most `maxInserts` inserts per call. Ranges not resolved by then
 * are handed back as `spill`: new units, each keyed by its range, for the
 * caller to put on the queue, where each gets its own budget (and, keyed by the
 * same range, the same token it would have had here).
 *
 * A failure that is not the rows' (ClickHouse down, a timeout) stops the walk
 * and is returned as `aborted`, with what was done so far: units whose rows
 * all landed are finished, and must not be sent again in another company
 * (their token was their group's).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { shortHash } from "../../shared/deploy/hash.js";
import { insertJsonLines } from "../write/insert.js";
import { classifyInsertFailure } from "./refusal.js";

/** Rows that land or fail together under one stable key: a queue message, or a request's rows. */
export interface LandUnit {
  key: string;
  lines: readonly string[];
}

export interface RefusedRow {
  /** Index of the unit in the input. */
  unit: number;
  line: string;
  error: unknown;
}

export interface LandResult {
  /** Rows written, per input unit (or already there from an earlier attempt with the same tokens). */
  landed: number[];
  refused: RefusedRow[];
  /** Ranges the budget did not reach (of input unit `unit`): to land later, keyed so their tokens are what they would have been here. */
  spill: Array<LandUnit & { unit: number }>;
  /** Whether the first insert of all the rows was refused and the batch was split. */
  split: boolean;
  /** Set when ClickHouse failed for a reason that is not the rows': the walk stopped there. */
  aborted?: unknown;
  inserts: number;
}

/** The insert's deduplication token for a set of unit keys (order does not matter). */
export function dedupToken(keys: readonly string[]): string {
  const joined = [...keys].sort().join("\n");
  return shortHash(joined) + shortHash(`${joined}\u0001`);
}

/** The key of rows [from, to) of the unit keyed `key`. */
export function rangeKey(key: string, from: number, to: number): string {
  return `${key}:${from}-${to}`;
}

/** At or under this many rows, a refused range is tried row by row (dense failures cost fewer inserts). */
const ROW_BY_ROW = 4;

class Aborted {
  constructor(readonly error: unknown) {}
}

/**
 * Inserts the units' lines into `target`, isolating rows ClickHouse refuses.
 * `firstError`: the caller already tried all units as one insert (with
 * `dedupToken(keys)`) and got this error, so that insert is not repeated.
 * `beforeSplit` runs once, when the batch is refused and before any piece is
 * inserted (a throw there aborts with nothing landed).
 */
export async function landUnits(
  ch: ClickHouseClient,
  target: { database: string; table: string },
  units: readonly LandUnit[],
  opts: { maxInserts: number; firstError?: unknown; beforeSplit?: () => Promise<void> },
): Promise<LandResult> {
  const result: LandResult = { landed: units.map(() => 0), refused: [], spill: [], split: false, inserts: 0 };
  const order = units.map((_, i) => i).sort((a, b) => (units[a]!.key < units[b]!.key ? -1 : units[a]!.key > units[b]!.key ? 1 : 0));

  /** null when the rows landed; the error when ClickHouse refused them for a reason worth splitting over. */
  const tryInsert = async (lines: string, rows: number, token: string): Promise<unknown> => {
    result.inserts++;
    try {
      await insertJsonLines(ch, target, lines, { dedupToken: token, rows });
      return null;
    } catch (e) {
      if (classifyInsertFailure(e) === "other") throw new Aborted(e);
      return e;
    }
  };

  async function splitRows(unit: number, from: number, to: number, error: unknown): Promise<void> {
    const { key, lines } = units[unit]!;
    if (to - from === 1) {
      // A lone row is never "too many partitions": that refusal was not about it.
      if (classifyInsertFailure(error) !== "rows") throw new Aborted(error);
      result.refused.push({ unit, line: lines[from]!, error });
      return;
    }
    const cuts: number[] = [];
    if (to - from <= ROW_BY_ROW) for (let i = from; i <= to; i++) cuts.push(i);
    else cuts.push(from, from + Math.ceil((to - from) / 2), to);
    for (let c = 0; c + 1 < cuts.length; c++) {
      const [a, b] = [cuts[c]!, cuts[c + 1]!];
      if (result.inserts >= opts.maxInserts) {
        result.spill.push({ unit, key: rangeKey(key, a, b), lines: lines.slice(a, b) });
        continue;
      }
      const e = await tryInsert(lines.slice(a, b).join("\n"), b - a, dedupToken([rangeKey(key, a, b)]));
      if (e === null) result.landed[unit]! += b - a;
      else await splitRows(unit, a, b, e);
    }
  }

  async function splitUnits(idx: number[], error: unknown): Promise<void> {
    if (idx.length === 1) {
      await splitRows(idx[0]!, 0, units[idx[0]!]!.lines.length, error);
      return;
    }
    const mid = Math.ceil(idx.length / 2);
    for (const half of [idx.slice(0, mid), idx.slice(mid)]) {
      if (result.inserts >= opts.maxInserts) {
        for (const i of half) result.spill.push({ unit: i, key: units[i]!.key, lines: units[i]!.lines });
        continue;
      }
      const rows = half.reduce((n, i) => n + units[i]!.lines.length, 0);
      const e = await tryInsert(half.map((i) => units[i]!.lines.join("\n")).join("\n"), rows, dedupToken(half.map((i) => units[i]!.key)));
      if (e === null) for (const i of half) result.landed[i] = units[i]!.lines.length;
      else await splitUnits(half, e);
    }
  }

  const all = order.filter((i) => units[i]!.lines.length > 0);
  if (all.length === 0) return result;
  try {
    let error = opts.firstError;
    if (error === undefined) {
      const rows = all.reduce((n, i) => n + units[i]!.lines.length, 0);
      error = await tryInsert(all.map((i) => units[i]!.lines.join("\n")).join("\n"), rows, dedupToken(all.map((i) => units[i]!.key)));
      if (error === null) {
        for (const i of all) result.landed[i] = units[i]!.lines.length;
        return result;
      }
    } else if (classifyInsertFailure(error) === "other") {
      throw new Aborted(error);
    }
    result.split = true;
    await opts.beforeSplit?.().catch((e: unknown) => { throw new Aborted(e); });
    await splitUnits(all, error);
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
    result.aborted = e.error;
  }
  return result;
}
