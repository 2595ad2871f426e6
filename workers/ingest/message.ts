/**
 * @module ingest/message
 * What travels on Queue `tern-events`: validated rows of one datasource from
 * one request, as ClickHouse-ready JSONEachRow text, under the 128 KB message
 * limit. The table is resolved when the message is consumed (the live
 * deployment may have changed meanwhile).
 */
import { z } from "zod";

export const MAX_MESSAGE_BYTES = 120 * 1024;

export const IngestMessage = z.object({
  v: z.literal(1),
  workspaceId: z.string(),
  datasource: z.string(),
  importId: z.string(),
  /** Position of this message among those of its request: with importId, a stable id. */
  part: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  lines: z.string(),
  quarantined: z.number().int().nonnegative(),
  quarantineLines: z.string(),
  receivedAt: z.string(),
  /** Set when the request wrote to the staging deployment (`__tb__deployment=staging`): its id, resolved again on consume. */
  deployment: z.string().optional(),
  /**
   * Set when the message's rows must dedupe on their own, whatever batch they
   * travel in: the parts of a request sent with an Idempotency-Key, and
   * ranges split off a poisoned batch. Such a message is inserted alone, with
   * a token derived from this key only.
   */
  key: z.string().optional(),
});
export type IngestMessage = z.infer<typeof IngestMessage>;

/** Stable id of a message's content, for deduplication across redeliveries. */
export function messageKey(m: Pick<IngestMessage, "importId" | "part" | "key">): string {
  return m.key ?? `${m.importId}:${m.part}`;
}

/** Bytes `line` takes once embedded in the message's JSON: UTF-8 length plus escapes. */
function embeddedSize(line: string): number {
  let n = 1; // the joining newline, itself escaped as two bytes minus one
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) n += 2;
    else if (c < 0x20) n += 6;
    else if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else n += 3;
  }
  return n + 1;
}

/**
 * Splits validated lines into messages under MAX_MESSAGE_BYTES. A single line
 * larger than that cannot travel on the queue; the caller inserts it directly.
 *
 * With `unitKey` (a request sent with an Idempotency-Key), rows and
 * quarantine rows travel in separate messages keyed by the range of lines they
 * hold (`<unitKey>:r0-812`, `<unitKey>:q0-3`): the split of the rows depends
 * only on the rows, so a retry of the same body gets the same keys for the
 * same rows. (Quarantine rows carry the request id, which a retry changes; at
 * worst a retry's quarantine rows split differently and land once more.)
 */
export function packMessages(
  base: Omit<IngestMessage, "part" | "rows" | "lines" | "quarantined" | "quarantineLines" | "key">,
  lines: readonly string[],
  quarantineLines: readonly string[],
  unitKey?: string,
): { messages: IngestMessage[]; oversize: { lines: string[]; quarantineLines: string[] } } {
  const messages: IngestMessage[] = [];
  const oversize = { lines: [] as string[], quarantineLines: [] as string[] };
  // Envelope (JSON keys, ids) plus escaping growth of the embedded text.
  const budget = MAX_MESSAGE_BYTES - 1024;
  let cur = { lines: [] as string[], q: [] as string[], bytes: 0, from: 0 };
  const flush = (kind: "lines" | "q") => {
    if (cur.lines.length === 0 && cur.q.length === 0) return;
    const held = kind === "lines" ? cur.lines.length : cur.q.length;
    messages.push({
      ...base,
      ...(unitKey === undefined ? {} : { key: `${unitKey}:${kind === "lines" ? "r" : "q"}${cur.from}-${cur.from + held}` }),
      part: messages.length,
      rows: cur.lines.length,
      lines: cur.lines.join("\n"),
      quarantined: cur.q.length,
      quarantineLines: cur.q.join("\n"),
    });
    cur = { lines: [], q: [], bytes: 0, from: cur.from + held };
  };
  const add = (line: string, kind: "lines" | "q", index: number) => {
    const size = embeddedSize(line);
    if (size > budget) {
      (kind === "lines" ? oversize.lines : oversize.quarantineLines).push(line);
      return;
    }
    if (cur.bytes + size > budget) flush(kind);
    if (cur.lines.length === 0 && cur.q.length === 0) cur.from = index;
    cur[kind].push(line);
    cur.bytes += size;
  };
  lines.forEach((l, i) => add(l, "lines", i));
  // Keyed: quarantine rows start a message of their own.
  if (unitKey !== undefined) flush("lines");
  quarantineLines.forEach((l, i) => add(l, "q", i));
  flush("q");
  return { messages, oversize };
}

const SEND_BATCH_BYTES = 250 * 1024;

/** Sends messages in batches under the queue's limits (100 messages, 256 KB per sendBatch). */
export async function sendMessages(queue: Queue, messages: readonly IngestMessage[]): Promise<void> {
  let batch: MessageSendRequest[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = m.lines.length + m.quarantineLines.length + 512;
    if (batch.length > 0 && (bytes + size > SEND_BATCH_BYTES || batch.length >= 100)) {
      await queue.sendBatch(batch);
      batch = [];
      bytes = 0;
    }
    batch.push({ body: m, contentType: "v8" });
    bytes += size;
  }
  if (batch.length > 0) await queue.sendBatch(batch);
}
