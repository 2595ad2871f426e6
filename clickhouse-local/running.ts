/**
 * The requests being served, by query id: what `KILL QUERY` looks up, what
 * refuses a duplicate `query_id`, and what counts a user's simultaneous
 * queries. Each entry carries an AbortSignal that fires when the query is
 * killed or its client goes away; every stage of the request watches it.
 */
import { ClickHouseException, Codes } from "./errors.js";

export class RunningQuery {
  readonly #controller = new AbortController();
  #finish!: () => void;
  /** Settles once the request is over and its engine connection is released. */
  readonly finished = new Promise<void>((resolve) => (this.#finish = resolve));
  /** The statement text, once the body has been read. */
  query = "";

  constructor(
    readonly queryId: string,
    readonly user: string,
    /** Whether the user is a restricted one (counts toward max_concurrent_queries_for_user). */
    readonly restricted: boolean,
  ) {}

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops the request: what it waits for rejects with `reason` (a ClickHouse exception, or ClientGoneError). */
  cancel(reason: Error): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** Throws the cancellation reason if the request was cancelled. */
  check(): void {
    if (this.#controller.signal.aborted) throw this.#controller.signal.reason as Error;
  }

  markFinished(): void {
    this.#finish();
  }
}

export function queryWasCancelled(): ClickHouseException {
  return new ClickHouseException(Codes.QUERY_WAS_CANCELLED, "Query was cancelled");
}

export class RunningQueries {
  readonly #byId = new Map<string, RunningQuery>();

  get(queryId: string): RunningQuery | undefined {
    return this.#byId.get(queryId);
  }

  /** Registers a request; throws 216 when the id is already running (ClickHouse refuses duplicates). */
  start(queryId: string, user: string, restricted: boolean): RunningQuery {
    if (this.#byId.has(queryId)) {
      throw new ClickHouseException(216, `Query with id = ${queryId} is already running`, "QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING");
    }
    const q = new RunningQuery(queryId, user, restricted);
    this.#byId.set(queryId, q);
    return q;
  }

  finish(q: RunningQuery): void {
    if (this.#byId.get(q.queryId) === q) this.#byId.delete(q.queryId);
    q.markFinished();
  }

  countFor(user: string): number {
    let n = 0;
    for (const q of this.#byId.values()) if (q.user === user) n++;
    return n;
  }
}

/** Resolves with `p`, or rejects with the signal's reason as soon as it fires (`p` keeps running). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e as Error);
      },
    );
  });
}
