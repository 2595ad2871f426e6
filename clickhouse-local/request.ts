/**
 * Reads what a ClickHouse HTTP request asks for from its URL and headers:
 * credentials, the query (when given in the URL), query parameters, settings,
 * database, default format, query id, and whether to compress the response.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import { ClickHouseException, Codes } from "./errors.js";

/** URL parameters that are part of the HTTP protocol, not settings. */
const PROTOCOL_PARAMS = new Set([
  "query",
  "database",
  "default_format",
  "user",
  "password",
  "query_id",
  "quota_key",
  "stacktrace",
  "role",
  "session_id",
  "session_timeout",
  "session_check",
  "close_session",
  "client_protocol_version",
  "compress",
  "decompress",
  "buffer_size",
  "wait_end_of_query",
]);

export interface Credentials {
  user: string;
  password: string;
  /** false when the request carried no credentials at all. */
  given: boolean;
}

export interface RequestSpec {
  method: string;
  credentials: Credentials;
  /** `?query=` text, if any (then the body continues it / is INSERT data). */
  urlQuery: string | undefined;
  database: string | undefined;
  defaultFormat: string;
  queryId: string;
  /** `param_x` values, name without the prefix, raw (ClickHouse escaped text form). */
  params: Record<string, string>;
  /** ClickHouse settings from the URL (string values, as sent). */
  settings: Record<string, string>;
  /** Response encoding to apply, when `enable_http_compression=1` and the client accepts it. */
  responseEncoding: "gzip" | "deflate" | "br" | undefined;
}

const settingName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function credentialsFrom(url: URL, headers: IncomingHttpHeaders): Credentials {
  const hUser = header(headers, "x-clickhouse-user");
  const hKey = header(headers, "x-clickhouse-key");
  const authz = header(headers, "authorization");
  const pUser = url.searchParams.get("user");
  const pPassword = url.searchParams.get("password");
  const methods = [hUser !== undefined || hKey !== undefined, authz !== undefined, pUser !== null || pPassword !== null].filter(
    Boolean,
  ).length;
  if (methods > 1) {
    throw new ClickHouseException(
      Codes.AUTHENTICATION_FAILED,
      "Invalid authentication: it is not allowed to use several authentication methods (HTTP basic authentication, X-ClickHouse-User/X-ClickHouse-Key headers, user/password URL parameters) simultaneously",
    );
  }
  if (hUser !== undefined || hKey !== undefined) return { user: hUser ?? "default", password: hKey ?? "", given: true };
  if (authz !== undefined) {
    const m = /^Basic\s+(.+)$/i.exec(authz.trim());
    if (!m) {
      throw new ClickHouseException(
        Codes.AUTHENTICATION_FAILED,
        "Invalid authentication: only HTTP basic authentication is supported by this server",
      );
    }
    const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon < 0
      ? { user: decoded, password: "", given: true }
      : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1), given: true };
  }
  if (pUser !== null || pPassword !== null) return { user: pUser ?? "default", password: pPassword ?? "", given: true };
  return { user: "default", password: "", given: false };
}

function responseEncoding(settings: Record<string, string>, headers: IncomingHttpHeaders): RequestSpec["responseEncoding"] {
  const enabled = settings["enable_http_compression"];
  if (enabled === undefined || !["1", "true"].includes(enabled.toLowerCase())) return undefined;
  const accept = (header(headers, "accept-encoding") ?? "").toLowerCase();
  const offered = accept.split(",").map((s) => s.trim().split(";")[0]);
  if (offered.includes("gzip")) return "gzip";
  if (offered.includes("deflate")) return "deflate";
  if (offered.includes("br")) return "br";
  return undefined;
}

export function parseRequest(method: string, url: URL, headers: IncomingHttpHeaders): RequestSpec {
  const credentials = credentialsFrom(url, headers);
  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key.startsWith("param_")) {
      params[key.slice("param_".length)] = value;
    } else if (!PROTOCOL_PARAMS.has(key)) {
      if (!settingName.safeParse(key).success) {
        throw new ClickHouseException(Codes.BAD_ARGUMENTS, `Invalid setting name '${key}' in the URL`);
      }
      settings[key] = value;
    }
  }
  const defaultFormat =
    url.searchParams.get("default_format") ?? header(headers, "x-clickhouse-format") ?? settings["default_format"] ?? "TabSeparated";
  delete settings["default_format"];
  const database = url.searchParams.get("database") ?? header(headers, "x-clickhouse-database") ?? undefined;
  const queryId = url.searchParams.get("query_id") || randomUUID();
  const urlQuery = url.searchParams.get("query") ?? undefined;
  if (url.searchParams.get("decompress") === "1" || url.searchParams.get("compress") === "1") {
    throw new ClickHouseException(
      Codes.NOT_IMPLEMENTED,
      "ClickHouse's native block compression (compress=1/decompress=1) is not supported by this server; use HTTP compression instead",
    );
  }
  return {
    method,
    credentials,
    urlQuery,
    database: database === "" ? undefined : database,
    defaultFormat,
    queryId,
    params,
    settings,
    responseEncoding: responseEncoding(settings, headers),
  };
}
