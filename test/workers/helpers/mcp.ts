// An MCP client from the official SDK, connected to the Worker under test over
// Streamable HTTP: its transport's fetch is SELF.fetch, so every message goes
// through the real /mcp route in workerd.
import { SELF } from "cloudflare:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** Connects with `token` in the Authorization header, or as `?token=` with `inQuery`. */
export async function mcpClient(token: string, options: { inQuery?: boolean } = {}): Promise<Client> {
  const url = new URL("http://tern.test/mcp");
  if (options.inQuery) url.searchParams.set("token", token);
  const transport = new StreamableHTTPClientTransport(url, {
    fetch: (input, init) => SELF.fetch(input instanceof Request ? input : String(input), init),
    ...(options.inQuery ? {} : { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  });
  const client = new Client({ name: "tern-tests", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

/** A tool call's result, its text blocks joined. */
export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<{ isError: boolean; text: string; blocks: string[] }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const blocks = result.content.flatMap((c) => (c.type === "text" ? [c.text] : []));
  return { isError: result.isError === true, text: blocks.join("\n"), blocks };
}
