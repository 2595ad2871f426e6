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
import { packMessages, sendMessages, type IngestMessage } from "./message.js";
import { writeNow } from "./write-now.js";
import { IDEMPOTENCY_HEADER, idempotencyUnitKey, readIdempotencyKey } from "./idempotency.js";
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
    allowHeaders: ["content-type", "authorization", "content-encoding", IDEMPOTENCY_HEADER],
    exposeHeaders: ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "x-request-id"],
    maxAge: 86400,
  }),
);

// Browsers send events with a JWT carrying DATASOURCES:APPEND (and maybe limits.rps).
eventsRoutes.post("/v0/events", requireAuth(undefined, { allowJwt: true }), async (c) => {
  const name = c.req.query("name")?.trim();
  if (!name) throw new BadRequestError("The 'name' parameter is required: POST /v0/events?name=<datasource>");
  ensureAllowed(c, { kind: "append", datasource: name });
  const idempotencyKey = readIdempotencyKey(c.req.header(IDEMPOTENCY_HEADER));
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
  // Every token of this request's inserts derives from this key, so a keyed retry repeats them exactly.
  const keyed = idempotencyKey !== undefined;
  const unitKey = keyed ? await idempotencyUnitKey(idempotencyKey, { workspaceId: principal.workspaceId, datasource: name, body: text }) : importId;
  const base = { v: 1 as const, workspaceId: principal.workspaceId, datasource: name, importId, receivedAt: receivedAt.toISOString() };
  const enqueue = (messages: IngestMessage[]) => sendMessages(c.env.EVENTS_QUEUE, messages);
  const writeOptions = {
    keyed, columns: ds.file.columns.map((col) => col.name), importId, receivedAt, base, enqueue,
    // Concurrent requests for the same table share inserts (group commit), held by the leader's waitUntil.
    waitUntil: (p: Promise<unknown>) => c.executionCtx.waitUntil(p),
  };

  if (wait) {
    let written;
    try {
      written = await writeNow(ch, target, quarantineTarget, result.validLines, result.quarantineLines, { ...writeOptions, unitKey });
    } catch (e) {
      // Nothing was acknowledged: the client may safely retry (SDKs retry 503); with the same Idempotency-Key nothing lands twice.
      throw new UpstreamUnavailableError(`The rows could not be written: ${clickhouseMessage(e)}`);
    }
    logOps(ch, c.executionCtx, [{
        workspaceId: principal.workspaceId, eventType: "append-hfi", datasource: name, result: "ok",
        elapsedSeconds: (Date.now() - started) / 1000, requestId: importId, importId,
        rows: written.landed, rowsQuarantine: written.quarantined,
      }]);
    // Rows whose refusals took more inserts to isolate than a request may spend finish on the queue.
    return c.json({ successful_rows: written.landed + written.queued, quarantined_rows: written.quarantined }, written.queued > 0 ? 202 : 200);
  }

  const { messages, oversize } = packMessages(base, result.validLines, result.quarantineLines, keyed ? unitKey : undefined);
  let refused = 0;
  try {
    // Lines too large for a queue message go straight in.
    if (oversize.lines.length > 0 || oversize.quarantineLines.length > 0) {
      const big = await writeNow(ch, target, quarantineTarget, oversize.lines, oversize.quarantineLines, { ...writeOptions, keyed: true, unitKey: `${unitKey}:big` });
      refused = big.quarantined - oversize.quarantineLines.length;
    }
    await sendMessages(c.env.EVENTS_QUEUE, messages);
  } catch (e) {
    if (e instanceof TernError) throw e;
    throw new UpstreamUnavailableError(`The rows could not be queued: ${e instanceof Error ? e.message : String(e)}`);
  }
  return c.json({ successful_rows: result.validCount - refused, quarantined_rows: result.quarantine.length + refused }, 202);
});

// Dead letters: event batches that exhausted their retries, parked in R2.
eventsRoutes.get("/v0/events/dead-letters", requireAuth({ kind: "admin" }), async (c) => {
  return c.json({ dead_letters: await countDeadLetters(c.env, c.get("principal").workspaceId) });
});

eventsRoutes.post("/v0/events/dead-letters/replay", requireAuth({ kind: "admin" }), async (c) => {
  const result = await replayDeadLetters(c.env, c.get("principal").workspaceId);
  return c.json(result);
});
