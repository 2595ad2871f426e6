/**
 * @module endpoints/cache
 * Endpoint answers kept in the location's cache (the Workers Cache API;
 * miniflare's under `wrangler dev` and in tests) for endpoints with
 * `CACHE <seconds>`. The key is the SQL the call would run and what shapes its
 * answer (`shared/cache/endpoint-key.ts`), so a lookup costs no ClickHouse
 * round trip and two principals that may see different rows never share an
 * entry. Rate limits are taken before the lookup and every call still gets its
 * `pipe_stats_rt` row (`answer.ts`). Only complete answers of up to
 * MAX_CACHED_ANSWER_BYTES are stored; failures never are. Two tiers: answers
 * of up to MEMORY_ENTRY_BYTES are also kept in this isolate's memory (4 MiB in
 * all, least recently used out first: `endpointAnswers` in
 * ../platform/caches.ts) under the same key and freshness rule, so a hot
 * entry is answered with no I/O at all; the Cache API is the location-wide
 * tier behind it. `Server-Timing` says which answered (`cache;desc=memory`,
 * `location`, `coalesced`, `miss`, `bypass`). Concurrent misses of one
 * entry in an isolate are coalesced: the first reads ClickHouse, the others
 * wait for its answer and are answered from it as hits. docs/caching.md.
 */
import {
  ageSeconds,
  answerCacheControl,
  endpointCacheKey,
  endpointCacheUrl,
  canonicalJson,
  freshness,
  isCompleteAnswer,
  type EndpointCacheKeyParts,
} from "../../shared/cache/endpoint-key.js";
import type { ManifestPipe } from "../../shared/deploy/manifest.js";
import { BadRequestError, ForbiddenError } from "../../shared/errors.js";
import { authorize, type Grant } from "../../shared/tokens/scopes.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";
import { isolateCache } from "../platform/caches.js";
import { runRead, type ReadOutcome, type ReadRequest } from "./execute.js";
import type { ReadShape } from "../clickhouse/read-guard.js";
import { OUTPUT_SETTINGS, option, type RequestInput } from "./params.js";

const OUTPUT_OPTIONS = [...OUTPUT_SETTINGS];

/** The largest answer kept, in bytes of the body as sent (a larger one is answered, never stored). */
export const MAX_CACHED_ANSWER_BYTES = 1024 * 1024;

/** The request option that skips the cache (`?__tb__cache=bypass`, admin tokens only). */
export const CACHE_OPTION = "__tb__cache";

/** How a call met the cache: `pipe_stats_rt.parameters['__tb__cache']` and the `X-Tern-Cache` header. */
export type CacheMark = "hit" | "stale" | "miss" | "bypass";

/** What a cached endpoint's call knows before its SQL is built. */
export interface CacheSpec {
  ttlSeconds: number;
  staleSeconds: number;
  bypass: boolean;
  key: Omit<EndpointCacheKeyParts, "sql" | "settings" | "format">;
  /**
   * Everything the read's SQL and settings are a function of (deployment,
   * pipe, format, the caller's whole scopes, params after fixed params, `q`,
   * output options): the same signature always builds the same read, so its
   * SQL and key are remembered by it (`knownRead`).
   */
  signature: string;
  /** The read names `tinybird.*` (its views must exist before it runs). */
  usesServiceViews?: boolean;
  /** The read's shape, remembered with it for the read guard. */
  shape?: ReadShape;
}

/** A read already built for a signature, and its entry's URL. */
interface KnownRead {
  sql: string;
  settings: Record<string, number | string>;
  usesServiceViews: boolean;
  url: string;
  /** The TTL its render chose (`cache_ttl()` wins over `CACHE`). */
  ttlSeconds: number;
  shape?: ReadShape;
}

const knownReads = isolateCache<KnownRead>("endpointReads");

/** The read a cached endpoint call with this signature builds, when this isolate built it before. */
export function knownRead(spec: CacheSpec): KnownRead | undefined {
  return spec.bypass ? undefined : knownReads.get(spec.signature);
}

/** A read of a cached endpoint. */
export type CachedReadRequest = ReadRequest & { cache?: CacheSpec };

/** Answers up to this size are also kept in isolate memory (`endpointAnswers` in ../platform/caches.ts bounds the total). */
export const MEMORY_ENTRY_BYTES = 64 * 1024;

interface KeptAnswer {
  bytes: Uint8Array;
  contentType: string;
  storedAt: number;
  resultRows: number;
}

/** The memory tier: weighed by the answer's bytes (its URL's are counted by the LRU), plus a little for the record. */
const kept = isolateCache<KeptAnswer>("endpointAnswers", (a) => a.bytes.byteLength + a.contentType.length * 2 + 64);

/** Headers of a stored entry: when it was stored (ms), and its result rows (for `pipe_stats_rt`). */
const STORED_AT = "x-tern-stored-at";
const RESULT_ROWS = "x-tern-result-rows";

/**
 * The cache spec of a call, or undefined when the endpoint has no `CACHE` and
 * its render called no `cache_ttl()` (`templateTtlSeconds`, known only once
 * its nodes are rendered; it wins over `CACHE`). `?__tb__cache=bypass` is
 * checked on every endpoint: only a token with ADMIN may skip the cache (it
 * would otherwise be a way around it onto ClickHouse).
 */
export function endpointCacheSpec(
  principal: Principal,
  input: RequestInput,
  pipe: ManifestPipe,
  live: LiveDeployment,
  grant: Grant,
  params: Record<string, unknown>,
  format: string,
  templateTtlSeconds?: number,
): CacheSpec | undefined {
  const switchValue = option(input, CACHE_OPTION);
  if (switchValue !== undefined) {
    if (switchValue !== "bypass") throw new BadRequestError(`${CACHE_OPTION} must be bypass`);
    if (!authorize(principal.scopes, { kind: "admin" }).allowed) throw new ForbiddenError(`${CACHE_OPTION}=bypass needs an ADMIN token`);
  }
  const publication = pipe.file.publication;
  const ttlSeconds = templateTtlSeconds ?? (publication.type === "endpoint" ? publication.cacheSeconds : undefined);
  if (publication.type !== "endpoint" || !ttlSeconds) return undefined;
  if (typeof caches === "undefined") return undefined; // not in workerd (role tests in Node)
  const signature = canonicalJson([
    principal.workspaceId,
    live.id,
    live.since,
    pipe.name,
    format,
    principal.scopes,
    params,
    option(input, "q") ?? null,
    OUTPUT_OPTIONS.map((name) => option(input, name) ?? null),
  ]);
  return {
    signature,
    ttlSeconds,
    staleSeconds: publication.cacheStaleSeconds ?? 0,
    bypass: switchValue === "bypass",
    key: {
      workspaceId: principal.workspaceId,
      pipe: pipe.name,
      deploymentId: live.id,
      liveSince: live.since,
      fixedParams: grant.fixedParams,
      filters: grant.filters,
    },
  };
}

/** What the lookup found: an answer to send as it is, or how to answer (and keep) the read. */
export interface CacheLookup {
  mark: CacheMark;
  /** A fresh or stale hit, ready to send. */
  hit?: { response: Response; resultRows: number };
  /** Turns the read's outcome into the answer, storing a copy once it is complete. */
  keep(outcome: ReadOutcome): Promise<Response>;
  /** The read failed before it answered: calls waiting for this miss read for themselves. */
  abandon(): void;
}

/**
 * Misses being read by this isolate, by entry URL (not a cache: an entry lives
 * while its read runs). A call that misses while the same entry is being read
 * waits for that answer instead of sending ClickHouse the same read again (a
 * burst on a cold or just expired key costs one read); it resolves undefined
 * when that answer was not stored (failed, cut short, too big), and the
 * waiter then reads for itself.
 */
const pendingMisses = new Map<string, Promise<KeptAnswer | undefined>>();

/** A miss waits for another call's read of its entry at most as long as that read may run. */
const WAIT_GRACE_SECONDS = 2;

function waitForPending(pending: Promise<KeptAnswer | undefined>, seconds: number): Promise<KeptAnswer | undefined> {
  let timer: number | null = null;
  const gaveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), seconds * 1000)));
  return Promise.race([pending, gaveUp]).finally(() => clearTimeout(timer));
}

/**
 * What a miss's read says about its entry: the answer stored, or undefined
 * when nothing will be; `storing` while the Cache API write is still under
 * way (the read stays findable until then, so no call misses in between).
 * Only the first answer counts.
 */
type Settle = (answer: KeptAnswer | undefined, storing?: boolean) => void;

/** Registers this call's read of `url` for concurrent misses to wait on. */
function startMiss(url: string): Settle {
  let resolve!: (answer: KeptAnswer | undefined) => void;
  const pending = new Promise<KeptAnswer | undefined>((r) => (resolve = r));
  pendingMisses.set(url, pending);
  return (answer, storing = false) => {
    if (!storing && pendingMisses.get(url) === pending) pendingMisses.delete(url);
    resolve(answer);
  };
}

/** Answers from the cache, or says how to answer and store a miss. */
export async function lookupCache(platform: Platform, principal: Principal, req: CachedReadRequest & { cache: CacheSpec }): Promise<CacheLookup> {
  const { timing } = platform;
  const started = timing.now();
  try {
    return await lookup(platform, principal, req);
  } finally {
    timing.add("cache", started);
  }
}

async function lookup(platform: Platform, principal: Principal, req: CachedReadRequest & { cache: CacheSpec }): Promise<CacheLookup> {
  const spec = req.cache;
  const { timing } = platform;
  if (spec.bypass) {
    timing.describe("cache", "bypass");
    return { mark: "bypass", keep: async (outcome) => withCacheHeaders(outcome.response, spec, 0, "BYPASS"), abandon: () => {} };
  }
  let url = knownReads.get(spec.signature)?.url;
  if (url === undefined) {
    const hash = await endpointCacheKey({ ...spec.key, sql: req.sql, settings: req.settings, format: req.format.clickhouse });
    url = endpointCacheUrl(spec.key.workspaceId, spec.key.pipe, hash);
    knownReads.set(spec.signature, {
      sql: req.sql, settings: req.settings, usesServiceViews: spec.usesServiceViews ?? false, url, ttlSeconds: spec.ttlSeconds, ...(spec.shape ? { shape: spec.shape } : {}),
    });
  }
  const keep = (outcome: ReadOutcome) => keepAnswer(platform, url, spec, outcome, req.format.clickhouse, () => {});
  const served = (storedAt: number, resultRows: number, body: () => { body: BodyInit | null; length: string | null; contentType: string | null }) => {
    const now = platform.clock.now();
    const state = freshness(storedAt, now, spec.ttlSeconds, spec.staleSeconds);
    if (state === "expired") return undefined;
    if (state === "stale") refreshInBackground(platform, principal, req, url, spec);
    const response = hitResponse(platform, body(), req, spec, ageSeconds(storedAt, now), state === "fresh" ? "HIT" : "STALE");
    return { mark: state === "fresh" ? ("hit" as const) : ("stale" as const), hit: { response, resultRows }, keep, abandon: () => {} };
  };
  const mine = kept.get(url);
  if (mine) {
    const hit = served(mine.storedAt, mine.resultRows, () => ({ body: mine.bytes, length: String(mine.bytes.byteLength), contentType: mine.contentType }));
    if (hit) {
      timing.describe("cache", "memory");
      return hit;
    }
    kept.delete(url);
  }
  const stored = await caches.default.match(url);
  if (stored) {
    const storedAt = Number(stored.headers.get(STORED_AT));
    const resultRows = Number(stored.headers.get(RESULT_ROWS) ?? 0);
    const length = stored.headers.get("content-length");
    const contentType = stored.headers.get("content-type");
    timing.describe("cache", "location");
    if (freshness(storedAt, platform.clock.now(), spec.ttlSeconds, spec.staleSeconds) !== "expired" && length !== null && Number(length) <= MEMORY_ENTRY_BYTES) {
      // Small: kept in this isolate too, so the next hit here needs no Cache API round trip.
      const bytes = new Uint8Array(await stored.arrayBuffer());
      kept.set(url, { bytes, contentType: contentType ?? req.format.contentType, storedAt, resultRows });
      const hit = served(storedAt, resultRows, () => ({ body: bytes, length, contentType }));
      if (hit) return hit;
    } else {
      const hit = served(storedAt, resultRows, () => ({ body: stored.body, length, contentType }));
      if (hit) return hit;
      await stored.body?.cancel();
    }
  }
  const pending = pendingMisses.get(url);
  if (pending) {
    const answer = await waitForPending(pending, platform.config.reads.queryTimeoutSeconds + WAIT_GRACE_SECONDS);
    const hit = answer && served(answer.storedAt, answer.resultRows, () => ({ body: answer.bytes, length: String(answer.bytes.byteLength), contentType: answer.contentType }));
    if (hit) {
      timing.describe("cache", "coalesced");
      return hit;
    }
    timing.describe("cache", "miss");
    if (pendingMisses.has(url)) return { mark: "miss", keep, abandon: () => {} }; // still unanswered: read alongside, without waiting longer
  }
  timing.describe("cache", "miss");
  const settle = startMiss(url);
  return {
    mark: "miss",
    keep: (outcome) => keepAnswer(platform, url, spec, outcome, req.format.clickhouse, settle),
    abandon: () => settle(undefined),
  };
}

function hitResponse(
  platform: Platform,
  stored: { body: BodyInit | null; length: string | null; contentType: string | null },
  req: ReadRequest,
  spec: CacheSpec,
  age: number,
  label: string,
): Response {
  // Every header in one object, handed to the runtime once (each Headers call crosses into it).
  const headers: Record<string, string> = {
    "content-type": stored.contentType ?? req.format.contentType,
    ...req.headers,
    "cache-control": answerCacheControl(spec.ttlSeconds, spec.staleSeconds, age),
    age: String(age),
    "x-tern-cache": label,
    // The answer is one token's: a browser must not hand it to a request with another Authorization.
    vary: "Authorization",
  };
  if (stored.length !== null) {
    headers["content-length"] = stored.length;
    // As for a fresh answer: small ones go out whole and uncompressed (TERN_SMALL_ANSWER_BYTES).
    if (Number(stored.length) <= platform.config.reads.smallAnswerBytes) headers["content-encoding"] = "identity";
  }
  return new Response(stored.body, { status: 200, headers });
}

function withCacheHeaders(response: Response, spec: CacheSpec, age: number, label: string): Response {
  const headers = response.headers;
  headers.set("cache-control", answerCacheControl(spec.ttlSeconds, spec.staleSeconds, age));
  headers.set("age", String(age));
  headers.set("x-tern-cache", label);
  // The answer is one token's: a browser must not hand it to a request with another Authorization.
  headers.append("vary", "Authorization");
  return response;
}

/**
 * The answer of a miss: its bytes go to the caller as they come and, when the
 * answer completed, fits MAX_CACHED_ANSWER_BYTES and carries no ClickHouse
 * exception, into the cache (after the answer, in `waitUntil`). `settle` hears
 * what was stored, or undefined once it is clear nothing will be.
 */
async function keepAnswer(
  platform: Platform,
  url: string,
  spec: CacheSpec,
  outcome: ReadOutcome,
  clickhouseFormat: string,
  settle: Settle,
): Promise<Response> {
  const response = outcome.response;
  const contentType = response.headers.get("content-type") ?? "";
  const store = (bytes: Uint8Array) => {
    platform.waitUntil(
      outcome.finished
        .then(({ fromAnswer }) => storeAnswer(platform, url, spec, bytes, contentType, clickhouseFormat, fromAnswer?.resultRows ?? outcome.resultRows, settle))
        .catch((e: unknown) => {
          settle(undefined);
          console.warn(`endpoint cache: ${e instanceof Error ? e.message : String(e)}`);
        }),
    );
  };
  // An answer cut short (a failure mid-stream, the caller gone) is never stored.
  void outcome.finished.then(({ complete }) => {
    if (!complete) settle(undefined);
  });
  const length = response.headers.get("content-length");
  if (length !== null || !response.body) {
    // A whole answer (TERN_SMALL_ANSWER_BYTES): already in memory.
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength <= MAX_CACHED_ANSWER_BYTES) store(bytes);
    else settle(undefined);
    return withCacheHeaders(new Response(bytes, { status: response.status, headers: response.headers }), spec, 0, "MISS");
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const copy = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (size <= MAX_CACHED_ANSWER_BYTES) {
        size += chunk.byteLength;
        if (size <= MAX_CACHED_ANSWER_BYTES) chunks.push(chunk);
        else chunks.length = 0; // too big to keep: stop holding it
      }
      controller.enqueue(chunk);
    },
    flush() {
      // Only a stream that ended normally gets here (an error or a caller hanging up never does).
      if (size <= MAX_CACHED_ANSWER_BYTES) store(concat(chunks, size));
      else settle(undefined);
    },
  });
  return withCacheHeaders(new Response(response.body.pipeThrough(copy), { status: response.status, headers: response.headers }), spec, 0, "MISS");
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

async function storeAnswer(
  platform: Platform,
  url: string,
  spec: CacheSpec,
  bytes: Uint8Array,
  contentType: string,
  clickhouseFormat: string,
  resultRows: number,
  settle: Settle,
): Promise<void> {
  if (!isCompleteAnswer(bytes, clickhouseFormat)) return settle(undefined);
  const storedAt = platform.clock.now();
  const headers = new Headers({
    "content-type": contentType,
    // The Cache API drops the entry once the fresh and stale windows are over.
    "cache-control": `public, max-age=${spec.ttlSeconds + spec.staleSeconds}`,
    [STORED_AT]: String(storedAt),
    [RESULT_ROWS]: String(resultRows),
  });
  const answer = { bytes, contentType, storedAt, resultRows };
  if (bytes.byteLength <= MEMORY_ENTRY_BYTES) kept.set(url, answer);
  // Calls waiting on this miss are answered now, before the Cache API write.
  settle(answer, true);
  try {
    await caches.default.put(url, new Response(bytes, { status: 200, headers }));
  } finally {
    settle(undefined);
  }
}

/** Stale entries being refreshed by this isolate (one refresh per entry at a time; not a cache). */
const refreshing = new Set<string>();

/** Serves stale, refreshes after: the read runs in `waitUntil` and its answer replaces the entry. */
function refreshInBackground(platform: Platform, principal: Principal, req: ReadRequest, url: string, spec: CacheSpec): void {
  if (refreshing.has(url)) return;
  refreshing.add(url);
  const work = (async () => {
    try {
      const outcome = await runRead(platform, principal, req);
      const response = await keepAnswer(platform, url, spec, outcome, req.format.clickhouse, () => {});
      await response.arrayBuffer(); // drains it: the copy is stored when the stream ends
    } catch (e) {
      console.warn(`endpoint cache refresh: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      refreshing.delete(url);
    }
  })();
  platform.waitUntil(work);
}
