// Reading a consumer's progress: the Kafka engine lands messages in the
// background, so tests poll a query until it answers what they expect (or the
// deadline passes, and the assertion shows what it answered last).
import type { ClickHouseClient } from "@clickhouse/client-web";

export interface Polling {
  /** The query's answer as TabSeparated text, trimmed. */
  scalar(sql: string): Promise<string>;
  /** Polls `sql` every 500 ms until it answers `want`; returns the last answer (an error's message while the server is down). */
  waitFor(sql: string, want: string, ms?: number): Promise<string>;
}

/** `client` is read on every call: tests replace their client when they restart ClickHouse. */
export function polling(client: () => ClickHouseClient, defaultMs: number): Polling {
  async function scalar(sql: string): Promise<string> {
    return (await (await client().query({ query: sql, format: "TabSeparated" })).text()).trim();
  }
  async function waitFor(sql: string, want: string, ms = defaultMs): Promise<string> {
    const deadline = Date.now() + ms;
    let got = "";
    while (Date.now() < deadline) {
      got = await scalar(sql).catch((e: Error) => e.message);
      if (got === want) return got;
      await new Promise((r) => setTimeout(r, 500));
    }
    return got;
  }
  return { scalar, waitFor };
}
