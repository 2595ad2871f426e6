/**
 * @module clickhouse/workspace-users
 * Least privilege in ClickHouse itself: every workspace reads as its own
 * ClickHouse user, created by Tern with the admin user. The user may SELECT
 * from its workspace's database (and the empty sandbox database reads run in),
 * nothing else: no other database, no `system` tables beyond what every user
 * sees, no file/url/remote sources (those need grants it never gets). Its
 * settings profile makes it read-only and caps time, memory, result size and
 * threads; `max_concurrent_queries_for_user` caps its parallel queries
 * server-wide, and a quota bounds its execution time per minute.
 *
 * The same statements run against any ClickHouse and the local server (which
 * enforces this model itself, clickhouse-local/README.md). Passwords are
 * derived from a secret (HMAC), so no isolate stores them; provisioning runs
 * once per isolate and workspace (idempotent statements, `access.ts` keeps
 * the reader client).
 */
import type { ClickHouseClient } from "@clickhouse/client-web";
import { quoteIdentifier, quoteString } from "../../shared/sql/ddl/index.js";
import { ConfigError, type Config } from "../env.js";
import { fromClickHouse } from "./errors.js";
import { SANDBOX_DATABASE } from "./read-guard.js";

export const READER_PROFILE = "tern_reader";

/**
 * Settings that only shape how an answer is written, which a read may set
 * (the Query API's output params, the ClickHouse interface's URL settings):
 * changeable in the reader's profile despite `readonly = 1`.
 */
export const READER_OUTPUT_SETTINGS = [
  "output_format_json_quote_64bit_integers",
  "output_format_json_quote_denormals",
  "output_format_parquet_string_as_string",
  "output_format_json_quote_decimals",
  "output_format_json_named_tuples_as_objects",
  "output_format_decimal_trailing_zeros",
  "output_format_arrow_string_as_string",
  "date_time_output_format",
] as const;

export interface ReaderLimits {
  queryTimeoutSeconds: number;
  maxResultBytes: number;
  concurrency: number;
}

/** The workspace's reader user name (from its database name, which is already a plain identifier). */
export function readerUserName(database: string): string {
  return `${database}_reader`;
}

async function derivePassword(config: Config, workspaceId: string): Promise<string> {
  const secret = config.clickhouse.readerSecret ?? config.clickhouse.password ?? config.credentials?.signingSecret;
  if (!secret) throw new ConfigError("CLICKHOUSE_WORKSPACE_USERS=on needs CLICKHOUSE_READER_SECRET or CLICKHOUSE_PASSWORD to derive the workspace users' passwords");
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(`tern-workspace-reader\u0000${secret}`), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(workspaceId));
  return Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The statements that create (or bring up to date) a workspace's reader. */
export function readerStatements(user: string, password: string, database: string, limits: ReaderLimits): string[] {
  const u = quoteIdentifier(user);
  const profile = [
    "readonly = 1",
    `max_execution_time = ${limits.queryTimeoutSeconds} MAX ${limits.queryTimeoutSeconds} CHANGEABLE_IN_READONLY`,
    `max_result_bytes = ${limits.maxResultBytes} MAX ${limits.maxResultBytes} CHANGEABLE_IN_READONLY`,
    "result_overflow_mode = 'throw' CHANGEABLE_IN_READONLY",
    "max_threads MAX 16 CHANGEABLE_IN_READONLY",
    "max_memory_usage = 4000000000 MAX 4000000000",
    `max_concurrent_queries_for_user = ${limits.concurrency}`,
    ...READER_OUTPUT_SETTINGS.map((name) => `${name} CHANGEABLE_IN_READONLY`),
    "allow_experimental_analyzer CHANGEABLE_IN_READONLY",
  ].join(", ");
  const identified = `IDENTIFIED WITH sha256_password BY ${quoteString(password)} DEFAULT DATABASE ${quoteIdentifier(SANDBOX_DATABASE)} SETTINGS PROFILE ${quoteString(READER_PROFILE)}`;
  return [
    `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(SANDBOX_DATABASE)}`,
    `CREATE SETTINGS PROFILE OR REPLACE ${quoteIdentifier(READER_PROFILE)} SETTINGS ${profile}`,
    `CREATE USER IF NOT EXISTS ${u} ${identified}`,
    // The secret may have changed since the user was made.
    `ALTER USER ${u} ${identified}`,
    `GRANT SELECT ON ${quoteIdentifier(database)}.* TO ${u}`,
    `GRANT SELECT ON ${quoteIdentifier(SANDBOX_DATABASE)}.* TO ${u}`,
    `CREATE QUOTA OR REPLACE ${quoteIdentifier(`${user}_quota`)} FOR INTERVAL 1 minute MAX execution_time = ${limits.concurrency * 60} TO ${u}`,
  ];
}

/** What removing a workspace removes from ClickHouse's access control. */
export function dropReaderStatements(database: string): string[] {
  const user = readerUserName(database);
  return [`DROP QUOTA IF EXISTS ${quoteIdentifier(`${user}_quota`)}`, `DROP USER IF EXISTS ${quoteIdentifier(user)}`];
}

/**
 * Creates (or brings up to date) the reader of a workspace with the admin
 * client, and returns its login. The statements are idempotent; the caller
 * (`access.ts`) runs this once per isolate and workspace.
 */
export async function provisionReader(
  admin: ClickHouseClient,
  config: Config,
  workspaceId: string,
  database: string,
  limits: ReaderLimits,
): Promise<{ username: string; password: string }> {
  const username = readerUserName(database);
  const password = await derivePassword(config, workspaceId);
  try {
    for (const query of readerStatements(username, password, database, limits)) await admin.command({ query });
  } catch (e) {
    throw fromClickHouse(e);
  }
  return { username, password };
}
