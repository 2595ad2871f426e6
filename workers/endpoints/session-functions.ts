/**
 * @module endpoints/session-functions
 * What `currentDatabase()`, `currentUser()`, `getSetting('…')` and `uptime()`
 * answer in a caller's SQL (the Query API, the ClickHouse interface, MCP):
 * the workspace's name, the user the caller connected as (else the
 * workspace's name), the settings `system.settings` shows (with the caller's
 * own output settings), and 0. The calls are found on ClickHouse's canonical
 * re-printing and replaced by literals (`shared/sql/rewrite/session-functions.ts`)
 * before the names are rewritten and the read guard runs, so ClickHouse never
 * evaluates them: the sandbox database, the reader user and the server's
 * settings stay unseen. Any other setting is refused (497).
 */
import { ForbiddenError } from "../../shared/errors.js";
import { quoteString } from "../../shared/sql/ddl/index.js";
import { findSessionCalls, replaceSessionCalls, type SessionCall } from "../../shared/sql/rewrite/index.js";
import { isolateCache } from "../platform/caches.js";
import type { Platform } from "../platform/platform.js";
import { settingsRows, type SchemaView } from "./schema-tables.js";

export interface Session {
  /** The workspace's name (looked up only when the SQL calls a session function). */
  database: () => Promise<string>;
  /** The user the caller connected as; the workspace's name when none. */
  user?: string;
  /** Settings this read runs with that the caller set (output settings). */
  settings: Record<string, string>;
  limits: SchemaView["limits"];
}

/** Server defaults drivers read at connect that a read neither changes nor depends on. */
const CONNECT_SETTINGS: ReadonlyArray<[name: string, value: string, type: string]> = [
  ["max_block_size", "65409", "UInt64"],
  ["max_insert_block_size", "1048449", "UInt64"],
];

/** `sql` (canonical) with its session function calls answered as literals; unchanged when it has none. */
export async function answerSessionFunctions(sql: string, session: Session): Promise<string> {
  const calls = findSessionCalls(sql);
  if (calls.length === 0) return sql;
  const needsName = calls.some((c) => c.fn === "database" || (c.fn === "user" && !session.user));
  const workspace = needsName ? await session.database() : "";
  const known = new Map<string, [value: string, type: string]>();
  for (const [name, value, type] of settingsRows(session.limits)) known.set(name, [value, type]);
  for (const [name, value, type] of CONNECT_SETTINGS) known.set(name, [value, type]);
  for (const [name, value] of Object.entries(session.settings)) known.set(name, [value, known.get(name)?.[1] ?? "String"]);
  const answer = (call: SessionCall): string => {
    switch (call.fn) {
      case "database":
        return quoteString(workspace);
      case "user":
        return quoteString(session.user || workspace);
      case "uptime":
        return "toUInt32(0)";
      case "setting": {
        const setting = known.get(call.setting ?? "");
        if (!setting) {
          throw new ForbiddenError(
            `getSetting('${call.setting ?? ""}') is not available: the settings a read can see are those in system.settings and max_block_size, max_insert_block_size`,
            { clickhouse: { code: "497", type: "ACCESS_DENIED" } },
          );
        }
        return settingLiteral(setting[0], setting[1]);
      }
    }
  };
  return replaceSessionCalls(sql, calls, answer);
}

function settingLiteral(value: string, type: string): string {
  if ((type === "UInt64" || type === "Seconds") && /^\d+$/.test(value)) return `toUInt64(${value})`;
  if (type === "Bool" && (value === "0" || value === "1")) return value === "1" ? "true" : "false";
  return quoteString(value);
}

/** Workspace names by id (renames are rare; an old name answers for a minute). */
const names = isolateCache<string>("workspaceNames");

/** The workspace's name: its database as callers see it. */
export async function workspaceName(platform: Platform, workspaceId: string): Promise<string> {
  const hit = names.get(workspaceId);
  if (hit !== undefined) return hit;
  const info = await platform.catalog.workspace(workspaceId).info();
  return names.set(workspaceId, info?.name ?? workspaceId);
}
