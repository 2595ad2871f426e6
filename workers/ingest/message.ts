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
});
export type IngestMessage = z.infer<typeof IngestMessage>;

/** Stable id of a message's content, for deduplication across redeliveries. */
export function messageKey(m: Pick<IngestMessage, "importId" | "part">): string {
  return `${m.importId}:${m.part}`;
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
 */
export function packMessages(
  base: Omit<IngestMessage, "part" | "rows" | "lines" | "quarantined" | "quarantineLines">,
  lines: readonly string[],
  quarantineLines: readonly string[],
): { messages: IngestMessage[]; oversize: { lines: string[]; quarantineLines: string[] } } {
  const messages: IngestMessage[] = [];
  const oversize = { lines: [] as string[], quarantineLines: [] as string[] };
  // Envelope (JSON keys, ids) plus escaping growth of the embedded text.
  const budget = MAX_MESSAGE_BYTES - 1024;
  let cur = { lines: [] as string[], q: [] as string[], bytes: 0 };
  const flush = () => {
    if (cur.lines.length === 0 && cur.q.length === 0) return;
    messages.push({
      ...base,
      part: messages.length,
      rows: cur.lines.length,
      lines: cur.lines.join("\n"),
      quarantined: cur.q.length,
      quarantineLines: cur.q.join("\n"),
    });
    cur = { lines: [], q: [], bytes: 0 };
  };
  const add = (line: string, kind: "lines" | "q") => {
    const size = embeddedSize(line);
    if (size > budget) {
      (kind === "lines" ? oversize.lines : oversize.quarantineLines).push(line);
      return;
    }
    if (cur.bytes + size > budget) flush();
    cur[kind].push(line);
    cur.bytes += size;
  };
  for (const l of lines) add(l, "lines");
  for (const l of quarantineLines) add(l, "q");
  flush();
  return { messages, oversize };
}
