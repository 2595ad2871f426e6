/**
 * The connection pool: at most `size` engine connections in use at once, each
 * leased by one request, all on the engine's one data directory. A connection
 * is opened fresh for every lease (about half a millisecond), so a request's
 * settings, `USE` and `SET` never leak into another request — the same
 * isolation ClickHouse's HTTP interface gives without a session.
 *
 * `reserve` slots are kept for the admin user: restricted users (created with
 * CREATE USER) never take the last `reserve` free slots, so health checks,
 * inserts and DDL keep answering while they saturate reads. A request waiting
 * for a slot stops waiting when its signal fires (client gone, KILL QUERY).
 *
 * Parameterized statements are serialized: chDB keeps query-parameter state
 * in a way that is not isolated between connections running at the same time
 * (see the chdb package's own notes on CApiQueryParameterGuard), so only one
 * statement with parameters is being set up in the engine at any moment.
 */
import type { Connection, Engine } from "./engine.js";

class Semaphore {
  #free: number;
  #waiters: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiters.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

interface Waiter {
  admin: boolean;
  grant: () => void;
}

/** Slots with a reserve that only admin requests may take; waiters are served in order where they fit. */
class Slots {
  #free: number;
  readonly #waiters: Waiter[] = [];
  constructor(
    size: number,
    private readonly reserve: number,
  ) {
    this.#free = size;
  }

  #fits(admin: boolean): boolean {
    return admin ? this.#free > 0 : this.#free > this.reserve;
  }

  /** Resolves with the slot's release function; rejects with the signal's reason if it fires first. */
  acquire(admin: boolean, signal: AbortSignal | undefined): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const release = this.#releaser();
    if (this.#waiters.length === 0 && this.#fits(admin)) {
      this.#free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        admin,
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#dispatch();
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free++;
      this.#dispatch();
    };
  }

  /** Hands free slots to the earliest waiters that may take them. */
  #dispatch(): void {
    for (let i = 0; i < this.#waiters.length && this.#free > 0; ) {
      const w = this.#waiters[i]!;
      if (this.#fits(w.admin)) {
        this.#free--;
        this.#waiters.splice(i, 1);
        w.grant();
      } else i++;
    }
  }
}

export interface Lease {
  conn: Connection;
  /** Closes the connection and frees the slot. Idempotent. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  /** Admin requests may use the reserved slots. */
  admin: boolean;
  /** Stops waiting for a slot when it fires. */
  signal?: AbortSignal;
}

export class ConnectionPool {
  readonly #slots: Slots;
  readonly #params = new Semaphore(1);
  readonly #leases = new Set<Lease>();
  #closed = false;

  constructor(
    private readonly engine: Engine,
    readonly size: number,
    /** Slots only admin requests may take (less than `size`). */
    readonly reserve = 0,
  ) {
    this.#slots = new Slots(size, reserve);
  }

  /** Waits for a free slot, then opens a connection with the given engine arguments. */
  async lease(args: readonly string[], opts: LeaseOptions = { admin: true }): Promise<Lease> {
    if (this.#closed) throw new Error("pool is closed");
    const free = await this.#slots.acquire(opts.admin, opts.signal);
    let conn: Connection;
    try {
      conn = this.engine.connect(args);
    } catch (e) {
      free();
      throw e;
    }
    let done: Promise<void> | undefined;
    const lease: Lease = {
      conn,
      release: () => {
        done ??= conn.close().finally(() => {
          this.#leases.delete(lease);
          free();
        });
        return done;
      },
    };
    this.#leases.add(lease);
    return lease;
  }

  /** Runs `fn` while holding the process-wide lock for parameterized statements. */
  async withParamLock<T>(fn: () => Promise<T>): Promise<T> {
    const unlock = await this.#params.acquire();
    try {
      return await fn();
    } finally {
      unlock();
    }
  }

  get inUse(): number {
    return this.#leases.size;
  }

  /** Stops new leases and waits until every leased connection is closed. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#leases.size > 0) await Promise.all([...this.#leases].map((l) => l.release()));
  }
}
