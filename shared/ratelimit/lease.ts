/**
 * @module ratelimit/lease
 * A token bucket that lends tokens out (the clock is passed in). The keeper
 * of a bucket (the RateLimiter Durable Object) withdraws a small lease of
 * tokens for an isolate, which spends them locally without a round trip per
 * request and gives back what it did not spend; `lease-client.ts` is the
 * isolate's side.
 *
 * Never over the limit, however many isolates share the bucket: a lease is
 * withdrawn from the bucket before any of it is spent, and the tokens out on
 * lease count against the bucket's ceiling until they come back (returned or
 * expired), so the bucket refills only up to `burst - leased`. The tokens that
 * can still be spent (in the bucket or unspent in a lease) thus never exceed
 * `burst` and grow only by refill at `rate`: in any window of T seconds at
 * most `burst + rate * T` requests are admitted, as with one exact bucket.
 * A lease lives `LEASE.ttlMs` on the isolate's clock, counted from before its
 * request was sent; the keeper forgets it `LEASE.graceMs` later (its tokens are
 * then lost, never handed out twice), so isolate clocks that lag (a Worker's
 * `Date.now()` stands still while it computes) cannot spend a lease the
 * keeper has already released.
 *
 * Lease sizes: what the isolate expects to spend, at most
 * `rate * LEASE.shareOfRateSeconds` tokens (one for small rates) unless that
 * many requests are already waiting for it (they spend it at once). Isolates
 * refused earlier are served first (each asker leaves one token for every
 * isolate that has waited longer), so a second isolate is never starved by a
 * busy first one.
 */
import type { TakeResult } from "./token-bucket.js";

export const LEASE = {
  /** How long an isolate may spend a lease, from before it asked. */
  ttlMs: 1_000,
  /** How much longer the keeper counts an unreturned lease as out. */
  graceMs: 1_000,
  /** A lease holds at most this many seconds of the bucket's rate (at least one token). */
  shareOfRateSeconds: 0.1,
} as const;

/** What an isolate asks for. */
export interface LeaseRequest {
  /** The asking isolate's id (random per isolate): who has waited longest. */
  holder: string;
  /** Tokens it expects to spend within a lease's life (capped at `maxLease`). */
  want: number;
  /** Requests waiting in the isolate right now: granted beyond `maxLease`, as they are spent at once. */
  need?: number;
  /** The lease it holds, given back with the tokens it did not spend. */
  giveBack?: { id: number; unspent: number };
}

/** What the keeper answers. */
export interface LeaseGrant {
  id: number;
  /** Tokens withdrawn for the isolate (0: refused; see `retryAfterMs`). */
  tokens: number;
  /** How long the isolate may spend them, from before it asked. */
  ttlMs: number;
  /** The bucket's burst (X-RateLimit-Limit). */
  limit: number;
  /** Whole tokens left in the bucket after the grant (not counting leases). */
  remaining: number;
  /** Seconds until the bucket is full again, if nothing more were spent and the leases came back. */
  resetSeconds: number;
  /** When refused, or granted less than the requests waiting (`need`): milliseconds until this isolate should ask again; 0 otherwise. */
  retryAfterMs: number;
}

interface Lease {
  tokens: number;
  holder: string;
  /** Keeper's clock: the grant time + ttl + grace. */
  forgetAt: number;
}

interface Holder {
  lastSeen: number;
  /** Since when it has been refused (unset once served). */
  hungrySince?: number;
}

/** Tokens a lease may hold for a bucket of this rate. */
export function maxLease(rate: number, burst: number): number {
  return Math.max(1, Math.floor(Math.min(burst, rate * LEASE.shareOfRateSeconds)));
}

function check(rate: number, burst: number): void {
  if (!(rate > 0) || !(burst >= 1)) throw new RangeError("rate must be > 0 and burst >= 1");
}

/** One bucket and the leases out of it. Starts full. */
export class LeasedBucket {
  #tokens = Number.NaN;
  #updatedAt = 0;
  #nextId = 1;
  readonly #leases = new Map<number, Lease>();
  readonly #holders = new Map<string, Holder>();
  #requests = 0;

  /** Calls to `take`, `lease` and `release` so far (what a lease saves is read here). */
  get requests(): number {
    return this.#requests;
  }

  /** Tokens out on lease (granted, not yet returned or forgotten). */
  get leased(): number {
    let sum = 0;
    for (const l of this.#leases.values()) sum += l.tokens;
    return sum;
  }

  /** Tokens in the bucket itself (fractional), as of the last call. */
  get tokens(): number {
    return this.#tokens;
  }

  /** Takes one token now, without a lease (one round trip per request). */
  take(now: number, rate: number, burst: number): TakeResult {
    check(rate, burst);
    this.#requests++;
    this.#advance(now, rate, burst);
    const allowed = this.#tokens >= 1;
    if (allowed) this.#tokens -= 1;
    return {
      allowed,
      limit: burst,
      remaining: Math.floor(this.#tokens),
      resetSeconds: this.#resetSeconds(rate, burst),
      retryAfterSeconds: allowed ? 0 : Math.ceil(this.#msUntil(1, rate, burst) / 1000),
    };
  }

  /** Takes back a lease (an isolate spent it all, or is done with it). */
  release(now: number, rate: number, burst: number, giveBack: { id: number; unspent: number }): void {
    check(rate, burst);
    this.#requests++;
    this.#advance(now, rate, burst);
    this.#giveBack(giveBack.id, giveBack.unspent, burst);
  }

  /** Takes back `request.giveBack`, then withdraws a lease for `request.holder`. */
  lease(now: number, rate: number, burst: number, request: LeaseRequest): LeaseGrant {
    check(rate, burst);
    this.#requests++;
    this.#advance(now, rate, burst);
    if (request.giveBack) this.#giveBack(request.giveBack.id, request.giveBack.unspent, burst);

    for (const [name, h] of this.#holders) if (now - h.lastSeen > LEASE.ttlMs + LEASE.graceMs) this.#holders.delete(name);
    const me = this.#holders.get(request.holder) ?? { lastSeen: now };
    me.lastSeen = now;
    this.#holders.set(request.holder, me);

    // One token held back for each isolate refused before this one.
    let ahead = 0;
    for (const [name, h] of this.#holders) {
      if (name !== request.holder && h.hungrySince !== undefined && (me.hungrySince === undefined || h.hungrySince < me.hungrySince)) ahead++;
    }
    const whole = Math.floor(this.#tokens);
    const free = whole - ahead;
    const asked = Math.max(Math.floor(request.need ?? 0) || 0, Math.min(Math.floor(request.want) || 1, maxLease(rate, burst)));
    const tokens = free >= 1 ? Math.max(1, Math.min(asked, free)) : 0;

    const id = this.#nextId++;
    if (tokens > 0) {
      this.#tokens -= tokens;
      this.#leases.set(id, { tokens, holder: request.holder, forgetAt: now + LEASE.ttlMs + LEASE.graceMs });
      me.hungrySince = undefined;
    } else {
      me.hungrySince ??= now;
    }
    return {
      id,
      tokens,
      ttlMs: LEASE.ttlMs,
      limit: burst,
      remaining: Math.floor(this.#tokens),
      resetSeconds: this.#resetSeconds(rate, burst),
      // Refused, or short of the requests already waiting: when to ask again.
      retryAfterMs: tokens >= Math.max(1, Math.floor(request.need ?? 0) || 0) ? 0 : this.#retryMs(ahead, rate, burst),
    };
  }

  /**
   * When a refused isolate may ask again: once a full lease is there for it and
   * for each isolate ahead of it (a tenth of a second's refill), so that a
   * saturated bucket answers each isolate about ten times a second, not once
   * per token. The tokens wait in the bucket meanwhile; none is lost.
   */
  #retryMs(ahead: number, rate: number, burst: number): number {
    const ms = this.#msUntil(Math.min((ahead + 1) * maxLease(rate, burst), Math.floor(burst)), rate, burst);
    return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms)) : LEASE.ttlMs + LEASE.graceMs;
  }

  #giveBack(id: number, unspent: number, burst: number): void {
    const lease = this.#leases.get(id);
    if (!lease) return; // already forgotten: its tokens were written off
    this.#leases.delete(id);
    const back = Math.max(0, Math.min(Math.floor(unspent), lease.tokens));
    this.#tokens = Math.min(this.#tokens + back, burst - this.leased);
  }

  /** Refills up to `now`, forgetting expired leases in order: while a lease is out, its tokens hold the ceiling down. */
  #advance(now: number, rate: number, burst: number): void {
    if (Number.isNaN(this.#tokens)) {
      this.#tokens = burst;
      this.#updatedAt = now;
      return;
    }
    this.#tokens = Math.min(this.#tokens, burst);
    const expired = [...this.#leases].filter(([, l]) => l.forgetAt <= now).sort((a, b) => a[1].forgetAt - b[1].forgetAt);
    for (const [id, l] of expired) {
      this.#refillTo(l.forgetAt, rate, burst);
      this.#leases.delete(id);
    }
    this.#refillTo(now, rate, burst);
  }

  #refillTo(t: number, rate: number, burst: number): void {
    if (t <= this.#updatedAt) return;
    const ceiling = burst - this.leased;
    if (this.#tokens < ceiling) this.#tokens = Math.min(ceiling, this.#tokens + ((t - this.#updatedAt) * rate) / 1000);
    this.#updatedAt = t;
  }

  #resetSeconds(rate: number, burst: number): number {
    return Math.ceil(Math.max(0, burst - this.#tokens) / rate);
  }

  /** Milliseconds until the bucket holds `n` tokens if nobody spends or returns any (leases expiring on time). */
  #msUntil(n: number, rate: number, burst: number): number {
    if (this.#tokens >= n) return 0;
    const forgets = [...this.#leases.values()].sort((a, b) => a.forgetAt - b.forgetAt);
    let t = this.#updatedAt;
    let tokens = this.#tokens;
    let leased = this.leased;
    for (let i = 0; ; i++) {
      const ceiling = burst - leased;
      const end = i < forgets.length ? forgets[i]!.forgetAt : Number.POSITIVE_INFINITY;
      if (ceiling >= n) {
        const at = t + ((n - tokens) * 1000) / rate;
        if (at <= end) return at - this.#updatedAt;
      }
      if (end === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY; // n > burst: never
      if (tokens < ceiling) tokens = Math.min(ceiling, tokens + ((end - t) * rate) / 1000);
      leased -= forgets[i]!.tokens;
      t = end;
    }
  }
}
