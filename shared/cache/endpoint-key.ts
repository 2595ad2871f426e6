/**
 * @module cache/endpoint-key
 * What a cached endpoint answer is keyed by, and how fresh an entry is.
 *
 * The key is built from the SQL the call would run, never from the request's
 * parameters: the SQL is rendered with the request params after defaults and
 * a JWT's fixed params are applied, with the token's row filters wrapped in
 * and `q=` applied, so any parameter that changes the answer changes the key,
 * and parameter order, unused params or a default sent explicitly do not.
 * Around it: the workspace, pipe, live deployment (and when it went live, so
 * a rollback to an older deployment never finds that deployment's old
 * entries), output format and settings, and the token's scope on the pipe
 * (fixed params, filters) once more on their own. Nothing that names the
 * token itself is in it: two JWTs with the same scope share entries.
 */
import { jsonStatistics } from "../format/json-statistics.js";

export interface EndpointCacheKeyParts {
  workspaceId: string;
  pipe: string;
  /** The live deployment's id. */
  deploymentId: string;
  /** When that deployment went live (changes on every promote and rollback). */
  liveSince: string;
  /** ClickHouse output format (`JSON`, `CSV`, …). */
  format: string;
  /** The SQL that would run, exactly. */
  sql: string;
  /** ClickHouse settings of the read (template and output settings). */
  settings: Record<string, string | number>;
  /** The token's fixed params on this pipe. */
  fixedParams: Record<string, unknown>;
  /** The token's row filters on this pipe. */
  filters: readonly string[];
}

/** Bumped when the key's layout changes, so old entries are never read with a new meaning. */
const KEY_VERSION = 1;

/** The host of the synthetic URLs entries are stored under (the Cache API keys by absolute URL). */
export const ENDPOINT_CACHE_ORIGIN = "https://endpoint-cache.tern.invalid";

/** JSON with object keys sorted at every level; arrays keep their order (it can matter). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** The text that is hashed: every part, in a fixed order. */
export function endpointCacheKeyText(p: EndpointCacheKeyParts): string {
  return canonicalJson([
    KEY_VERSION,
    p.workspaceId,
    p.pipe,
    p.deploymentId,
    p.liveSince,
    p.format,
    p.settings,
    p.fixedParams,
    [...p.filters].sort(),
    p.sql,
  ]);
}

/** SHA-256 of the key text, hex. */
export async function endpointCacheKey(p: EndpointCacheKeyParts): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(endpointCacheKeyText(p)));
  let hex = "";
  for (const b of new Uint8Array(digest)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** The URL an entry is stored under. */
export function endpointCacheUrl(workspaceId: string, pipe: string, hash: string): string {
  return `${ENDPOINT_CACHE_ORIGIN}/${encodeURIComponent(workspaceId)}/${encodeURIComponent(pipe)}/${hash}`;
}

export type Freshness = "fresh" | "stale" | "expired";

/**
 * An entry stored at `storedAtMs` is fresh for `ttlSeconds`, then may be served
 * stale (and refreshed in the background) for `staleSeconds` more.
 */
export function freshness(storedAtMs: number, nowMs: number, ttlSeconds: number, staleSeconds: number): Freshness {
  const age = nowMs - storedAtMs;
  if (!Number.isFinite(age) || age < 0) return "expired";
  if (age < ttlSeconds * 1000) return "fresh";
  if (age < (ttlSeconds + staleSeconds) * 1000) return "stale";
  return "expired";
}

/** Whole seconds since the entry was stored (the `Age` header). */
export function ageSeconds(storedAtMs: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - storedAtMs) / 1000));
}

/**
 * The `Cache-Control` an answer of a cached endpoint carries: `private` (it is
 * one token's answer: no shared cache may keep it), fresh for what is left of
 * the TTL, and the stale window when there is one.
 */
export function answerCacheControl(ttlSeconds: number, staleSeconds: number, age: number): string {
  const left = Math.max(0, ttlSeconds - age);
  return staleSeconds > 0 ? `private, max-age=${left}, stale-while-revalidate=${staleSeconds}` : `private, max-age=${left}`;
}

/** How far back from the end an exception ClickHouse wrote into a started answer is looked for. */
const EXCEPTION_TAIL_BYTES = 4096;

/**
 * A complete answer: ClickHouse writes an error that happens after the answer
 * started into the body (`Code: N. DB::Exception: …`, or a JSON envelope
 * without its closing `statistics`); such an answer is never stored.
 */
export function isCompleteAnswer(bytes: Uint8Array, clickhouseFormat: string): boolean {
  const tail = new TextDecoder("latin1").decode(bytes.subarray(Math.max(0, bytes.byteLength - EXCEPTION_TAIL_BYTES)));
  if (tail.includes("DB::Exception")) return false;
  if (clickhouseFormat === "JSON") return jsonStatistics(tail) !== undefined;
  return true;
}
