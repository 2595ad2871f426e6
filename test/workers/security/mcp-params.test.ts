// Security suite through MCP endpoint tools: params (values and column() identifiers) that try to escape the
// template's quoting, and JWT fixed params, with every token kind. A token that cannot read echo or by_paths
// has no such tool: its calls are refused as unknown tools.
import { describe, expect, it } from "vitest";
import { callTool } from "../helpers/mcp.js";
import { IDENTIFIER_ATTEMPTS, PARAM_ATTEMPTS } from "./corpus.js";
import { tokens } from "./harness.js";
import { client, judgeCall, mcpSecurityWorkspaces } from "./mcp-harness.js";

mcpSecurityWorkspaces("params");

describe(`endpoint tool params (${PARAM_ATTEMPTS.length + IDENTIFIER_ATTEMPTS.length}) with every token`, () => {
  it.each(PARAM_ATTEMPTS.map((a) => [a.name, a] as const))("value: %s", async (_name, attempt) => {
    const failures: string[] = [];
    const v = attempt.sql;
    for (const kind of tokens) {
      for (const [tool, args] of [
        ["top_pages", { tenant: v }],
        ["echo", { s: v }],
        ["by_paths", { paths: [v] }],
      ] as const) {
        const f = await judgeCall({ ...attempt, confined: true }, kind, tool, args);
        if (f) failures.push(f);
      }
    }
    expect(failures).toEqual([]);
  });

  it.each(IDENTIFIER_ATTEMPTS.map((a) => [a.name, a] as const))("column(): %s", async (_name, attempt) => {
    const failures: string[] = [];
    for (const kind of tokens) {
      const f = await judgeCall({ ...attempt, confined: true }, kind, "echo", { col: attempt.sql });
      if (f) failures.push(f);
    }
    expect(failures).toEqual([]);
  });

  it("a JWT's fixed tenant wins over the tool's arguments, on the endpoint and in execute_query", async () => {
    const jwt = tokens.find((t) => t.name === "JWT with fixed params")!;
    const admin = tokens.find((t) => t.name === "workspace admin")!;
    const viaTool = await callTool(client(jwt), "top_pages", { tenant: "globex" });
    const asAcme = await callTool(client(admin), "top_pages", { tenant: "acme" });
    expect(viaTool.text).toBe(asAcme.text);
    const viaSql = await callTool(client(jwt), "execute_query", { sql: "SELECT sum(views) AS v FROM top_pages" });
    expect(viaSql.text).toBe('"v"\n5\n');
    const viaTemplate = await callTool(client(jwt), "execute_query", { sql: "%\nSELECT {{ String(tenant, 'none') }} AS t" });
    expect(viaTemplate.text).toBe('"t"\n"acme"\n');
  });
});
