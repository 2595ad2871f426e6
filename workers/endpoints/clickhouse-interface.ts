/**
 * @module endpoints/clickhouse-interface
 * The ClickHouse HTTP interface (Tinybird's `clickhouse.<region>` host): a
 * ClickHouse driver connects with the token as its password (user: the
 * workspace's name, or anything) and reads the workspace's datasources and
 * pipes by their own names, `tinybird.*`, and the `system.*` tables a schema
 * browser needs (`schema-tables.ts`). Read-only.
 *
 * This file only speaks the protocol: credentials (Basic auth,
 * `X-ClickHouse-User`/`-Key`, `user`/`password` URL params, Bearer), the query
 * (`query` URL param, then the body, gzip/deflate-encoded or not), `database`,
 * `default_format`/`X-ClickHouse-Format`, `param_<name>`, `query_id`, the
 * settings drivers send (an allowlist, below), answer compression
 * (`enable_http_compression` + Accept-Encoding), the `X-ClickHouse-*`
 * headers. What the caller may run is decided where the Query API decides it
 * (`buildSqlRead` → `runRead`: canonical text, read-only check, names and
 * scopes, the read guard, the workspace's reader user); failures are the same
 * TernErrors, answered in ClickHouse's format by `api/app.ts`.
 */
import type { Context } from "hono";
import type { AppEnv } from "../api/context.js";
import { resolvePrincipal, type Principal } from "../auth/principal.js";
import type { Platform } from "../platform/platform.js";
import { READER_OUTPUT_SETTINGS } from "../clickhouse/workspace-users.js";
import { sqlFormat, type OutputFormat } from "../../shared/format/formats.js";
import { BadRequestError, ForbiddenError, isTernError, NotFoundError, PayloadTooLargeError, UnauthorizedError, type ClickHouseCode } from "../../shared/errors.js";
import { answerRead } from "./answer.js";
import { buildSqlRead } from "./query-api.js";
import { systemTable } from "./schema-tables.js";
import { workspaceName } from "./session-functions.js";
import { paramsForLog } from "./params.js";
import { callInfo } from "./stats.js";

/** Where the interface lives on every host (on `TERN_CLICKHOUSE_HOST` it is at `/`). */
export const CLICKHOUSE_PATH = "/clickhouse";

/** A query (URL + body, decompressed) longer than this is refused before anything runs. */
const MAX_QUERY_BYTES = 1024 * 1024;

/**
 * Query parameters travel to ClickHouse in its URL (as the drivers send them);
 * past this many bytes together they are refused, well below the URL sizes
 * servers and proxies accept (the local engine's server: 16 KiB of headers).
 */
const MAX_PARAM_BYTES = 8 * 1024;

/** ClickHouse's default output format when neither the SQL, `default_format` nor `X-ClickHouse-Format` names one. */
const DEFAULT_FORMAT = "TabSeparated";

/** URL parameters of the protocol itself (not settings). */
const PROTOCOL_PARAMS = new Set([
  "query", "database", "default_format", "user", "password", "query_id", "session_id", "session_timeout", "session_check",
  "compress", "decompress", "buffer_size", "quota_key", "role",
]);

/**
 * Settings drivers send that change nothing Tern lets them change: accepted and
 * not passed on. The answer streams whatever `wait_end_of_query` says; progress
 * headers are not sent; input settings have no input to act on.
 */
const ACCEPTED_SETTINGS = new Set([
  "wait_end_of_query", "send_progress_in_http_headers", "http_headers_progress_interval_ms", "enable_http_compression",
  "http_zlib_compression_level", "cancel_http_readonly_queries_on_client_close", "http_write_exception_in_output_format",
  "http_response_buffer_size", "date_time_input_format", "use_client_time_zone", "log_comment", "log_queries",
  "output_format_write_statistics", "max_block_size", "use_query_cache",
]);
const ACCEPTED_PREFIXES = ["input_format_", "format_csv_", "format_tsv_"];
/** Settings that shape the answer, passed to ClickHouse (the reader's profile lets a read-only user change them). */
const FORWARDED_SETTINGS = new Set<string>(READER_OUTPUT_SETTINGS);
/** Settings a driver may send at their usual value: accepted only when they lift nothing. */
const HARMLESS_VALUES: Record<string, (value: string, platform: Platform) => boolean> = {
  readonly: (v) => v === "1",
  max_execution_time: (v, p) => /^\d+(\.\d+)?$/.test(v) && Number(v) <= p.config.reads.queryTimeoutSeconds,
  allow_experimental_analyzer: (v) => v === "1",
};

const code = (c: number, type: string): ClickHouseCode => ({ code: String(c), type });
const READONLY = code(164, "READONLY");

/** The request as the protocol carries it, before anything is checked against the caller. */
interface ProtocolRequest {
  token: string | undefined;
  user: string | undefined;
  sql: string | undefined;
  database: string | undefined;
  format: string | undefined;
  queryId: string | undefined;
  queryParams: Record<string, string>;
  settings: Array<[string, string]>;
  compress: boolean;
}

/** Answers one request to the interface; `path` is the part after the interface's prefix (`/`, `/ping`). */
export async function answerClickHouse(c: Context<AppEnv>, path: string): Promise<Response> {
  const request = c.req.raw;
  if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: corsHeaders(true) });
  if (path === "/ping" || path === "/replicas_status") return ok(request);
  if (path !== "/" && path !== "") throw new NotFoundError(`There is no handle ${path}: use / or /ping`);
  if (request.method !== "GET" && request.method !== "POST" && request.method !== "HEAD") {
    throw new BadRequestError(`HTTP method ${request.method} is not supported: use GET or POST`, { clickhouse: code(1, "UNSUPPORTED_METHOD") });
  }
  const proto = await readProtocol(request);
  // ClickHouse answers a bare GET (a health probe) with "Ok.".
  if (proto.sql === undefined && request.method !== "POST") return ok(request);
  const platform = c.get("platform");
  const principal = await authenticate(platform, proto);
  const live = await platform.timing.time("live", () => platform.catalog.liveDeployment(principal.workspaceId));
  const workspace = await workspaceName(platform, principal.workspaceId);
  const started = platform.clock.now();
  const stats = { pipeId: "clickhouse_interface", pipeName: "clickhouse_interface", startedAt: started, parameters: paramsForLog(proto.queryParams) };
  const response = await answerRead(platform, principal, callInfo(request), stats, async () => {
    // Checked inside the logged call: a refused setting or database is an error row like any other.
    if (proto.sql === undefined || proto.sql.trim() === "") throw new BadRequestError("Empty query", { clickhouse: code(62, "SYNTAX_ERROR") });
    if (proto.database !== undefined && proto.database !== "" && proto.database !== "default" && proto.database !== workspace) {
      throw new NotFoundError(`Database ${proto.database} does not exist`, { clickhouse: code(81, "UNKNOWN_DATABASE") });
    }
    const settings = checkedSettings(platform, proto.settings);
    const defaultFormat = outputFormat(proto.format ?? DEFAULT_FORMAT);
    const schema = { database: workspace, systemTable: (name: string) => systemTable({ database: workspace, manifest: live?.manifest, scopes: principal.scopes, limits: platform.config.reads }, name) };
    const user = proto.user !== undefined && proto.user !== "" ? proto.user : workspace;
    const read = await buildSqlRead(platform, principal, { live, sql: showAsSelect(proto.sql, workspace), params: {}, settings, queryParams: proto.queryParams, defaultFormat, schema, user });
    return { ...read, clickhouseHeaders: true };
  });
  return finish(request, response, proto);
}

function ok(request: Request): Response {
  return new Response(request.method === "HEAD" ? null : "Ok.\n", { headers: { "content-type": "text/plain; charset=UTF-8", ...corsHeaders(false) } });
}

function corsHeaders(preflight: boolean): Record<string, string> {
  const h: Record<string, string> = {
    "access-control-allow-origin": "*",
    "access-control-expose-headers": "X-ClickHouse-Query-Id, X-ClickHouse-Summary, X-ClickHouse-Format, X-ClickHouse-Timezone, X-ClickHouse-Exception-Code",
  };
  if (preflight) {
    h["access-control-allow-methods"] = "GET, POST, OPTIONS";
    h["access-control-allow-headers"] = "authorization, content-type, content-encoding, x-clickhouse-user, x-clickhouse-key, x-clickhouse-format, x-clickhouse-database";
    h["access-control-max-age"] = "86400";
  }
  return h;
}

/** The answer as ClickHouse sends it: its query id, format, compression when asked for. */
function finish(request: Request, response: Response, proto: ProtocolRequest): Response {
  // The read's own Response (its headers are mutable): a small answer keeps its one-piece body and length.
  const headers = response.headers;
  if (proto.queryId) headers.set("X-ClickHouse-Query-Id", proto.queryId);
  for (const [k, v] of Object.entries(corsHeaders(false))) headers.set(k, v);
  const accepted = (request.headers.get("accept-encoding") ?? "").toLowerCase();
  if (proto.compress && accepted.includes("gzip")) {
    // The runtime compresses the body on its way out (its Content-Encoding says how).
    headers.set("content-encoding", "gzip");
    headers.delete("content-length");
  } else {
    // No Content-Encoding at all, as ClickHouse sends it (the Node driver refuses `identity`).
    headers.delete("content-encoding");
  }
  if (request.method !== "HEAD") return response;
  void response.body?.cancel();
  return new Response(null, { status: response.status, headers });
}

/** Credentials, query, parameters and settings from the URL, the headers and the body. */
async function readProtocol(request: Request): Promise<ProtocolRequest> {
  const url = new URL(request.url);
  const get = (name: string) => url.searchParams.get(name) ?? undefined;
  const headerUser = request.headers.get("x-clickhouse-user") ?? undefined;
  const headerKey = request.headers.get("x-clickhouse-key") ?? undefined;
  const authorization = request.headers.get("authorization") ?? "";
  const tokens: string[] = [];
  let user = get("user") ?? headerUser;
  const basic = /^Basic\s+(.+)$/i.exec(authorization)?.[1];
  if (basic) {
    let decoded: string;
    try {
      decoded = new TextDecoder().decode(Uint8Array.from(atob(basic.trim()), (ch) => ch.charCodeAt(0)));
    } catch (e) {
      throw new UnauthorizedError("The Authorization header is not valid Basic credentials", { cause: e, clickhouse: code(516, "AUTHENTICATION_FAILED") });
    }
    const colon = decoded.indexOf(":");
    user ??= colon < 0 ? decoded : decoded.slice(0, colon);
    if (colon >= 0 && decoded.length > colon + 1) tokens.push(decoded.slice(colon + 1));
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
  if (bearer) tokens.push(bearer);
  if (headerKey) tokens.push(headerKey);
  const password = get("password");
  if (password) tokens.push(password);
  if (new Set(tokens).size > 1) {
    throw new BadRequestError("Credentials were sent in more than one way with different passwords: send the token once", { clickhouse: code(516, "AUTHENTICATION_FAILED") });
  }
  if (url.searchParams.has("role")) {
    throw new ForbiddenError("Roles cannot be set: a token's scopes decide what it may read", { clickhouse: code(497, "ACCESS_DENIED") });
  }
  if (get("decompress") === "1" || get("compress") === "1") {
    throw new BadRequestError("ClickHouse's native compression (compress=1, decompress=1) is not supported: use enable_http_compression=1 with Accept-Encoding, and Content-Encoding for the body", {
      clickhouse: code(48, "NOT_IMPLEMENTED"),
    });
  }

  const queryParams: Record<string, string> = {};
  const settings: Array<[string, string]> = [];
  for (const [k, v] of url.searchParams) {
    if (k.startsWith("param_")) queryParams[k.slice("param_".length)] = v;
    else if (!PROTOCOL_PARAMS.has(k)) settings.push([k, v]);
  }
  let sql = get("query");
  if (request.method === "POST") {
    const type = (request.headers.get("content-type") ?? "").toLowerCase();
    if (type.startsWith("multipart/form-data")) {
      // Query parameters (and the query) may come as form fields, as ClickHouse reads them.
      const form = await request.formData();
      for (const [k, v] of form as unknown as Iterable<[string, string | File]>) {
        if (typeof v !== "string") continue;
        if (k.startsWith("param_")) queryParams[k.slice("param_".length)] = v;
        else if (k === "query") sql = sql === undefined ? v : `${sql}\n${v}`;
      }
    } else {
      const body = await bodyText(request);
      // As ClickHouse: the URL's query, then the body.
      if (body !== "") sql = sql === undefined ? body : `${sql}\n${body}`;
    }
  }
  const paramBytes = Object.entries(queryParams).reduce((n, [k, v]) => n + k.length + v.length, 0);
  if (paramBytes > MAX_PARAM_BYTES) {
    throw new PayloadTooLargeError(`Query parameters are longer than ${MAX_PARAM_BYTES} bytes together`, { clickhouse: code(229, "QUERY_IS_TOO_LARGE") });
  }
  if (sql !== undefined && new TextEncoder().encode(sql).byteLength > MAX_QUERY_BYTES) {
    throw new PayloadTooLargeError(`The query is longer than ${MAX_QUERY_BYTES} bytes`, { clickhouse: code(229, "QUERY_IS_TOO_LARGE") });
  }
  const enabled = settings.find(([k]) => k === "enable_http_compression")?.[1];
  return {
    token: tokens[0],
    user,
    sql,
    database: get("database") ?? request.headers.get("x-clickhouse-database") ?? undefined,
    format: get("default_format") ?? request.headers.get("x-clickhouse-format") ?? undefined,
    queryId: get("query_id"),
    queryParams,
    settings,
    compress: enabled === "1" || enabled === "true",
  };
}

/** The body as text, decoded from its Content-Encoding, at most MAX_QUERY_BYTES once decoded. */
async function bodyText(request: Request): Promise<string> {
  if (!request.body) return "";
  const encoding = (request.headers.get("content-encoding") ?? "").trim().toLowerCase();
  let stream: ReadableStream<Uint8Array> = request.body;
  if (encoding === "gzip" || encoding === "deflate") {
    stream = stream.pipeThrough(new DecompressionStream(encoding) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  } else if (encoding !== "" && encoding !== "identity") {
    throw new BadRequestError(`Unknown compression method ${encoding}: send the body as gzip, deflate or uncompressed`, { clickhouse: code(89, "UNKNOWN_COMPRESSION_METHOD") });
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      bytes += next.value.byteLength;
      if (bytes > MAX_QUERY_BYTES) {
        await reader.cancel();
        throw new PayloadTooLargeError(`The query is longer than ${MAX_QUERY_BYTES} bytes`, { clickhouse: code(229, "QUERY_IS_TOO_LARGE") });
      }
      chunks.push(next.value);
    }
  } catch (e) {
    if (isTernError(e)) throw e;
    throw new BadRequestError(`Cannot decompress the request body (Content-Encoding: ${encoding})`, { cause: e, clickhouse: code(271, "CANNOT_DECOMPRESS") });
  }
  const decoder = new TextDecoder();
  return chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("") + decoder.decode();
}

/** The caller: the token (the password) must be one of a workspace's; anything else is ClickHouse's authentication failure. */
async function authenticate(platform: Platform, proto: ProtocolRequest): Promise<Principal> {
  if (!proto.token) {
    throw new UnauthorizedError("A password is required: send a token of the workspace as the password (user: the workspace's name)", {
      clickhouse: code(194, "REQUIRED_PASSWORD"),
    });
  }
  try {
    return await resolvePrincipal(platform, proto.token, { allowJwt: true });
  } catch (e) {
    if (!(e instanceof UnauthorizedError || e instanceof ForbiddenError)) throw e;
    const who = proto.user ? `${proto.user}: ` : "";
    throw new ForbiddenError(`${who}Authentication failed: the password is not a valid token`, { cause: e, clickhouse: code(516, "AUTHENTICATION_FAILED") });
  }
}

/** The settings to pass to ClickHouse: the answer-shaping ones; harmless ones dropped; anything else refused as ClickHouse's READONLY. */
function checkedSettings(platform: Platform, settings: Array<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of settings) {
    if (FORWARDED_SETTINGS.has(name)) out[name] = value;
    else if (ACCEPTED_SETTINGS.has(name) || ACCEPTED_PREFIXES.some((p) => name.startsWith(p))) continue;
    else if (HARMLESS_VALUES[name]?.(value, platform)) continue;
    else throw new ForbiddenError(`Cannot modify '${name}' setting in readonly mode`, { clickhouse: READONLY });
  }
  // ClickHouse's default (Tern's other reads answer 64-bit integers as JSON numbers, as Tinybird does).
  out["output_format_json_quote_64bit_integers"] ??= "1";
  return out;
}

function outputFormat(name: string): OutputFormat {
  const format = sqlFormat(name);
  if (!format) throw new BadRequestError(`Unknown output format ${name}`, { clickhouse: code(73, "UNKNOWN_FORMAT") });
  return format;
}

/**
 * `SHOW DATABASES` and `SHOW TABLES [FROM|IN db]` as the SELECTs over the
 * served `system` tables that answer them (what `clickhouse client`-style
 * tools send first); anything else is left as sent.
 */
export function showAsSelect(sql: string, workspace: string): string {
  const m = /^\s*SHOW\s+(DATABASES|TABLES)(?:\s+(?:FROM|IN)\s+(`[^`]+`|"[^"]+"|[A-Za-z_][A-Za-z0-9_]*))?\s*(FORMAT\s+[A-Za-z]+)?\s*;?\s*$/i.exec(sql);
  if (!m) return sql;
  const format = m[3] ? ` ${m[3]}` : "";
  if (m[1]!.toUpperCase() === "DATABASES") return `SELECT name FROM system.databases ORDER BY name${format}`;
  const db = m[2] ? m[2].replace(/^[`"]|[`"]$/g, "") : workspace;
  return `SELECT name FROM system.tables WHERE database = '${db.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}' ORDER BY name${format}`;
}
