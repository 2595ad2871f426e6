/**
 * The connection pool: at most `size` engine connections in use at once, each
 * leased by one request, all on the engine's one data directory.
 *
 * Connections are reused, but only in the exact state they were left in on
 * purpose. A lease names the state its request needs (`state`: the engine
 * arguments, who asks, and the `SET`/`USE` text the handler runs on a fresh
 * connection). After the request, the handler may mark the lease `reusable`;
 * it does so only when the statement cannot change the session (a read or an
 * INSERT, which the engine runs with the request's query parameters and
 * in-statement `SETTINGS` applied to that query alone), it completed without
 * an error (also none after the headers went out), and it was not cancelled. Such a connection goes back to an idle list under its
 * state, and a later request asking for the *same* state gets it with the
 * `SET`/`USE` already done. Every other connection (a `SET`, `USE`, DDL,
 * `CREATE TEMPORARY TABLE`, an error, a cancelled or still-running
 * statement, a different state) is closed, as before, and the next request
 * opens a fresh one. So a reused connection carries nothing a fresh
 * connection prepared for the same request would not have, and nothing of a
 * request of another user or with other settings.
 *
 * `reserve` slots are kept for the admin user: restricted users (created with
 * CREATE USER) never take the last `reserve` free slots, so health checks,
 * inserts and DDL keep answering while they saturate reads. A request waiting
 * for a slot stops waiting when its signal fires (client gone, KILL QUERY).
 * Idle connections hold no slot; at most `size` of them are kept (the least
 * recently used is closed first).
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
  /** The connection was reused: it is already in the lease's `state` (its SET/USE were run by an earlier request). */
  readonly prepared: boolean;
  /**
   * Set by the request when its connection may serve a later request with the
   * same state (see the module comment). Left false, release closes it.
   */
  reusable: boolean;
  /** Returns the connection to the idle list (if reusable and idle) or closes it, and frees the slot. Idempotent. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  /** Admin requests may use the reserved slots. */
  admin: boolean;
  /** Stops waiting for a slot when it fires. */
  signal?: AbortSignal;
  /**
   * Everything that sets the connection's session state besides `args`: who
   * asks and the SET/USE text the request runs on a fresh connection. Only a
   * connection left in exactly this state is reused. Undefined: never reused.
   */
  state?: string;
}

interface Idle {
  key: string;
  conn: Connection;
}

export class ConnectionPool {
  readonly #slots: Slots;
  readonly #params = new Semaphore(1);
  readonly #leases = new Set<Lease>();
  /** Reusable connections, least recently used first. */
  #idle: Idle[] = [];
  #closed = false;
  #opened = 0;

  constructor(
    private readonly engine: Engine,
    readonly size: number,
    /** Slots only admin requests may take (less than `size`). */
    readonly reserve = 0,
  ) {
    this.#slots = new Slots(size, reserve);
  }

  /** Waits for a free slot, then hands out an idle connection in the asked-for state, or opens one with `args`. */
  async lease(args: readonly string[], opts: LeaseOptions = { admin: true }): Promise<Lease> {
    if (this.#closed) throw new Error("pool is closed");
    const free = await this.#slots.acquire(opts.admin, opts.signal);
    const key = opts.state === undefined ? undefined : JSON.stringify([args, opts.state]);
    let conn: Connection | undefined;
    if (key !== undefined) {
      for (let i = this.#idle.length - 1; i >= 0; i--) {
        if (this.#idle[i]!.key !== key) continue;
        conn = this.#idle[i]!.conn;
        this.#idle.splice(i, 1);
        break;
      }
    }
    const prepared = conn !== undefined;
    if (!conn) {
      try {
        conn = this.engine.connect(args);
        this.#opened++;
      } catch (e) {
        free();
        throw e;
      }
    }
    const c = conn;
    let done: Promise<void> | undefined;
    const lease: Lease = {
      conn: c,
      prepared,
      reusable: false,
      release: () => {
        done ??= (async () => {
          try {
            if (lease.reusable && key !== undefined && c.idle && !this.#closed) this.#park(key, c);
            else await c.close();
          } finally {
            this.#leases.delete(lease);
            free();
          }
        })();
        return done;
      },
    };
    this.#leases.add(lease);
    return lease;
  }

  #park(key: string, conn: Connection): void {
    this.#idle.push({ key, conn });
    while (this.#idle.length > this.size) void this.#idle.shift()!.conn.close();
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

  /** Connections kept for reuse, and connections opened so far (for tests and benches). */
  get stats(): { idle: number; opened: number } {
    return { idle: this.#idle.length, opened: this.#opened };
  }

  /** Stops new leases and waits until every connection, leased or idle, is closed. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#leases.size > 0) await Promise.all([...this.#leases].map((l) => l.release()));
    const idle = this.#idle;
    this.#idle = [];
    await Promise.all(idle.map((i) => i.conn.close()));
  }
}
