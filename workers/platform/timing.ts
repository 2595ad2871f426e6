/**
 * @module platform/timing
 * The request's phases, answered as `Server-Timing` (endpoints, the Query
 * API): `auth`, `live` (the live deployment), `ratelimit`, `compile`, `guard`, `ch` (the read sent until
 * ClickHouse's answer headers, its first byte), `body` (reading ClickHouse's
 * answer), `total` (from the platform's creation to the answer's headers).
 *
 * Resolution: workerd's clocks (`Date.now()`, `performance.now()`) tick in
 * whole milliseconds and stand still while JavaScript runs, moving when the
 * isolate waits on I/O (a Spectre mitigation, the same locally and on
 * Cloudflare; nothing finer is exposed to a Worker). One call's phase reads
 * 0, 1, 2…, and a pure-CPU phase mostly 0. Over many calls, whose starts fall
 * anywhere within a millisecond, the mean of a phase is its length:
 * `bench/endpoints` prints means. Node (role tests) has a real
 * `performance.now()`, so there every phase is measured as is.
 *
 * A phase may carry a description saying which way it went (`guard;desc="shape"`:
 * the read guard's verdict came from the read's shape; `cache;desc="memory"`:
 * a hit answered from isolate memory), so tests and benches can tell paths
 * apart without timing them.
 */

/** Phase names, in the order they are answered. */
export const PHASES = ["auth", "live", "ratelimit", "compile", "guard", "cache", "ch", "body"] as const;
export type Phase = (typeof PHASES)[number];

export interface Timing {
  /** Adds the time since `startedAt` (from `now()`) to `phase`. */
  add(phase: Phase, startedAt: number): void;
  /** Runs `work`, adding its time to `phase`. */
  time<T>(phase: Phase, work: () => Promise<T>): Promise<T>;
  /** Says which way `phase` went (letters, digits and `-` only); the last word wins. */
  describe(phase: Phase, desc: string): void;
  now(): number;
  /** The `Server-Timing` value: every phase seen, then `total`. */
  header(): string;
}

const now = () => performance.now();

export function createTiming(): Timing {
  const start = now();
  const spent = new Map<Phase, number>();
  const descs = new Map<Phase, string>();
  const add = (phase: Phase, startedAt: number) => spent.set(phase, (spent.get(phase) ?? 0) + (now() - startedAt));
  return {
    add,
    now,
    describe(phase, desc) {
      if (/^[A-Za-z0-9-]+$/.test(desc)) descs.set(phase, desc);
    },
    async time(phase, work) {
      const t0 = now();
      try {
        return await work();
      } finally {
        add(phase, t0);
      }
    },
    header() {
      const parts: string[] = [];
      for (const phase of PHASES) {
        const ms = spent.get(phase);
        const desc = descs.get(phase);
        if (ms !== undefined) parts.push(`${phase};dur=${ms.toFixed(2)}${desc === undefined ? "" : `;desc="${desc}"`}`);
      }
      parts.push(`total;dur=${(now() - start).toFixed(2)}`);
      return parts.join(", ");
    },
  };
}

/** Sets `Server-Timing` on `response` (a copy when its headers are immutable, as a cached one's may be). */
export function withServerTiming(response: Response, timing: Timing): Response {
  const value = timing.header();
  try {
    response.headers.set("server-timing", value);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set("server-timing", value);
    return copy;
  }
}
