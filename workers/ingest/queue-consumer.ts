/**
 * @module ingest/queue-consumer
 * Consumes Queue `tern-events`: groups a batch by workspace and datasource and
 * inserts each group once (rows, then quarantined rows), with a deduplication
 * token built from the messages' stable ids, so a redelivered group never
 * lands twice. A group that fails is retried with exponential backoff; after
 * the queue's retries it goes to the dead-letter queue, never to /dev/null.
 */
import { IngestMessage, messageKey } from "./message.js";
import { insertJsonLines } from "./insert.js";
import { logOps, type OpsLogEntry } from "./ops-log.js";
import { liveManifest } from "../catalog/live-manifest.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { readConfig, type Env } from "../env.js";
import { shortHash } from "../../shared/deploy/hash.js";
import { clickhouseMessage } from "../clickhouse/errors.js";

export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(0, attempts - 1));
}

export async function consumeEvents(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const config = readConfig(env);
  const ch = clickhouseFor(config);
  const groups = new Map<string, Array<{ msg: Message<unknown>; body: IngestMessage }>>();
  for (const msg of batch.messages) {
    const parsed = IngestMessage.safeParse(msg.body);
    if (!parsed.success) {
      // Not ours to understand; retrying lets it reach the dead-letter queue for inspection.
      console.error(`events: message ${msg.id} is not an ingest message; retrying towards the DLQ`);
      msg.retry({ delaySeconds: retryDelaySeconds(msg.attempts) });
      continue;
    }
    const key = `${parsed.data.workspaceId}\u0000${parsed.data.datasource}`;
    const list = groups.get(key) ?? [];
    list.push({ msg, body: parsed.data });
    groups.set(key, list);
  }

  const log: OpsLogEntry[] = [];
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const { workspaceId, datasource } = group[0]!.body;
      const started = Date.now();
      const ids = group.map((g) => messageKey(g.body)).sort();
      const token = shortHash(ids.join(",")) + shortHash(ids.join(";"));
      const rows = group.reduce((n, g) => n + g.body.rows, 0);
      const quarantined = group.reduce((n, g) => n + g.body.quarantined, 0);
      try {
        const live = await liveManifest(env, workspaceId);
        const ds = live?.manifest.datasources[datasource];
        if (!live || !ds) throw new Error(`datasource '${datasource}' is not in the live deployment of workspace ${workspaceId}`);
        const lines = group.filter((g) => g.body.rows > 0).map((g) => g.body.lines).join("\n");
        const qLines = group.filter((g) => g.body.quarantined > 0).map((g) => g.body.quarantineLines).join("\n");
        const written = await insertJsonLines(ch, { database: live.manifest.database, table: ds.table }, lines, { dedupToken: token, rows });
        const writtenQ = await insertJsonLines(ch, { database: live.manifest.database, table: ds.quarantineTable }, qLines, { dedupToken: `${token}-q`, rows: quarantined });
        for (const g of group) g.msg.ack();
        log.push({
          workspaceId, eventType: "append-hfi", datasource, result: "ok", elapsedSeconds: (Date.now() - started) / 1000,
          importId: group[0]!.body.importId, rows, rowsQuarantine: quarantined, writtenBytes: written.bytes, writtenBytesQuarantine: writtenQ.bytes,
        });
      } catch (e) {
        const attempts = Math.max(...group.map((g) => g.msg.attempts));
        console.error(`events: inserting ${rows} row(s) into ${datasource} failed (attempt ${attempts}): ${clickhouseMessage(e)}`);
        for (const g of group) g.msg.retry({ delaySeconds: retryDelaySeconds(g.msg.attempts) });
        log.push({
          workspaceId, eventType: "append-hfi", datasource, result: "error", elapsedSeconds: (Date.now() - started) / 1000,
          error: clickhouseMessage(e), importId: group[0]!.body.importId, rows, rowsQuarantine: quarantined,
        });
      }
    }),
  );
  // Written now, not after the usual window: the queue hands out the next batch
  // only once this invocation, waitUntil included, has finished.
  logOps(ch, ctx, log, { flushMs: 0 });
}
