/**
 * @module service/batch-writer
 * Rows for a service table, buffered per isolate and written once per window
 * instead of once per request: every INSERT is a part ClickHouse must later
 * merge, and on the request path it competes for the same CPU. The first row of
 * a window schedules the flush on that request's `waitUntil`.
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { ensureServiceTables } from "./tables.js";

export interface BatchWriter<Row> {
  /**
   * `flushMs` overrides the window for a flush this call schedules: a queue
   * consumer passes 0, because its batch is not done (and the next batch not
   * delivered) until its `waitUntil` promises settle.
   */
  add(ch: ClickHouseClient, ctx: { waitUntil(p: Promise<unknown>): void } | undefined, rows: Row[], opts?: { flushMs?: number }): void;
}

export function createBatchWriter<Row>(table: string, opts: { flushMs?: number; maxRows?: number } = {}): BatchWriter<Row> {
  const flushMs = opts.flushMs ?? 500;
  const maxRows = opts.maxRows ?? 10_000;
  let buffer: Row[] = [];
  let scheduled = false;
  return {
    add(ch, ctx, rows, addOpts) {
      if (rows.length === 0) return;
      buffer.push(...rows);
      // Bounded: past the cap the oldest rows go (these are logs, never user data).
      if (buffer.length > maxRows) buffer = buffer.slice(-maxRows);
      if (scheduled) return;
      scheduled = true;
      const flush = (async () => {
        const wait = addOpts?.flushMs ?? flushMs;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const batch = buffer;
        buffer = [];
        scheduled = false;
        await ensureServiceTables(ch);
        await ch.insert({ table, format: "JSONEachRow", values: batch as unknown as Record<string, unknown>[] });
      })().catch((e) => console.error(`${table}: ${e instanceof Error ? e.message : String(e)}`));
      try {
        ctx?.waitUntil(flush);
      } catch {
        // No execution context (unit tests): the promise still runs.
      }
    },
  };
}
