/**
 * `tern mcp url`: the URL an MCP client connects to (`<host>/mcp?token=<token>`,
 * Streamable HTTP), for the workspace token the CLI resolves, or any other
 * with --token (a resource-scoped token or a JWT gives an agent only what it
 * may read). Nothing is called: the host and token are the connection's.
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { connect } from "../remote.js";

/** The MCP server's URL on `host`, with the token as `?token=` unless it goes in a header. */
export function mcpUrl(host: string, token: string | undefined): string {
  const url = new URL("mcp", host.endsWith("/") ? host : `${host}/`);
  if (token !== undefined) url.searchParams.set("token", token);
  return url.toString();
}

export const mcp: Command = {
  name: "mcp",
  summary: "The MCP server's URL, for AI agents",
  help: `Usage: tern mcp url [options]

Prints the URL of the workspace's MCP server (Streamable HTTP), with the token in it:
paste it into Claude Desktop, Cursor or \`npx mcp-remote <url>\` (docs/mcp.md).

Options:
  --no-token          print the URL without the token (send it as Authorization: Bearer)
${REMOTE_HELP}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    if (sub !== "url") throw new UsageError(`unknown subcommand '${sub}'`);
    const { values } = parse(rest, { ...REMOTE_OPTIONS, "no-token": { type: "boolean" } }, { min: 0, max: 0 });
    const { connection } = await connect(io, values);
    const token = values["no-token"] ? undefined : (await connection.token()).token;
    const url = mcpUrl(connection.host, token);
    if (values.json) io.out(JSON.stringify({ url, transport: "streamable-http" }, null, 2));
    else io.out(url);
    return 0;
  },
};
