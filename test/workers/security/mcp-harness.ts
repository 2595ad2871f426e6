// The security suite through the MCP server: the same attempts (corpus.ts), the same two workspaces and four
// token kinds (harness.ts), sent as MCP tool calls with the SDK's client (execute_query, endpoint tools). The
// judgement is harness.ts's, read in MCP terms: an isError result carrying a 4xx {"error"} answer (or an MCP
// error the SDK raised before the tool ran: no such tool, arguments that fail the schema), or a legitimate
// query answered with only rows the token may see; never a 5xx, never a leak.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { callTool, mcpClient } from "../helpers/mcp.js";
import type { Attempt } from "./corpus.js";
import { fill, leaks, securityWorkspaces, tokens, type TokenKind } from "./harness.js";

const clients = new Map<string, Client>();

/** securityWorkspaces, then one MCP client per token kind. */
export function mcpSecurityWorkspaces(prefix: string): void {
  securityWorkspaces(`mcp_${prefix}`);
  beforeAll(async () => {
    for (const kind of tokens) clients.set(kind.name, await mcpClient(kind.token));
    // The surface answers a legitimate query: a refusal below is the attempt's, not a broken server's.
    const sane = await callTool(clients.get(tokens[0]!.name)!, "execute_query", { sql: "SELECT count() AS c FROM events" });
    expect(sane.text).toBe('"c"\n10\n');
  });
  afterAll(async () => {
    for (const c of clients.values()) await c.close();
    clients.clear();
  });
}

export function client(kind: TokenKind): Client {
  return clients.get(kind.name)!;
}

/** One tool call judged: undefined when refused or confined, else what went wrong. */
export async function judgeCall(attempt: Attempt, kind: TokenKind, tool: string, args: Record<string, unknown>): Promise<string | undefined> {
  const where = `${tool}(${JSON.stringify(args).slice(0, 80)})`;
  const out = await callTool(client(kind), tool, args);
  const leaked = leaks(out.text, kind, fill(attempt.sql));
  if (leaked.length) return `${kind.name} at ${where}: leaked ${leaked.join(", ")}`;
  if (!out.isError) return attempt.confined ? undefined : `${kind.name} at ${where}: answered ${out.text.slice(0, 200)}`;
  // Refused by the SDK before the tool ran (no such tool for this token, arguments the schema refuses).
  if (/^MCP error -32602: (Tool \S+ not found|Input validation error)/.test(out.text)) return undefined;
  let body: { error?: unknown; status?: unknown };
  try {
    body = JSON.parse(out.text);
  } catch {
    return `${kind.name} at ${where}: an error result that is not the {"error"} answer: ${out.text.slice(0, 200)}`;
  }
  if (typeof body.error !== "string" || typeof body.status !== "number") return `${kind.name} at ${where}: error result without error and status: ${out.text.slice(0, 200)}`;
  if (body.status >= 500) return `${kind.name} at ${where}: ${body.status} ${body.error}`;
  return undefined;
}

/** One test per attempt: every token kind through execute_query, CSV and JSON. */
export function mcpSqlAttempts(title: string, attempts: readonly Attempt[]): void {
  describe(`${title} (${attempts.length} attempts × 4 tokens × MCP execute_query)`, () => {
    it.each(attempts.map((a) => [a.name, a] as const))("%s", async (_name, attempt) => {
      const sql = fill(attempt.sql);
      const failures: string[] = [];
      for (const kind of tokens) {
        const f = await judgeCall(attempt, kind, "execute_query", { sql });
        if (f) failures.push(f);
      }
      expect(failures).toEqual([]);
    });
  });
}
