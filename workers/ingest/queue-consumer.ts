/**
 * @module ingest/queue-consumer
 * Consumes Queue `tern-events`. A batch is grouped by workspace and
 * datasource; the plain messages of a group go in as one insert (rows, then
 * quarantined rows), with a deduplication token built from the messages'
 * stable ids, so a group redelivered as it was never lands twice. Keyed
 * messages (an Idempotency-Key's parts, ranges split off a poisoned batch) go
 * in alone, with a token from their key only, so they never land twice
 * whatever batch they arrive in.
 *
 * A row ClickHouse refuses does not hold its batch back: the insert is split
 * (land.ts) until the refused rows stand alone; they go to the quarantine
 * with ClickHouse's reason and everything else lands. A failure that is not
 * the rows' (ClickHouse down, a missing table) retries the messages with
 * exponential backoff; after the queue's retries they go to the dead-letter
 * queue, never to /dev/null.
 */
import { IngestMessage, messageKey, sendMessages } from "./message.js";
import { insertJsonLines } from "./insert.js";
import { dedupToken, landUnits, type LandUnit } from "./land.js";
import { refusedRowLine } from "./refusal.js";
import { logOps, type OpsLogEntry } from "./ops-log.js";
import { liveManifest } from "../catalog/live-manifest.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { readConfig, type Env } from "../env.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

/** Inserts one set of messages may spend isolating refused rows; the rest is put back on the queue as keyed ranges. */
export const MAX_ISOLATION_INSERTS = 64;

export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(0, attempts - 1));
}

interface Delivery {
  msg: Message<unknown>;
  body: IngestMessage;
  /** Other deliveries of the same message in this batch (a keyed request sent twice): acked with it. */
  copies: Message<unknown>[];
}

/** Messages that are inserted together: all plain messages of a group, or one keyed message. */
function insertSets(group: Delivery[]): Delivery[][] {
  const plain = group.filter((d) => d.body.key === undefined);
  const keyed = group.filter((d) => d.body.key !== undefined).map((d) => [d]);
  return plain.length > 0 ? [plain, ...keyed] : keyed;
}

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const config = readConfig(env);
  const ch = clickhouseFor(config);
  const groups = new Map<string, Map<string, Delivery>>();
  for (const msg of batch.messages) {
    const parsed = IngestMessage.safeParse(msg.body);
    if (!parsed.success) {
      // Not ours to understand; retrying lets it reach the dead-letter queue for inspection.
      console.error(`events: message ${msg.id} is not an ingest message; retrying towards the DLQ`);
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      continue;
    }
    const group = `${parsed.data.workspaceId}\u0000${parsed.data.datasource}`;
    const deliveries = groups.get(group) ?? new Map<string, Delivery>();
    const key = messageKey(parsed.data);
    const seen = deliveries.get(key);
    if (seen) seen.copies.push(msg);
    else deliveries.set(key, { msg, body: parsed.data, copies: [] });
    groups.set(group, deliveries);
  }

  const log: OpsLogEntry[] = [];
  await Promise.all(
    [...groups.values()].map(async (deliveries) => {
      // One set after the other: at most one insert per datasource in flight.
      for (const set of insertSets([...deliveries.values()])) log.push(await insertSet(env, ch, set));
    }),
  );
  // Written now, not after the usual window: the queue hands out the next batch
  // only once this invocation, waitUntil included, has finished.
  logOps(ch, ctx, log, { flushMs: 0 });
}

async function insertSet(env: Env, ch: ReturnType<typeof clickhouseFor>, set: Delivery[]): Promise<OpsLogEntry> {
  const { workspaceId, datasource } = set[0]!.body;
  const started = Date.now();
  const keys = set.map((d) => messageKey(d.body));
  const token = dedupToken(keys);
  const rows = set.reduce((n, d) => n + d.body.rows, 0);
  const quarantined = set.reduce((n, d) => n + d.body.quarantined, 0);
  const entry = { workspaceId, eventType: "append-hfi" as const, datasource, importId: set[0]!.body.importId };
  try {
    const live = await liveManifest(env, workspaceId);
    const ds = live?.manifest.datasources[datasource];
    if (!live || !ds) throw new Error(`datasource '${datasource}' is not in the live deployment of workspace ${workspaceId}`);
    const units: LandUnit[] = set.map((d) => ({ key: messageKey(d.body), lines: d.body.rows > 0 ? d.body.lines.split("\n") : [] }));
    const landed = await landUnits(ch, { database: live.manifest.database, table: ds.table }, units, { maxInserts: MAX_ISOLATION_INSERTS });
    if (landed.spill.length > 0) {
      // Ranges the budget did not reach go back on the queue, keyed by their range: each gets a budget of its own.
      await sendMessages(env.EVENTS_QUEUE, landed.spill.map((u) => ({
        ...set[u.unit]!.body, key: u.key, part: 0, rows: u.lines.length, lines: u.lines.join("\n"), quarantined: 0, quarantineLines: "",
      })));
    }
    const columns = ds.file.columns.map((c) => c.name);
    const qLines = [
      ...set.filter((d) => d.body.quarantined > 0).map((d) => d.body.quarantineLines),
      ...landed.refused.map((r) => refusedRowLine(r.line, r.error, columns, { importId: set[r.unit]!.body.importId, now: new Date(set[r.unit]!.body.receivedAt) })),
    ];
    const writtenQ = await insertJsonLines(ch, { database: live.manifest.database, table: ds.quarantineTable }, qLines.join("\n"), {
      dedupToken: `${token}-q`, rows: quarantined + landed.refused.length,
    });
    for (const d of set) {
      d.msg.ack();
      for (const copy of d.copies) copy.ack();
    }
    if (landed.refused.length > 0) console.error(`events: ${landed.refused.length} row(s) for ${datasource} refused by ClickHouse, quarantined (${landed.inserts} inserts)`);
    const spilled = landed.spill.reduce((n, u) => n + u.lines.length, 0);
    return {
      ...entry, result: "ok", elapsedSeconds: (Date.now() - started) / 1000,
      rows: rows - landed.refused.length - spilled, rowsQuarantine: quarantined + landed.refused.length,
      writtenBytes: units.reduce((n, u) => n + u.lines.reduce((b, l) => b + l.length + 1, 0), 0), writtenBytesQuarantine: writtenQ.bytes,
    };
  } catch (e) {
    const attempts = Math.max(...set.map((d) => d.msg.attempts));
    console.error(`events: inserting ${rows} row(s) into ${datasource} failed (attempt ${attempts}): ${clickhouseMessage(e)}`);
    for (const d of set) {
      d.msg.retry({ delaySeconds: retryDelaySeconds(d.msg.attempts) });
      for (const copy of d.copies) copy.retry({ delaySeconds: retryDelaySeconds(copy.attempts) });
    }
    return { ...entry, result: "error", elapsedSeconds: (Date.now() - started) / 1000, error: clickhouseMessage(e), rows, rowsQuarantine: quarantined };
  }
}
