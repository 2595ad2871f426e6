/**
 * @module ingest/events-route
 * `POST /v0/events?name=<ds>`: the Events API. NDJSON (or one JSON object) in
 * any Content-Type, gzip allowed, token in header or query; rows validated at
 * the edge, bad ones to quarantine. `wait=true` answers 200 once ClickHouse has
 * the rows; otherwise 202 once they are durably on the queue. Every answer
 * carries the datasource's rate-limit headers.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../api/context.js";
import { ensureAllowed, requireAuth } from "../auth/require.js";
import { BadRequestError, TernError, UpstreamUnavailableError } from "../../shared/errors.js";
import { validatorFor } from "./validators.js";
import { validateNdjson } from "../../shared/ingest/index.js";
import { liveDatasource } from "../datasources/resolve.js";
import { readBodyText } from "./read-body.js";
import { enforceRateLimit } from "../ratelimit/limit.js";
import { packMessages } from "./message.js";
import { insertJsonLines } from "./insert.js";
import { insertGrouped } from "./group-insert.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { clickhouseMessage } from "../clickhouse/errors.js";
import { logOps } from "./ops-log.js";
import { countDeadLetters, replayDeadLetters } from "./dead-letters.js";

export const eventsRoutes = new Hono<AppEnv>();

// Browser trackers post here directly.
eventsRoutes.use(
  "/v0/events",
  cors({
    origin: "*",
    allowMethods: ["POST", "OPTIONS"],
    allowHeaders: ["content-type", "authorization", "content-encoding"],
    exposeHeaders: ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "x-request-id"],
    maxAge: 86400,
  }),
);

const SEND_BATCH_BYTES = 250 * 1024;

// Browsers send events with a JWT carrying DATASOURCES:APPEND (and maybe limits.rps).
eventsRoutes.post("/v0/events", requireAuth(undefined, { allowJwt: true }), async (c) => {
  const name = c.req.query("name")?.trim();
  if (!name) throw new BadRequestError("The 'name' parameter is required: POST /v0/events?name=<datasource>");
  ensureAllowed(c, { kind: "append", datasource: name });
  const principal = c.get("principal");
  const config = c.get("config");
  const { manifest, ds } = await liveDatasource(c.env, principal.workspaceId, name);

  if (principal.kind === "jwt" && principal.limits?.rps) {
    await enforceRateLimit(c.env, `jwt:${principal.workspaceId}:${principal.tokenName}`, principal.limits.rps);
  }
  const limitHeaders = await enforceRateLimit(c.env, `events:${principal.workspaceId}:${name}`, config.ingest.rps);
  for (const [k, v] of Object.entries(limitHeaders)) c.header(k, v);

  const text = await readBodyText(c.req.raw, {
    maxBytes: config.ingest.maxBodyBytes,
    maxDecompressedBytes: config.ingest.maxDecompressedBytes,
  });
  if (text.trim() === "") throw new BadRequestError("The request body is empty: send one JSON object per line (NDJSON)");

  const importId = c.get("requestId");
  const receivedAt = new Date();
  const result = validateNdjson(text, validatorFor(manifest, ds), { importId, now: receivedAt });
  const wait = c.req.query("wait") === "true" || c.req.query("wait") === "1";
  const ch = clickhouseFor(config);
  const target = { database: manifest.database, table: ds.table };
  const quarantineTarget = { database: manifest.database, table: ds.quarantineTable };
  const started = Date.now();

  if (wait) {
    try {
      // Concurrent requests for the same table share inserts (group commit).
      const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
      await insertGrouped(ch, target, result.validLines.join("\n"), { dedupToken: importId, rows: result.validCount, waitUntil });
      await insertGrouped(ch, quarantineTarget, result.quarantineLines.join("\n"), { dedupToken: `${importId}-q`, rows: result.quarantine.length, waitUntil });
    } catch (e) {
      // Nothing was acknowledged: the client may safely retry (SDKs retry 503).
      throw new UpstreamUnavailableError(`The rows could not be written: ${clickhouseMessage(e)}`);
    }
    logOps(ch, c.executionCtx, [{
        workspaceId: principal.workspaceId, eventType: "append-hfi", datasource: name, result: "ok",
        elapsedSeconds: (Date.now() - started) / 1000, requestId: importId, importId,
        rows: result.validCount, rowsQuarantine: result.quarantine.length,
      }]);
    return c.json({ successful_rows: result.validCount, quarantined_rows: result.quarantine.length }, 200);
  }

  const { messages, oversize } = packMessages(
    { v: 1, workspaceId: principal.workspaceId, datasource: name, importId, receivedAt: receivedAt.toISOString() },
    result.validLines,
    result.quarantineLines,
  );
  try {
    // Lines too large for a queue message go straight in.
    if (oversize.lines.length > 0) {
      await insertJsonLines(ch, target, oversize.lines.join("\n"), { dedupToken: `${importId}-big`, rows: oversize.lines.length });
    }
    if (oversize.quarantineLines.length > 0) {
      await insertJsonLines(ch, quarantineTarget, oversize.quarantineLines.join("\n"), { dedupToken: `${importId}-bigq`, rows: oversize.quarantineLines.length });
    }
    let batch: MessageSendRequest[] = [];
    let bytes = 0;
    for (const m of messages) {
      const size = m.lines.length + m.quarantineLines.length + 512;
      if (batch.length > 0 && (bytes + size > SEND_BATCH_BYTES || batch.length >= 100)) {
        await c.env.EVENTS_QUEUE.sendBatch(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ body: m, contentType: "v8" });
      bytes += size;
    }
    if (batch.length > 0) await c.env.EVENTS_QUEUE.sendBatch(batch);
  } catch (e) {
    if (e instanceof TernError) throw e;
    throw new UpstreamUnavailableError(`The rows could not be queued: ${e instanceof Error ? e.message : String(e)}`);
  }
  return c.json({ successful_rows: result.validCount, quarantined_rows: result.quarantine.length }, 202);
});

// Dead letters: event batches that exhausted their retries, parked in R2.
eventsRoutes.get("/v0/events/dead-letters", requireAuth({ kind: "admin" }), async (c) => {
  return c.json({ dead_letters: await countDeadLetters(c.env, c.get("principal").workspaceId) });
});

eventsRoutes.post("/v0/events/dead-letters/replay", requireAuth({ kind: "admin" }), async (c) => {
  const result = await replayDeadLetters(c.env, c.get("principal").workspaceId);
  return c.json(result);
});
