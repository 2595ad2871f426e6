/**
 * @module mcp/routes
 * `/mcp`: the MCP server over Streamable HTTP, stateless (each POST builds the
 * caller's server and a transport for that one request; JSON answers, no SSE
 * stream, no sessions: a GET or DELETE is 405, as the transport spec allows).
 * The token comes as `Authorization: Bearer` or `?token=` (static tokens and
 * JWTs); a request without a valid one is refused before any MCP message is read.
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { MethodNotAllowedError } from "../../shared/errors.js";
import type { AppEnv } from "../api/context.js";
import { requireAuth } from "../auth/require.js";
import { mcpServer } from "./server.js";

/** An MCP request is a few JSON-RPC messages; nothing legitimate comes near this. */
const MAX_REQUEST_BYTES = 1024 * 1024;

export const mcpRoutes = new Hono<AppEnv>();
mcpRoutes.use(
  "*",
  cors({
    origin: "*",
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    allowHeaders: ["authorization", "content-type", "mcp-protocol-version", "mcp-session-id", "last-event-id"],
    exposeHeaders: ["x-request-id", "mcp-session-id", "mcp-protocol-version"],
    maxAge: 86400,
  }),
);

mcpRoutes.post("/", requireAuth(undefined, { allowJwt: true }), async (c) => {
  const platform = c.get("platform");
  const principal = c.get("principal");
  const live = await platform.catalog.liveDeployment(principal.workspaceId);
  const server = mcpServer({
    platform,
    principal,
    live,
    origin: new URL(c.req.url).origin,
    userAgent: c.req.header("user-agent") ?? "",
  });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    maxRequestBodySize: MAX_REQUEST_BYTES,
  });
  await server.connect(transport);
  try {
    return await transport.handleRequest(c.req.raw);
  } finally {
    // The answer is complete (JSON responses); the server and its transport die with the request.
    platform.waitUntil(server.close());
  }
});

mcpRoutes.on(["GET", "DELETE"], "/", () => {
  throw new MethodNotAllowedError("This MCP server is stateless: send JSON-RPC messages with POST (no SSE stream, no sessions)");
});
