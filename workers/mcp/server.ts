/**
 * @module mcp/server
 * The MCP server of one caller, built per request (stateless Streamable
 * HTTP): one tool per endpoint the token may read, named as the endpoint,
 * plus `list_datasources`, `list_endpoints`, `list_service_datasources`,
 * `execute_query` and `explore_data`.
 *
 * Nothing here decides what may run: an endpoint tool is `answerPipe` and
 * every query (`execute_query`, `explore_data`'s samples) is `answerSql`, the
 * role functions of `/v0/pipes/<pipe>.<format>` and `/v0/sql`, with the same
 * principal: scopes, READ filters, JWT fixed params, rate limits, the read
 * guard, the reader user and `pipe_stats_rt` (its URL carries `from=mcp`)
 * come with them. This module only lists what the scopes allow and shapes
 * the answers for an agent (results.ts).
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { DEFAULT_SQL_FORMAT, splitFormatClause } from "../../shared/format/formats.js";
import { SERVICE_DATASOURCES } from "../../shared/service/datasources.js";
import { authorize } from "../../shared/tokens/scopes.js";
import type { Params, ParamValue } from "../../shared/template/index.js";
import { NotFoundError } from "../../shared/errors.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";
import { pipeParameters } from "../endpoints/openapi.js";
import { answerPipe } from "../endpoints/pipe-call.js";
import { answerSql } from "../endpoints/query-api.js";
import type { RequestInput } from "../endpoints/params.js";
import type { CallInfo } from "../endpoints/stats.js";
import { TERN_VERSION } from "../version.js";
import { endpointInputShape, formatField } from "./schemas.js";
import { errorResult, jsonResult, READ_FORMATS, RESULT_CAP_BYTES, toolResult, type ResultFormat } from "./results.js";

export interface McpCaller {
  platform: Platform;
  principal: Principal;
  live: LiveDeployment | undefined;
  /** The server's origin as the caller reached it (for the URLs `pipe_stats_rt` records). */
  origin: string;
  userAgent: string;
}

const GENERAL_TOOLS = ["list_datasources", "list_endpoints", "list_service_datasources", "execute_query", "explore_data"];

/** Rows `explore_data` samples per datasource by default, and at most. */
const SAMPLE_ROWS = 5;
const MAX_SAMPLE_ROWS = 50;

/**
 * Each read gets its own id (its ClickHouse `query_id`): one MCP request may
 * run several, and a cut answer's query may still be dying when the next starts.
 */
function forRead(platform: Platform): Platform {
  return { ...platform, requestId: crypto.randomUUID() };
}

/** What `pipe_stats_rt` records of an MCP tool call: the HTTP call it stands for, with `from=mcp`. */
function callFor(caller: McpCaller, path: string, query: Record<string, string>): CallInfo {
  const qs = new URLSearchParams({ ...query, from: "mcp" });
  return { url: `${caller.origin}${path}?${qs}`, method: "POST", userAgent: caller.userAgent };
}

function asInput(all: Record<string, ParamValue>, params: Params = {}): RequestInput {
  return { all, params };
}

/** A tool body whose failures (TernErrors included) become `isError` results, never a crash. */
async function guarded(run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (e) {
    return errorResult(e);
  }
}

/** The endpoints the caller may read, by name. */
function readableEndpoints(caller: McpCaller) {
  const pipes = Object.values(caller.live?.manifest.pipes ?? {});
  return pipes
    .filter((p) => p.file.publication.type === "endpoint" && authorize(caller.principal.scopes, { kind: "read_pipe", pipe: p.name }).allowed)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The datasources the caller may read (their rows filtered by its READ scopes' filters). */
function readableDatasources(caller: McpCaller) {
  const datasources = Object.values(caller.live?.manifest.datasources ?? {});
  return datasources
    .map((d) => ({ d, grant: authorize(caller.principal.scopes, { kind: "read_datasource", datasource: d.name }) }))
    .filter(({ grant }) => grant.allowed)
    .sort((a, b) => a.d.name.localeCompare(b.d.name));
}

/** Runs `sql` through the Query API's role function, as `/v0/sql?q=` would. */
async function runQuery(caller: McpCaller, sql: string, format: ResultFormat): Promise<CallToolResult> {
  const split = splitFormatClause(sql);
  // A FORMAT the caller wrote wins (its text passed through); otherwise the tool's format.
  const own = split.ok && split.format !== DEFAULT_SQL_FORMAT;
  const q = own || !split.ok ? sql : `${split.sql}\nFORMAT ${READ_FORMATS[format].clickhouse}`;
  const response = await answerSql(forRead(caller.platform), caller.principal, {
    live: caller.live,
    input: asInput({ q, from: "mcp" }),
    call: callFor(caller, "/v0/sql", { q }),
  });
  return toolResult(response, own ? "raw" : format);
}

/** The MCP server for one caller: its tools are what its token may see. */
export function mcpServer(caller: McpCaller): McpServer {
  const server = new McpServer(
    { name: "tern", version: TERN_VERSION },
    {
      instructions:
        "Tern analytics workspace. Endpoint tools call the workspace's published API endpoints with their parameters. " +
        "list_datasources / list_endpoints / list_service_datasources describe what this token can read; explore_data shows schemas and sample rows; " +
        "execute_query runs one read-only ClickHouse SELECT over those names. Results are CSV unless format is json, and are cut past " +
        `${RESULT_CAP_BYTES} bytes with a note.`,
    },
  );
  const readOnly = { readOnlyHint: true, destructiveHint: false, openWorldHint: false };

  for (const pipe of readableEndpoints(caller)) {
    if (GENERAL_TOOLS.includes(pipe.name)) continue; // the built-in tool keeps its name
    const description = pipe.file.description?.trim() || `Calls the ${pipe.name} API endpoint.`;
    server.registerTool(
      pipe.name,
      {
        description: `${description}\n\nReturns the endpoint's result, CSV by default (format: json for JSON).`,
        inputSchema: endpointInputShape(pipeParameters(pipe)),
        annotations: { title: pipe.name, ...readOnly },
      },
      (args: Record<string, unknown>) =>
        guarded(async () => {
          const { format = "csv", ...rest } = args as { format?: ResultFormat } & Record<string, ParamValue>;
          const params: Record<string, ParamValue> = {};
          for (const [k, v] of Object.entries(rest)) if (v !== undefined) params[k] = v;
          const query = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
          const response = await answerPipe(forRead(caller.platform), caller.principal, {
            live: caller.live,
            pipe: pipe.name,
            format: READ_FORMATS[format],
            input: asInput({ ...params, from: "mcp" }, params),
            call: callFor(caller, `/v0/pipes/${pipe.name}.${format}`, query),
          });
          return toolResult(response, format);
        }),
    );
  }

  server.registerTool(
    "list_endpoints",
    {
      description: "Lists the published API endpoints this token can call: name, description and parameters (type, default, required).",
      annotations: { title: "List endpoints", ...readOnly },
    },
    () =>
      guarded(async () =>
        jsonResult(
          readableEndpoints(caller).map((p) => ({
            name: p.name,
            description: p.file.description ?? "",
            parameters: pipeParameters(p).map((s) => ({
              name: s.name,
              type: s.type,
              required: s.required,
              ...(s.default !== null && s.default !== undefined ? { default: s.default } : {}),
              ...(s.description ? { description: s.description } : {}),
            })),
          })),
        ),
      ),
  );

  server.registerTool(
    "list_datasources",
    {
      description: "Lists the workspace's datasources this token can read: name, description and columns. Query them by name with execute_query.",
      annotations: { title: "List datasources", ...readOnly },
    },
    () =>
      guarded(async () =>
        jsonResult(
          readableDatasources(caller).map(({ d, grant }) => ({
            name: d.name,
            description: d.file.description ?? "",
            columns: d.file.columns.map((c) => ({ name: c.name, type: c.type })),
            ...(grant.filters.length > 0 ? { rows: "filtered by this token's scope" } : {}),
          })),
        ),
      ),
  );

  server.registerTool(
    "list_service_datasources",
    {
      description:
        "Lists the tinybird.* service datasources (endpoint and query stats, errors, ingestion and job logs) with their columns; reading them needs the ADMIN or WORKSPACE:READ_ALL scope.",
      annotations: { title: "List service datasources", ...readOnly },
    },
    () =>
      guarded(async () => {
        const allowed = authorize(caller.principal.scopes, { kind: "read_all" }).allowed;
        const list = SERVICE_DATASOURCES.map((d) => ({ name: `tinybird.${d.name}`, columns: d.columns.map(([name, type]) => ({ name, type })) }));
        return jsonResult(allowed ? list : { datasources: [], note: "This token cannot read tinybird.* (it needs the ADMIN or WORKSPACE:READ_ALL scope)." });
      }),
  );

  server.registerTool(
    "execute_query",
    {
      description:
        "Runs one read-only ClickHouse SQL statement (SELECT, WITH, DESCRIBE) over this workspace's datasources, endpoints (as tables) and tinybird.* service datasources, " +
        "under this token's scopes, as the Query API (/v0/sql) does. Results are CSV by default, JSON with format: json; a FORMAT clause in the SQL is answered as written.",
      inputSchema: { sql: z.string().min(1).describe("The SQL statement"), format: formatField },
      annotations: { title: "Execute query", ...readOnly },
    },
    ({ sql, format }) => guarded(() => runQuery(caller, sql, format ?? "csv")),
  );

  server.registerTool(
    "explore_data",
    {
      description:
        "Shows the schema and a few sample rows of the datasources this token can read (all of them, or the one named), to learn the data before writing a query. " +
        "Samples are read through the Query API, so the token's row filters apply.",
      inputSchema: {
        datasource: z.string().min(1).optional().describe("One datasource to explore (default: every readable datasource)"),
        rows: z.number().int().min(0).max(MAX_SAMPLE_ROWS).optional().describe(`Sample rows per datasource (default ${SAMPLE_ROWS})`),
      },
      annotations: { title: "Explore data", ...readOnly },
    },
    ({ datasource, rows }) =>
      guarded(async () => {
        let targets = readableDatasources(caller);
        if (datasource !== undefined) {
          targets = targets.filter(({ d }) => d.name === datasource);
          if (targets.length === 0) throw new NotFoundError(`The datasource '${datasource}' does not exist or this token cannot read it`);
        }
        const n = rows ?? SAMPLE_ROWS;
        const content: CallToolResult["content"] = [];
        for (const { d } of targets) {
          const columns = d.file.columns.map((c) => `${c.name} ${c.type}`).join(", ");
          content.push({ type: "text", text: `## ${d.name}\n${d.file.description ? `${d.file.description}\n` : ""}Columns: ${columns}` });
          if (n === 0) continue;
          // The name is an identifier (datafile names are), so it needs no quoting.
          const sample = await runQuery(caller, `SELECT * FROM ${d.name} LIMIT ${n}`, "csv");
          if (sample.isError) return sample;
          content.push(...sample.content);
        }
        if (content.length === 0) content.push({ type: "text", text: "This token cannot read any datasource." });
        return { content };
      }),
  );

  return server;
}
