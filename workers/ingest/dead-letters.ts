/**
 * @module ingest/dead-letters
 * Messages that exhausted their retries arrive on `tern-events-dlq`; this
 * consumer parks each one in R2 (durable, browsable) so it is never lost, and
 * `replayDeadLetters` puts them back on the events queue once the cause
 * (ClickHouse down, a schema mismatch fixed by a deploy) is gone.
 */
import type { Platform } from "../platform/platform.js";

const PREFIX = "dead-letters/events/";

export async function parkDeadLetters(platform: Platform, batch: MessageBatch<unknown>): Promise<void> {
  for (const msg of batch.messages) {
    try {
      await platform.sinks.put(`${PREFIX}${msg.id}.json`, JSON.stringify({ id: msg.id, parkedAt: new Date(platform.clock.now()).toISOString(), body: msg.body }), {
        httpMetadata: { contentType: "application/json" },
      });
      msg.ack();
    } catch (e) {
      console.error(`dead letters: could not park ${msg.id}: ${e instanceof Error ? e.message : e}`);
      msg.retry({ delaySeconds: 30 });
    }
  }
}

export interface ReplayResult {
  replayed: number;
  remaining: number;
}

/** Every parked message of `workspaceId` (all workspaces when undefined), page by page. */
async function* parked(platform: Platform, workspaceId: string | undefined): AsyncGenerator<{ key: string; body: unknown }> {
  let cursor: string | undefined;
  do {
    const page = await platform.sinks.list({ prefix: PREFIX, ...(cursor ? { cursor } : {}) });
    for (const obj of page.objects) {
      const text = await (await platform.sinks.get(obj.key))?.text();
      if (!text) continue;
      const body = (JSON.parse(text) as { body: { workspaceId?: string } }).body;
      if (workspaceId === undefined || body?.workspaceId === workspaceId) yield { key: obj.key, body };
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

/** Re-enqueues parked messages of `workspaceId` (all workspaces when undefined). */
export async function replayDeadLetters(platform: Platform, workspaceId: string | undefined, limit = 1000): Promise<ReplayResult> {
  let replayed = 0;
  let remaining = 0;
  for await (const letter of parked(platform, workspaceId)) {
    if (replayed >= limit) {
      remaining++;
      continue;
    }
    await platform.queues.events.send(letter.body);
    await platform.sinks.delete(letter.key);
    replayed++;
  }
  return { replayed, remaining };
}

export async function countDeadLetters(platform: Platform, workspaceId: string): Promise<number> {
  let n = 0;
  for await (const _ of parked(platform, workspaceId)) n++;
  return n;
}
