/**
 * @module ingest/write-budget
 * How many bytes of validated `wait=true` segments an isolate lets wait for
 * ClickHouse at once. A request may always have one segment being written (so
 * it always makes progress); more only while the isolate's total stays under
 * the budget. More segments waiting means group commit (group-insert.ts) merges
 * them into fewer, larger inserts, and ClickHouse spends much less CPU per MB on
 * a few MB-sized inserts than on many of a quarter MB (bench/ingest); the budget
 * keeps memory bounded per isolate, not per request, however many requests run.
 */

/** Bytes of validated segments an isolate may hold beyond each request's first one. */
export const WRITE_BUDGET_BYTES = 4 * 1024 * 1024;

export class WriteBudget {
  #used = 0;

  constructor(readonly limit: number) {}

  /** Takes `bytes` when they fit (or `force`: the request has nothing in flight); false when the caller must wait. */
  tryTake(bytes: number, force: boolean): boolean {
    if (!force && this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used -= bytes;
  }

  get used(): number {
    return this.#used;
  }
}

/** One per isolate: every request's `wait=true` writes share it. */
export const writeBudget = new WriteBudget(WRITE_BUDGET_BYTES);
