/**
 * @module ingest/events
 * `POST /v0/events?name=<ds>`, the Events API, as a role function: the cheap
 * checks first (name, scope, `Idempotency-Key`, the datasource, rate limits),
 * then the body under its size limits, rows validated at the edge (bad ones
 * to quarantine), then either written while the caller waits (`wait=true`:
 * 200 once ClickHouse has the rows) or put on Queue `tern-events` (202 once
 * they are durably there). Every answer past the rate limits carries the
 * datasource's `X-RateLimit-*` headers, errors included.
 */
import { BadRequestError, isTernError, TernError, UpstreamUnavailableError } from "../../shared/errors.js";
import { validateNdjson } from "../../shared/ingest/index.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import { isStaging } from "../catalog/staging.js";
import { clickhouseMessage } from "../clickhouse/errors.js";
import type { Platform } from "../platform/platform.js";
import { eventsBuckets } from "../ratelimit/limit.js";
import { idempotencyUnitKey, readIdempotencyKey } from "./idempotency.js";
import { packMessages, sendMessages, type IngestMessage } from "./message.js";
import { readBodyText } from "./read-body.js";
import { writeNow } from "./write-now.js";
import { logOps } from "../write/ops-log.js";
import { datasourceTables, liveDatasource } from "../write/target.js";
import { validatorFor } from "../write/validators.js";

export interface EventsRequest {
  live: LiveDeployment | undefined;
  /** `?name=`: the datasource. */
  datasource: string | undefined;
  /** `?wait=true`: answer once ClickHouse has the rows. */
  wait: boolean;
  /** The `Idempotency-Key` header as sent. */
  idempotencyKey: string | null | undefined;
  /** The request whose body (NDJSON or one JSON object, gzip allowed) is read once the cheap checks passed. */
  body: Request;
}

export interface EventsAnswer {
  status: 200 | 202;
  body: { successful_rows: number; quarantined_rows: number };
  headers: Record<string, string>;
}

export async function acceptEvents(platform: Platform, principal: Principal, req: EventsRequest): Promise<EventsAnswer> {
  const name = req.datasource?.trim();
  if (!name) throw new BadRequestError("The 'name' parameter is required: POST /v0/events?name=<datasource>");
  ensureAllowed(principal, { kind: "append", datasource: name });
  const idempotencyKey = readIdempotencyKey(req.idempotencyKey);
  const { manifest, ds } = liveDatasource(req.live, name);
  const headers = await platform.rateLimits.take(eventsBuckets(platform.config, principal, name));
  try {
    const { status, body } = await ingest(platform, principal, req, { name, idempotencyKey, manifest, ds });
    return { status, body, headers };
  } catch (e) {
    if (isTernError(e)) for (const [k, v] of Object.entries(headers)) e.headers[k] ??= v;
    throw e;
  }
}

async function ingest(
  platform: Platform,
  principal: Principal,
  req: EventsRequest,
  at: { name: string; idempotencyKey: string | undefined } & ReturnType<typeof liveDatasource>,
): Promise<Omit<EventsAnswer, "headers">> {
  const { name, idempotencyKey, manifest, ds } = at;
  const { ingest: limits } = platform.config;
  const text = await readBodyText(req.body, { maxBytes: limits.maxBodyBytes, maxDecompressedBytes: limits.maxDecompressedBytes });
  if (text.trim() === "") throw new BadRequestError("The request body is empty: send one JSON object per line (NDJSON)");

  const importId = platform.requestId;
  const receivedAt = new Date(platform.clock.now());
  const result = validateNdjson(text, validatorFor(manifest, ds), { importId, now: receivedAt });
  const ch = platform.clickhouse.admin;
  const { rows: target, quarantine: quarantineTarget } = datasourceTables(manifest, ds);
  const started = platform.clock.now();
  // Every token of this request's inserts derives from this key, so a keyed retry repeats them exactly.
  const keyed = idempotencyKey !== undefined;
  const unitKey = keyed ? await idempotencyUnitKey(idempotencyKey, { workspaceId: principal.workspaceId, datasource: name, body: text }) : importId;
  const base = {
    v: 1 as const, workspaceId: principal.workspaceId, datasource: name, importId, receivedAt: receivedAt.toISOString(),
    // Rows sent to staging land in staging's tables, whenever they are consumed.
    ...(isStaging(req.live) ? { deployment: req.live.id } : {}),
  };
  const writeOptions = {
    keyed, columns: ds.file.columns.map((col) => col.name), importId, receivedAt, base,
    enqueue: (messages: IngestMessage[]) => sendMessages(platform.queues.events, messages),
    // Concurrent requests for the same table share inserts (group commit), held by the leader's waitUntil.
    waitUntil: (p: Promise<unknown>) => platform.waitUntil(p),
  };

  if (req.wait) {
    let written;
    try {
      written = await writeNow(ch, target, quarantineTarget, result.validLines, result.quarantineLines, { ...writeOptions, unitKey });
    } catch (e) {
      // Nothing was acknowledged: the client may safely retry (SDKs retry 503); with the same Idempotency-Key nothing lands twice.
      throw new UpstreamUnavailableError(`The rows could not be written: ${clickhouseMessage(e)}`, { cause: e });
    }
    logOps(platform, [{
        workspaceId: principal.workspaceId, eventType: "append-hfi", datasource: name, result: "ok",
        elapsedSeconds: (platform.clock.now() - started) / 1000, requestId: importId, importId,
        rows: written.landed, rowsQuarantine: written.quarantined,
      }]);
    // Rows whose refusals took more inserts to isolate than a request may spend finish on the queue.
    return { status: written.queued > 0 ? 202 : 200, body: { successful_rows: written.landed + written.queued, quarantined_rows: written.quarantined } };
  }

  const { messages, oversize } = packMessages(base, result.validLines, result.quarantineLines, keyed ? unitKey : undefined);
  let refused = 0;
  try {
    // Lines too large for a queue message go straight in.
    if (oversize.lines.length > 0 || oversize.quarantineLines.length > 0) {
      const big = await writeNow(ch, target, quarantineTarget, oversize.lines, oversize.quarantineLines, { ...writeOptions, keyed: true, unitKey: `${unitKey}:big` });
      refused = big.quarantined - oversize.quarantineLines.length;
    }
    await sendMessages(platform.queues.events, messages);
  } catch (e) {
    if (e instanceof TernError) throw e;
    throw new UpstreamUnavailableError(`The rows could not be queued: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return { status: 202, body: { successful_rows: result.validCount - refused, quarantined_rows: result.quarantine.length + refused } };
}
