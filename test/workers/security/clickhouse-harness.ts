// The security suite at the ClickHouse interface (/clickhouse): the same attempts (corpus.ts), workspaces and
// four token kinds (harness.ts), sent as a ClickHouse driver sends them (the token as the Basic-auth password).
// The judgement is this surface's: refused with ClickHouse's error (a `Code: N. DB::Exception: …` body and
// X-ClickHouse-Exception-Code; ClickHouse answers some refusals, READONLY among them, with a 500), or (a
// legitimate query) answered with only rows the token may see; never Tern's internal error, never a leak.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Attempt } from "./corpus.js";
import { fill, leaks, tokens, ws, type TokenKind } from "./harness.js";

export interface ClickHouseOutcome {
  status: number;
  code: string | null;
  text: string;
}

/** One request to the interface: `sql` as the body, `query` as URL parameters. */
export async function sendClickHouse(sql: string, token: string, query: Record<string, string> = {}): Promise<ClickHouseOutcome> {
  const qs = new URLSearchParams(query).toString();
  const res = await SELF.fetch(`http://tern.test/clickhouse/${qs ? `?${qs}` : ""}`, {
    method: "POST",
    headers: { authorization: `Basic ${btoa(`${ws.name}:${token}`)}` },
    body: sql,
  });
  return { status: res.status, code: res.headers.get("x-clickhouse-exception-code"), text: await res.text() };
}

/** Codes that mean Tern failed rather than refused: its internal error, ClickHouse unreachable. */
const FAILURE_CODES = new Set(["1001", "210"]);

/**
 * What this surface must never show beyond the suite's markers: a physical name (`tern_<id>`, the sandbox,
 * the service database, this workspace's versioned tables) or a row of the server's own `system.tables`.
 */
function serverLeaks(text: string, sent: string): string[] {
  // A name the attempt sent may be quoted back by the refusal.
  const markers = ["asynchronous_metrics", "aggregate_function_combinators", ws.eventsTable.split(".")[1]!, "tern_"];
  return markers.filter((m) => !sent.includes(m) && text.includes(m));
}

/**
 * `system.databases`, `tables`, `columns`, `functions` and `one` are this surface's own per-token tables: an
 * attempt that reads them through a trick the tokenizer might miss may be answered, with nothing a leak marker finds
 * (the server's own system tables hold physical names and rows such as `asynchronous_metrics`).
 */
function readsServedSchema(sql: string): boolean {
  return /system/i.test(sql) && !/\b(users|processes|query_log|numbers)\b/i.test(sql);
}

export function judgeClickHouse(attempt: Attempt, kind: TokenKind, where: string, out: ClickHouseOutcome, sent: string): string | undefined {
  const leaked = [...leaks(out.text, kind, sent), ...serverLeaks(out.text, sent)];
  if (leaked.length) return `${kind.name} at ${where}: leaked ${leaked.join(", ")} (${out.status})`;
  if (out.status === 200) return attempt.confined || readsServedSchema(sent) ? undefined : `${kind.name} at ${where}: answered 200 ${out.text.slice(0, 200)}`;
  if (out.code === null || !/^Code: \d+\. DB::Exception: /.test(out.text)) return `${kind.name} at ${where}: ${out.status} not in ClickHouse's error format: ${out.text.slice(0, 200)}`;
  if (out.text.startsWith(`Code: ${out.code}.`) === false) return `${kind.name} at ${where}: header code ${out.code} differs from the body's`;
  if (FAILURE_CODES.has(out.code)) return `${kind.name} at ${where}: failed (${out.code}) ${out.text.slice(0, 200)}`;
  return undefined;
}

/** One test per attempt: every token kind at the ClickHouse interface. */
export function clickhouseAttempts(title: string, attempts: readonly Attempt[]): void {
  describe(`${title} (${attempts.length} attempts × 4 tokens at the ClickHouse interface)`, () => {
    it.each(attempts.map((a) => [a.name, a] as const))("%s", async (_name, attempt) => {
      const sql = fill(attempt.sql);
      const failures: string[] = [];
      for (const kind of tokens) {
        const f = judgeClickHouse(attempt, kind, "/clickhouse", await sendClickHouse(sql, kind.token), sql);
        if (f) failures.push(f);
      }
      expect(failures).toEqual([]);
    });
  });
}
