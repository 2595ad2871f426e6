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
 * with ClickHouse's reason and everything else lands. Once split, each message
 * is settled on its own (its quarantined rows first, under its own key), so a
 * failure midway acknowledges the messages that are done and retries only the
 * others, whose pieces carry tokens of their own key. A failure that is not
 * the rows' (ClickHouse down, a missing table) retries the messages with
 * exponential backoff; after the queue's retries they go to the dead-letter
 * queue, never to /dev/null.
 */
import { IngestMessage, messageKey, sendMessages } from "./message.js";
import { dedupToken, landUnits, type LandUnit } from "./land.js";
import { refusedRowLine } from "./refusal.js";
import type { Platform } from "../platform/platform.js";
import { insertJsonLines } from "../write/insert.js";
import { logOps, type OpsLogEntry } from "../write/ops-log.js";
import { datasourceTables } from "../write/target.js";
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

/** Lands one batch of Queue `tern-events`, acknowledging or retrying each message. */
export async function consumeEvents(platform: Platform, batch: MessageBatch<unknown>): Promise<void> {
  const groups = new Map<string, Map<string, Delivery>>();
  for (const msg of batch.messages) {
    const parsed = IngestMessage.safeParse(msg.body);
    if (!parsed.success) {
      // Not ours to understand; retrying lets it reach the dead-letter queue for inspection.
      console.error(`events: message ${msg.id} is not an ingest message; retrying towards the DLQ`);
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      continue;
    }
    const group = `${parsed.data.workspaceId}\u0000${parsed.data.datasource}\u0000${parsed.data.deployment ?? ""}`;
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
      for (const set of insertSets([...deliveries.values()])) log.push(await insertSet(platform, set));
    }),
  );
  // Written now, not after the usual window: the queue hands out the next batch
  // only once this invocation, waitUntil included, has finished.
  logOps(platform, log, { flushMs: 0 });
}

function settle(d: Delivery, ok: boolean): void {
  for (const msg of [d.msg, ...d.copies]) {
    if (ok) msg.ack();
    else msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
  }
}

async function insertSet(platform: Platform, set: Delivery[]): Promise<OpsLogEntry> {
  const ch = platform.clickhouse.admin;
  const { workspaceId, datasource } = set[0]!.body;
  const started = platform.clock.now();
  const keys = set.map((d) => messageKey(d.body));
  const token = dedupToken(keys);
  const rows = set.reduce((n, d) => n + d.body.rows, 0);
  const quarantined = set.reduce((n, d) => n + d.body.quarantined, 0);
  const entry = { workspaceId, eventType: "append-hfi" as const, datasource, importId: set[0]!.body.importId };
  const failed = (e: unknown, retried: Delivery[]): OpsLogEntry => {
    const attempts = Math.max(...retried.map((d) => d.msg.attempts));
    console.error(`events: inserting ${rows} row(s) into ${datasource} failed (attempt ${attempts}): ${clickhouseMessage(e)}`);
    for (const d of retried) settle(d, false);
    return { ...entry, result: "error", elapsedSeconds: (platform.clock.now() - started) / 1000, error: clickhouseMessage(e), rows, rowsQuarantine: quarantined };
  };
  try {
    const { deployment } = set[0]!.body;
    // Rows sent to staging go to that deployment's tables (promoted since or not); others to the live one.
    const live = deployment === undefined
      ? await platform.catalog.liveDeployment(workspaceId)
      : ((await platform.catalog.workspace(workspaceId).getDeployment(deployment, true)) ?? undefined);
    const ds = live?.manifest?.datasources[datasource];
    if (!live?.manifest || !ds) throw new Error(`datasource '${datasource}' is not in the ${deployment === undefined ? "live deployment" : `deployment ${deployment}`} of workspace ${workspaceId}`);
    const { rows: target, quarantine: quarantineTarget } = datasourceTables(live.manifest, ds);
    const units: LandUnit[] = set.map((d) => ({ key: messageKey(d.body), lines: d.body.rows > 0 ? d.body.lines.split("\n") : [] }));
    // Once the batch is split, each message stands alone: its quarantined rows go in first, under its own key.
    const quarantineDone = new Set<number>();
    const landed = await landUnits(ch, target, units, {
      maxInserts: MAX_ISOLATION_INSERTS,
      beforeSplit: async () => {
        for (const [i, d] of set.entries()) {
          await insertJsonLines(ch, quarantineTarget, d.body.quarantineLines, { dedupToken: `${dedupToken([keys[i]!])}-q`, rows: d.body.quarantined });
          quarantineDone.add(i);
        }
      },
    });

    if (!landed.split) {
      if (landed.aborted !== undefined) throw landed.aborted;
      const writtenQ = await insertJsonLines(ch, quarantineTarget, set.map((d) => d.body.quarantineLines).filter(Boolean).join("\n"), { dedupToken: `${token}-q`, rows: quarantined });
      for (const d of set) settle(d, true);
      return {
        ...entry, result: "ok", elapsedSeconds: (platform.clock.now() - started) / 1000, rows, rowsQuarantine: quarantined,
        writtenBytes: set.reduce((n, d) => n + d.body.lines.length, 0), writtenBytesQuarantine: writtenQ.bytes,
      };
    }

    // Split: every message is settled on its own. A message is done when each of its rows
    // landed, was quarantined or went back on the queue; the others are retried (their pieces
    // carry tokens of their own key, so what landed is dropped as a duplicate then).
    let spillError: unknown;
    if (landed.spill.length > 0) {
      // Ranges the budget did not reach go back on the queue, keyed by their range: each gets a budget of its own.
      await sendMessages(platform.queues.events, landed.spill.map((u) => ({
        ...set[u.unit]!.body, key: u.key, part: 0, rows: u.lines.length, lines: u.lines.join("\n"), quarantined: 0, quarantineLines: "",
      }))).catch((e: unknown) => { spillError = e; });
    }
    const columns = ds.file.columns.map((c) => c.name);
    let error = landed.aborted ?? spillError;
    let landedRows = 0;
    let quarantinedRows = 0;
    const retried: Delivery[] = [];
    for (const [i, d] of set.entries()) {
      const refused = landed.refused.filter((r) => r.unit === i);
      const spilled = landed.spill.filter((u) => u.unit === i).reduce((n, u) => n + u.lines.length, 0);
      let done = quarantineDone.has(i) && landed.landed[i]! + refused.length + spilled === units[i]!.lines.length && (spilled === 0 || spillError === undefined);
      if (done && refused.length > 0) {
        const lines = refused.map((r) => refusedRowLine(r.line, r.error, columns, { importId: d.body.importId, now: new Date(d.body.receivedAt) }));
        try {
          await insertJsonLines(ch, quarantineTarget, lines.join("\n"), { dedupToken: `${dedupToken([keys[i]!])}-r`, rows: lines.length });
        } catch (e) {
          error ??= e;
          done = false;
        }
      }
      if (done) {
        settle(d, true);
        landedRows += landed.landed[i]!;
        quarantinedRows += d.body.quarantined + refused.length;
      } else retried.push(d);
    }
    if (landed.refused.length > 0) console.error(`events: ${landed.refused.length} row(s) for ${datasource} refused by ClickHouse, quarantined (${landed.inserts} inserts)`);
    if (retried.length > 0) return failed(error ?? new Error("rows left unresolved"), retried);
    return { ...entry, result: "ok", elapsedSeconds: (platform.clock.now() - started) / 1000, rows: landedRows, rowsQuarantine: quarantinedRows };
  } catch (e) {
    return failed(e, set);
  }
}
