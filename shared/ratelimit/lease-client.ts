/**
 * @module ratelimit/lease-client
 * An isolate's side of leased rate limits (`lease.ts` is the keeper's): each
 * request spends a token of the lease this isolate holds for the bucket, with
 * no round trip; only when the lease is spent, expired, or was taken for other
 * limits does the isolate ask the keeper again, giving back what it did not
 * spend; a lease spent to the last token goes back at once (`release`).
 * Concurrent callers share that one request, and it asks for as many tokens
 * as callers wait; if it fails, the callers that joined it ask again. A refusal is remembered until the keeper said to ask again,
 * so refused requests make no round trip either. The transport, the clock and the per-bucket state store
 * are passed in.
 *
 * The `X-RateLimit-Remaining` a local spend reports is the bucket's count when
 * this isolate's lease was granted plus what is left of the lease: exact while
 * one isolate uses the bucket, an estimate when several do (they spend the
 * same bucket meanwhile, and it refills).
 */
import type { TakeResult } from "./token-bucket.js";
import type { LeaseGrant, LeaseRequest } from "./lease.js";

/** Asks the keeper of `key`'s bucket for a lease. */
export type LeaseTransport = (key: string, rate: number, burst: number, request: LeaseRequest) => Promise<LeaseGrant>;

/** Gives a lease back to the keeper of `key`'s bucket without asking for another. */
export type ReleaseTransport = (key: string, rate: number, burst: number, giveBack: { id: number; unspent: number }) => Promise<void>;

/** This isolate's standing with one bucket. */
export interface LeaseState {
  /** The limits the lease or the refusal was taken for. */
  rate: number;
  burst: number;
  lease?: { id: number; left: number; granted: number; expiresAt: number; bucketRemaining: number };
  refusal?: { until: number; resetSeconds: number };
  /** The request to the keeper in flight, shared by every caller that waits for it. */
  inflight?: Promise<void>;
  /** Callers waiting for `inflight`. */
  waiting: number;
  /** Tokens the next lease should hold: what the last one showed this isolate spends in a lease's life. */
  want: number;
}

export interface LeaseStateStore {
  get(key: string): LeaseState | undefined;
  set(key: string, state: LeaseState): unknown;
}

export interface LeaseClientOptions {
  /** This isolate's id, the same for all its requests. */
  holder: string;
  now(): number;
  request: LeaseTransport;
  /** Without it, a spent lease goes back with the next request for one (or is written off when it expires). */
  release?: ReleaseTransport;
  states?: LeaseStateStore;
  /**
   * How long a caller waits for a request to the keeper that another caller
   * sent (default `JOIN_TIMEOUT_MS`). Past it the request counts as lost and
   * this caller asks for itself: in workerd, a request that the sending
   * client's disconnect cancelled may never settle for the others.
   */
  joinTimeoutMs?: number;
}

/** A lease request normally takes a few milliseconds; one still out after this is taken for lost. */
export const JOIN_TIMEOUT_MS = 1_000;

/** The joined request did not settle in time. */
class JoinTimedOut extends Error {}

/**
 * A caller waits for at most two requests to the keeper: the one in flight when
 * it arrived, which did not count it, and the next, which did. Past those the
 * bucket had no token for it when asked: 429, as a request to the bucket
 * itself would have been answered.
 */
const MAX_ROUNDS = 2;

export interface LeaseClient {
  /** Takes one token from `key`'s bucket (`rate` per second, up to `burst`). */
  take(key: string, rate: number, burst: number): Promise<TakeResult>;
}

export function leaseClient(options: LeaseClientOptions): LeaseClient {
  const states: LeaseStateStore = options.states ?? new Map<string, LeaseState>();

  async function renew(key: string, s: LeaseState, rate: number, burst: number): Promise<void> {
    const sentAt = options.now();
    const old = s.lease;
    s.lease = undefined;
    s.refusal = undefined;
    if (old) s.want = old.left === 0 && sentAt < old.expiresAt ? grow(old.granted) : Math.max(1, old.granted - old.left);
    s.rate = rate;
    s.burst = burst;
    const grant = await options.request(key, rate, burst, {
      holder: options.holder,
      want: s.want,
      need: s.waiting,
      ...(old ? { giveBack: { id: old.id, unspent: old.left } } : {}),
    });
    if (grant.tokens > 0) {
      s.lease = { id: grant.id, left: grant.tokens, granted: grant.tokens, expiresAt: sentAt + grant.ttlMs, bucketRemaining: grant.remaining };
    }
    // Refused, or short of what is waiting: callers past the lease are refused until then.
    if (grant.retryAfterMs > 0) s.refusal = { until: sentAt + grant.retryAfterMs, resetSeconds: grant.resetSeconds };
  }

  // A spent lease goes back at once: until the keeper hears of it, its tokens hold the bucket's ceiling down.
  function release(key: string, s: LeaseState, send: ReleaseTransport): void {
    const spent = s.lease!;
    s.lease = undefined;
    s.want = grow(spent.granted);
    send(key, s.rate, s.burst, { id: spent.id, unspent: 0 }).catch(() => {
      // Lost: the keeper writes the lease off when it expires.
    });
  }

  return {
    async take(key, rate, burst) {
      let s = states.get(key);
      if (!s) {
        s = { rate, burst, waiting: 0, want: 1 };
        states.set(key, s);
      }
      for (let round = 0; ; round++) {
        const local = spendLocally(s, options.now(), rate, burst);
        if (local) {
          if (local.allowed && s.lease?.left === 0 && options.release) release(key, s, options.release);
          return local;
        }
        if (round === MAX_ROUNDS) return { allowed: false, limit: burst, remaining: 0, resetSeconds: Math.ceil(burst / rate), retryAfterSeconds: Math.ceil(1 / rate) };
        s.waiting++;
        const joined = s.inflight !== undefined;
        try {
          const state = s;
          if (!state.inflight) {
            const sent: Promise<void> = renew(key, state, rate, burst).finally(() => {
              // A request given up on as lost may settle after a newer one was sent: leave that one be.
              if (state.inflight === sent) state.inflight = undefined;
            });
            state.inflight = sent;
          }
          const awaited = state.inflight;
          if (!joined) await awaited;
          else if (!(await settledWithin(awaited, options.joinTimeoutMs ?? JOIN_TIMEOUT_MS))) {
            if (state.inflight === awaited) state.inflight = undefined;
            throw new JoinTimedOut("the request to the rate limiter another call sent did not answer");
          }
        } catch (e) {
          // A request another caller started failed or never settled (its own request may have been
          // cancelled): ask again from this one. A request this caller started, or a second failure, is its error.
          if (!joined || round > 0) throw e;
        } finally {
          s.waiting--;
        }
      }
    },
  };
}

/** Whether `p` settled (fulfilled: true; rejected: its error) within `ms`; false if it had not. */
async function settledWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((ok) => {
    timer = setTimeout(() => ok(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true as const), late]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** A lease spent before it expired: ask for twice as much next time (the keeper caps it). */
function grow(granted: number): number {
  return Math.min(granted * 2, 1 << 30);
}

/** Spends a token of the lease, or repeats a standing refusal; undefined when only the keeper can tell. */
export function spendLocally(s: LeaseState, now: number, rate: number, burst: number): TakeResult | undefined {
  if (s.inflight || s.rate !== rate || s.burst !== burst) return undefined;
  const lease = s.lease;
  if (lease && lease.left >= 1 && now < lease.expiresAt) {
    lease.left -= 1;
    const remaining = Math.min(burst, lease.bucketRemaining + lease.left);
    return { allowed: true, limit: burst, remaining, resetSeconds: Math.ceil((burst - remaining) / rate), retryAfterSeconds: 0 };
  }
  if (s.refusal && now < s.refusal.until) {
    return { allowed: false, limit: burst, remaining: 0, resetSeconds: s.refusal.resetSeconds, retryAfterSeconds: Math.ceil((s.refusal.until - now) / 1000) };
  }
  return undefined;
}
