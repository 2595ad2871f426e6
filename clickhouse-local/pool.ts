/**
 * The connection pool: at most `size` engine connections in use at once, each
 * leased by one request, all on the engine's one data directory. A connection
 * is opened fresh for every lease (about half a millisecond), so a request's
 * settings, `USE` and `SET` never leak into another request — the same
 * isolation ClickHouse's HTTP interface gives without a session.
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
  get waiting(): number {
    return this.#waiters.length;
  }
}

export interface Lease {
  conn: Connection;
  /** Closes the connection and frees the slot. Idempotent. */
  release(): Promise<void>;
}

export class ConnectionPool {
  readonly #slots: Semaphore;
  readonly #params = new Semaphore(1);
  readonly #leases = new Set<Lease>();
  #closed = false;

  constructor(
    private readonly engine: Engine,
    readonly size: number,
  ) {
    this.#slots = new Semaphore(size);
  }

  /** Waits for a free slot, then opens a connection with the given engine arguments. */
  async lease(args: readonly string[]): Promise<Lease> {
    if (this.#closed) throw new Error("pool is closed");
    const free = await this.#slots.acquire();
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
