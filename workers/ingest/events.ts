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
import { ClickHouseError } from "@clickhouse/client-web";
import {
  countLines, HEREDOC, NdjsonSegmenter, THROW_IF_CODE, validateNdjson, validText, type Segment, type SqlCheckPlan, type ValidateResult,
} from "../../shared/ingest/index.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import { isStaging } from "../catalog/staging.js";
import { clickhouseMessage } from "../clickhouse/errors.js";
import type { Platform } from "../platform/platform.js";
import { eventsBuckets } from "../ratelimit/limit.js";
import { idempotencyUnitKey, readIdempotencyKey } from "./idempotency.js";
import { packMessages, sendMessages, type IngestMessage } from "./message.js";
import { readBodyChunks } from "./read-body.js";
import { writeBudget } from "./write-budget.js";
import { dedupToken } from "./land.js";
import { classifyInsertFailure } from "./refusal.js";
import { writeNow, type JoinedLines } from "./write-now.js";
import { logOps } from "../write/ops-log.js";
import { datasourceTables, liveDatasource } from "../write/target.js";
import { insertCheckedLines } from "../write/insert.js";
import { sqlCheckFor, validatorFor } from "../write/validators.js";
import { insertGrouped, type InsertVia } from "./group-insert.js";

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

function noop(): void {}

/**
 * Whether ClickHouse may check a segment's lines: NDJSON for sure (a body's first segment that
 * opens with `[` is an array, one opening with `{` may be an object over several lines: the
 * check refuses those and the Worker reads them), and no line holds the heredoc's tag.
 */
function isPlainSegment(segment: Segment): boolean {
  if (segment.index === 0 && segment.text.trimStart().charCodeAt(0) !== 123) return false; // {
  return !segment.text.includes(HEREDOC);
}

/** Characters of NDJSON validated and written at a time: memory is bounded by this, not by the request. */
export const SEGMENT_CHARS = 256 * 1024;

/**
 * The deduplication key of segment `index`: segment 0 keeps the request's key
 * (so a body of one segment is keyed exactly as a whole body was); later ones
 * chain it with their own text, so each depends on every byte before it.
 */
async function segmentKey(prev: string | undefined, index: number, text: string, scope: { keyed: string | undefined; workspaceId: string; datasource: string; importId: string }): Promise<string> {
  if (scope.keyed === undefined) return index === 0 ? scope.importId : `${scope.importId}:s${index}`;
  if (index === 0) return idempotencyUnitKey(scope.keyed, { workspaceId: scope.workspaceId, datasource: scope.datasource, body: text });
  return idempotencyUnitKey(scope.keyed, { workspaceId: scope.workspaceId, datasource: scope.datasource, body: `${prev!}\u0000${index}\u0000${text}` });
}

async function ingest(
  platform: Platform,
  principal: Principal,
  req: EventsRequest,
  at: { name: string; idempotencyKey: string | undefined } & ReturnType<typeof liveDatasource>,
): Promise<Omit<EventsAnswer, "headers">> {
  const { name, idempotencyKey, manifest, ds } = at;
  const { ingest: limits } = platform.config;
  const importId = platform.requestId;
  const receivedAt = new Date(platform.clock.now());
  const validator = validatorFor(manifest, ds);
  const ch = platform.clickhouse.admin;
  const { rows: target, quarantine: quarantineTarget } = datasourceTables(manifest, ds);
  const started = platform.clock.now();
  // INGEST_SQL_CHECK=on, wait=true, unkeyed, and every column checkable in SQL: ClickHouse checks the lines (see checkedSegment).
  const sqlCheck = limits.sqlCheck === "on" && req.wait && idempotencyKey === undefined ? sqlCheckFor(manifest, ds) : undefined;
  // Every token of this request's inserts derives from this key, so a keyed retry repeats them exactly.
  const keyed = idempotencyKey !== undefined;
  const scope = { keyed: idempotencyKey, workspaceId: principal.workspaceId, datasource: name, importId };
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

  // The body is read, validated and written a segment at a time (see README): while a
  // segment's rows are being written, the next one is read and validated; beyond one write in
  // flight per request, validated segments wait only within the isolate's write budget.
  const total = { nonBlank: false, landed: 0, quarantined: 0, queued: 0, parts: 0 };
  // The writes started and not finished yet (each promise settles when its write did, never rejects).
  const inFlight = new Set<Promise<void>>();
  let failed: { error: unknown } | undefined;
  // Read through a call: writes set `failed` from their callbacks, which TypeScript's narrowing does not see.
  const failure = () => failed;
  let prevKey: string | undefined;
  const validate = (text: string, index: number, firstLine: number) => validateNdjson(text, validator, {
    importId, now: receivedAt, ...(index === 0 ? {} : { continuation: { firstLine } }),
  });
  const handle = async (segment: Segment) => {
    // A segment's write failed: stop reading (the error is the answer).
    if (failed) throw failed.error;
    if (!total.nonBlank && segment.text.trim() !== "") total.nonBlank = true;
    let write: () => Promise<void>;
    let bytes: number;
    if (sqlCheck && isPlainSegment(segment)) {
      // ClickHouse checks the lines (shared/ingest/sql-check.ts): the Worker only counts them.
      const count = countLines(segment.text);
      if (count === 0) return;
      const unitKey = await segmentKey(prevKey, segment.index, segment.text, scope);
      prevKey = unitKey;
      const { text, index, firstLine } = segment;
      segment.text = "";
      write = checkedSegment(sqlCheck, text, count, unitKey, () => validate(text, index, firstLine));
      bytes = text.length;
    } else {
      const result = validate(segment.text, segment.index, segment.firstLine);
      if (result.validLines.length === 0 && result.quarantineLines.length === 0) return;
      const unitKey = await segmentKey(prevKey, segment.index, segment.text, scope);
      prevKey = unitKey;
      // Only what the write needs stays alive while earlier writes finish: the valid lines as one
      // string (the segment's own text when every line goes as it came, else joined), not the
      // line slices.
      const rows = req.wait ? { text: validText(segment.text, result), count: result.validCount } : undefined;
      segment.text = "";
      write = rows ? writeSegment(rows, result.quarantineLines, unitKey) : queueSegment(result, unitKey);
      bytes = rows && !keyed ? rows.text.length + result.quarantineLines.reduce((n, l) => n + l.length, 0) : 0;
    }
    // This segment was validated while earlier ones were being written. An unkeyed wait=true
    // segment may join them in flight while the isolate's write budget allows (group commit then
    // merges them into larger inserts); otherwise it waits for the request's write in flight (the
    // body is not read meanwhile). A keyed request's inserts carry their own tokens and never merge.
    if (bytes > 0) {
      while (!writeBudget.tryTake(bytes, inFlight.size === 0)) await Promise.race(inFlight);
    } else {
      while (inFlight.size > 0) await Promise.race(inFlight);
    }
    const failedMeanwhile = failure();
    if (failedMeanwhile) {
      writeBudget.give(bytes);
      throw failedMeanwhile.error;
    }
    const run = write();
    run.catch((error: unknown) => (failed ??= { error }));
    const done: Promise<void> = run.then(noop, noop).then(() => {
      inFlight.delete(done);
      writeBudget.give(bytes);
    });
    inFlight.add(done);
  };
  const writeSegment = (rows: JoinedLines, quarantineLines: readonly string[], unitKey: string) => async () => {
    let written;
    try {
      written = await writeNow(ch, target, quarantineTarget, rows, quarantineLines, { ...writeOptions, unitKey });
    } catch (e) {
      // Nothing of this segment was acknowledged: the client may safely retry (SDKs retry 503); with the same
      // Idempotency-Key nothing lands twice (earlier segments of a large body may have landed: their tokens repeat).
      throw new UpstreamUnavailableError(`The rows could not be written: ${clickhouseMessage(e)}`, { cause: e });
    }
    total.landed += written.landed;
    total.queued += written.queued;
    total.quarantined += written.quarantined;
  };
  // A segment ClickHouse checks: one insert (group commit in a lane of its own); when a line
  // makes the check throw, nothing of it landed and it goes the Worker's way, validated now.
  const checkedSegment = (plan: SqlCheckPlan, text: string, count: number, unitKey: string, revalidate: () => ValidateResult) => async () => {
    const via: InsertVia = { key: "sql-check", insert: (c, t, lines, o) => insertCheckedLines(c, t, plan, lines, o) };
    try {
      await insertGrouped(ch, target, text, { dedupToken: dedupToken([unitKey]), rows: count, waitUntil: writeOptions.waitUntil, via });
    } catch (e) {
      // The check threw, or ClickHouse refused a row (a constraint, a view): nothing of the insert landed,
      // and the Worker's way quarantines exactly as before. Anything else is the answer (503).
      const refused = e instanceof ClickHouseError && (e.code === THROW_IF_CODE || classifyInsertFailure(e) !== "other");
      if (!refused) throw new UpstreamUnavailableError(`The rows could not be written: ${clickhouseMessage(e)}`, { cause: e });
      const result = revalidate();
      await writeSegment({ text: validText(text, result), count: result.validCount }, result.quarantineLines, unitKey)();
      return;
    }
    total.landed += count;
  };
  const queueSegment = (result: ValidateResult, unitKey: string) => async () => {
    const { messages, oversize } = packMessages(base, result.validLines, result.quarantineLines, keyed ? unitKey : undefined);
    // Parts number the request's messages across its segments (unkeyed messages dedupe by importId and part).
    for (const m of messages) m.part += total.parts;
    total.parts += messages.length;
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
    total.queued += result.validCount - refused;
    total.quarantined += result.quarantine.length + refused;
  };

  try {
    const segmenter = new NdjsonSegmenter(SEGMENT_CHARS);
    for await (const chunk of readBodyChunks(req.body, { maxBytes: limits.maxBodyBytes, maxDecompressedBytes: limits.maxDecompressedBytes })) {
      for (const segment of segmenter.push(chunk)) await handle(segment);
    }
    for (const segment of segmenter.end()) await handle(segment);
  } catch (e) {
    // The body failed (too large, bad gzip, the client went away): what was already handed on still finishes.
    await Promise.all(inFlight);
    throw e;
  }
  await Promise.all(inFlight);
  const failedWrite = failure();
  if (failedWrite) throw failedWrite.error;
  if (!total.nonBlank) throw new BadRequestError("The request body is empty: send one JSON object per line (NDJSON)");

  if (!req.wait) return { status: 202, body: { successful_rows: total.queued, quarantined_rows: total.quarantined } };
  logOps(platform, [{
      workspaceId: principal.workspaceId, eventType: "append-hfi", datasource: name, result: "ok",
      elapsedSeconds: (platform.clock.now() - started) / 1000, requestId: importId, importId,
      rows: total.landed, rowsQuarantine: total.quarantined,
    }]);
  // Rows whose refusals took more inserts to isolate than a request may spend finish on the queue.
  return { status: total.queued > 0 ? 202 : 200, body: { successful_rows: total.landed + total.queued, quarantined_rows: total.quarantined } };
}
