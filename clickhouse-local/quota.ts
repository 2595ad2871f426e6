/**
 * Quota accounting for restricted users, as ClickHouse counts it: a query is
 * counted when it starts (`queries`), its execution time when it ends
 * (`execution_time`); a start is refused once a counter of the current
 * interval is past its maximum. Intervals are aligned to multiples of their
 * length since the epoch (ClickHouse's non-randomized intervals). Usage lives
 * in memory and starts again at zero when the server restarts, as on a server.
 *
 * A quota without `KEYED BY` is shared by all users it applies to; a user
 * covered by several quotas is held to every one of them (a real server picks
 * one).
 */
import type { Quota } from "./access-store.js";
import { ClickHouseException, Codes } from "./errors.js";
import { quoteIdentifier } from "./sql.js";

interface Usage {
  endMs: number;
  queries: number;
  executionNs: bigint;
}

function backQuote(s: string): string {
  // ClickHouse's backQuote always quotes, with backslash escapes.
  return quoteIdentifier(s);
}

export class QuotaTracker {
  /** Per quota name: the definition it was counted under, and one usage per interval. */
  readonly #usage = new Map<string, { definition: string; intervals: Usage[] }>();

  constructor(private readonly timezone: string) {}

  #usageOf(quota: Quota, nowMs: number): Usage[] {
    const definition = JSON.stringify(quota.intervals);
    let entry = this.#usage.get(quota.name);
    if (!entry || entry.definition !== definition) {
      entry = { definition, intervals: quota.intervals.map(() => ({ endMs: 0, queries: 0, executionNs: 0n })) };
      this.#usage.set(quota.name, entry);
    }
    quota.intervals.forEach((interval, i) => {
      const u = entry.intervals[i]!;
      if (nowMs >= u.endMs) {
        const lengthMs = interval.seconds * 1000;
        u.endMs = (Math.floor(nowMs / lengthMs) + 1) * lengthMs;
        u.queries = 0;
        u.executionNs = 0n;
      }
    });
    return entry.intervals;
  }

  #exceeded(user: string, quota: Quota, i: number, what: string, endMs: number): ClickHouseException {
    const interval = quota.intervals[i]!;
    const end = new Intl.DateTimeFormat("sv-SE", { timeZone: this.timezone, dateStyle: "short", timeStyle: "medium" }).format(new Date(endMs));
    return new ClickHouseException(
      Codes.QUOTA_EXCEEDED,
      `Quota for user ${backQuote(user)} for ${interval.seconds}s has been exceeded: ${what}. Interval will end at ${end}. Name of quota template: ${backQuote(quota.name)}`,
    );
  }

  /** Counts a query starting now; throws QUOTA_EXCEEDED when a limit is past. */
  begin(user: string, quotas: Quota[], nowMs = Date.now()): void {
    for (const quota of quotas) {
      const usage = this.#usageOf(quota, nowMs);
      quota.intervals.forEach((interval, i) => {
        const u = usage[i]!;
        const maxNs = interval.maxExecutionTime === undefined ? undefined : BigInt(Math.round(interval.maxExecutionTime * 1e9));
        if (maxNs !== undefined && maxNs > 0n && u.executionNs > maxNs) {
          throw this.#exceeded(user, quota, i, `execution_time = ${Number(u.executionNs) / 1e9}/${interval.maxExecutionTime}`, u.endMs);
        }
      });
      quota.intervals.forEach((interval, i) => {
        const u = usage[i]!;
        u.queries++;
        if (interval.maxQueries !== undefined && interval.maxQueries > 0 && u.queries > interval.maxQueries) {
          throw this.#exceeded(user, quota, i, `queries = ${u.queries}/${interval.maxQueries}`, u.endMs);
        }
      });
    }
  }

  /** Adds a finished query's execution time. */
  end(quotas: Quota[], elapsedNs: bigint, nowMs = Date.now()): void {
    for (const quota of quotas) {
      for (const u of this.#usageOf(quota, nowMs)) u.executionNs += elapsedNs;
    }
  }
}
