/**
 * @module endpoints/execute
 * Runs one read on ClickHouse and streams the answer back untouched: the
 * ClickHouse format is the response format (its `FORMAT JSON` envelope is
 * Tinybird's JSON shape). Every read passes the read guard first (ClickHouse's
 * own parse of the exact SQL, `read-guard.ts`), then runs in the empty sandbox
 * database with `readonly=1`, a time budget and a result size cap; the request
 * id is the ClickHouse `query_id`.
 */
import type { ClickHouseSettings } from "@clickhouse/client-web";
import type { OutputFormat } from "../../shared/format/formats.js";
import type { Platform } from "../platform/platform.js";
import type { Principal } from "../auth/principal.js";
import { fromClickHouse } from "../clickhouse/errors.js";
import type { ReadShape } from "../clickhouse/read-guard.js";
import { toPublic } from "./public-errors.js";
import { takeReadSlot } from "./concurrency.js";
import { authorize } from "../../shared/tokens/scopes.js";
import { isTernError, QueryTimeoutError } from "../../shared/errors.js";
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import { jsonStatistics, TailBuffer, type JsonStatistics } from "../../shared/format/json-statistics.js";

export interface ReadRequest {
  sql: string;
  /** The caller's workspace database: the only database the SQL may name. */
  database: string;
  /** The live deployment, to name tables in errors as the caller knows them. */
  manifest: DeploymentManifest | undefined;
  format: OutputFormat;
  settings: Record<string, number | string>;
  /** Extra response headers (rate-limit state). */
  headers: Record<string, string>;
  /**
   * ClickHouse query parameters (`{name:Type}` in the SQL), raw as the caller
   * sent them: the read guard parses the SQL with them (an `Identifier` value
   * names a table), and they go to ClickHouse as `param_<name>` untouched.
   */
  queryParams?: Record<string, string>;
  /** Values of the secrets bound in `queryParams` (endpoints/pipe-secrets.ts): masked in every error text. */
  secrets?: readonly string[];
  /** The read's shape (an endpoint render's literals marked): the read guard's verdict is kept by it. */
  shape?: ReadShape;
  /** The answer carries ClickHouse's own `X-ClickHouse-*` headers (the ClickHouse interface). */
  clickhouseHeaders?: boolean;
}

export interface ReadOutcome {
  response: Response;
  readRows: number;
  readBytes: number;
  resultRows: number;
  /**
   * Resolves when the body has been fully sent (`complete`) or has stopped
   * short (a failure mid-stream, the caller hanging up), with the bytes sent
   * and, for a JSON answer, what its closing `statistics` say (a streamed
   * answer's summary header was sent before the query had read anything).
   */
  finished: Promise<{ resultBytes: number; complete: boolean; fromAnswer?: JsonStatistics }>;
}

/**
 * ClickHouse stops a query at max_execution_time by itself; a read that is
 * still unanswered this long after it (queued behind others, a server that
 * stopped answering) is abandoned and killed.
 */
const DEADLINE_GRACE_SECONDS = 2;
/** How long a read waits for one of its workspace's slots before 429. */
const QUEUE_WAIT_MS = 2000;

/**
 * Runs `req` for `principal`: a slot of its workspace, the read guard, then
 * the read as the workspace's reader, killed past its deadline or when the
 * caller hangs up. Resolves once the answer starts; `finished` says when it ends.
 */
export async function runRead(platform: Platform, principal: Principal, req: ReadRequest): Promise<ReadOutcome> {
  const limits = platform.config.reads;
  const release = await takeReadSlot(principal.workspaceId, limits.workspaceConcurrency, QUEUE_WAIT_MS);
  const abort = new AbortController();
  const deadline = setTimeout(() => abort.abort(), (limits.queryTimeoutSeconds + DEADLINE_GRACE_SECONDS) * 1000);
  const done = () => {
    clearTimeout(deadline);
    release();
  };
  try {
    const outcome = await startRead(platform, principal, req, abort.signal);
    void outcome.finished.finally(done);
    return outcome;
  } catch (e) {
    done();
    throw e;
  }
}

/** Cancels a query in ClickHouse by its id (the request id), off the hot path. */
function killQuery(platform: Platform, queryId: string): void {
  const kill = platform.clickhouse
    .kill(queryId)
    .catch((e: unknown) => console.warn(`KILL QUERY ${queryId} failed: ${e instanceof Error ? e.message : String(e)}`));
  platform.waitUntil(kill);
}

async function startRead(platform: Platform, principal: Principal, req: ReadRequest, signal: AbortSignal): Promise<ReadOutcome> {
  const { queryTimeoutSeconds: timeoutSeconds, maxResultBytes, smallAnswerBytes } = platform.config.reads;
  const settings = {
    ...req.settings,
    readonly: "1",
    max_execution_time: timeoutSeconds,
    max_result_bytes: String(maxResultBytes),
    result_overflow_mode: "throw",
  } as ClickHouseSettings;
  const clickhouse = platform.clickhouse;
  const queryId = platform.requestId;
  const audience = { database: req.database, manifest: req.manifest, admin: authorize(principal.scopes, { kind: "admin" }).allowed, secrets: req.secrets };
  try {
    const [, source] = await platform.timing.time("guard", () =>
      Promise.all([clickhouse.guard.sandbox(), clickhouse.guard.check(req.sql, req.database, req.queryParams, req.shape)]),
    );
    platform.timing.describe("guard", source);
  } catch (e) {
    throw isTernError(e) ? toPublic(e, audience) : e;
  }
  const timedOut = (cause: unknown) => {
    killQuery(platform, queryId);
    return new QueryTimeoutError(`[Error] The query did not finish within ${timeoutSeconds} s and was cancelled`, { cause });
  };
  const reader = await clickhouse.readerFor(principal.workspaceId, req.database);
  const { timing } = platform;
  const sent = timing.now();
  let result;
  try {
    result = await reader.exec({
      query: `${req.sql}\nFORMAT ${req.format.clickhouse}`,
      query_id: queryId,
      // Raw `param_<name>` values ride with the settings: client-web's query_params would re-escape text ClickHouse already reads as escaped.
      clickhouse_settings: req.queryParams ? { ...settings, ...paramSettings(req.queryParams) } : settings,
      abort_signal: signal,
    });
  } catch (e) {
    if (signal.aborted) throw timedOut(e);
    throw toPublic(fromClickHouse(e), audience);
  } finally {
    timing.add("ch", sent);
  }
  const bodyStart = timing.now();
  const json = req.format.clickhouse === "JSON";
  let read;
  try {
    read = await readHead((result.stream as ReadableStream<Uint8Array>).getReader(), smallAnswerBytes);
  } catch (e) {
    if (signal.aborted) throw timedOut(e);
    throw isTernError(e) ? toPublic(e, audience) : e;
  } finally {
    timing.add("body", bodyStart);
  }
  const headers = new Headers({ "content-type": req.format.contentType, ...req.headers });
  if (req.clickhouseHeaders) {
    for (const name of CLICKHOUSE_HEADERS) {
      const value = result.response_headers[name];
      if (typeof value === "string") headers.set(name, value);
    }
  }
  let body: ReadableStream<Uint8Array> | Uint8Array;
  let finished: ReadOutcome["finished"];
  if (read.whole) {
    // The whole answer is in hand: it goes out in one piece with its length, and
    // uncompressed (TERN_SMALL_ANSWER_BYTES in env.ts says why).
    body = read.whole;
    headers.set("content-encoding", "identity");
    headers.set("content-length", String(read.whole.byteLength));
    // Its closing statistics are read after the answer is handed over (a timer turn later), off the response path.
    const whole = read.whole;
    finished = new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => ({
      resultBytes: whole.byteLength,
      complete: true,
      fromAnswer: json ? jsonStatistics(new TextDecoder().decode(whole)) : undefined,
    }));
  } else {
    ({ body, finished } = streamAnswer(read.head, read.reader, json, () => killQuery(platform, queryId)));
  }
  const summary = result.summary;
  return {
    response: new Response(body, { status: 200, headers }),
    readRows: Number(summary?.read_rows ?? 0),
    readBytes: Number(summary?.read_bytes ?? 0),
    resultRows: Number(summary?.result_rows ?? 0),
    finished,
  };
}

type Finished = Awaited<ReadOutcome["finished"]>;

/** ClickHouse's answer headers a ClickHouse client reads (the query id is the caller's, set by the interface). */
const CLICKHOUSE_HEADERS = ["x-clickhouse-summary", "x-clickhouse-format", "x-clickhouse-timezone"];

/** Query parameters as the URL settings ClickHouse reads them from. */
export function paramSettings(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [`param_${k}`, v]));
}

/**
 * Reads while the answer fits in `limit` bytes (0: reads nothing). An answer
 * that ends within them comes back whole; otherwise what was read so far and
 * the reader, to stream the rest.
 */
async function readHead(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  limit: number,
): Promise<{ whole: Uint8Array; head?: never; reader?: never } | { whole?: never; head: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array> }> {
  const head: Uint8Array[] = [];
  let bytes = 0;
  while (bytes <= limit && limit > 0) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (e) {
      throw fromClickHouse(e);
    }
    if (next.done) {
      const whole = new Uint8Array(bytes);
      let offset = 0;
      for (const chunk of head) {
        whole.set(chunk, offset);
        offset += chunk.byteLength;
      }
      return { whole };
    }
    head.push(next.value);
    bytes += next.value.byteLength;
  }
  return { head, reader };
}

/**
 * Streams the answer (what was already read, then the rest), counting its bytes
 * and keeping a JSON answer's closing statistics.
 */
function streamAnswer(
  head: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
  json: boolean,
  onCancel: () => void,
): { body: ReadableStream<Uint8Array>; finished: Promise<Finished> } {
  let resultBytes = 0;
  let done!: (v: Finished) => void;
  const finished = new Promise<Finished>((resolve) => (done = resolve));
  const tail = json ? new TailBuffer() : undefined;
  const pass = (chunk: Uint8Array, controller: ReadableStreamDefaultController<Uint8Array>) => {
    resultBytes += chunk.byteLength;
    tail?.push(chunk);
    controller.enqueue(chunk);
  };
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        for (const chunk of head) pass(chunk, controller);
      },
      async pull(controller) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (e) {
          done({ resultBytes, complete: false });
          throw e;
        }
        if (!next.done) return pass(next.value, controller);
        done({ resultBytes, complete: true, fromAnswer: tail && jsonStatistics(tail.text()) });
        controller.close();
      },
      cancel(reason) {
        // The caller went away mid-answer: free its slot and stop the query.
        done({ resultBytes, complete: false });
        onCancel();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, finished };
}
