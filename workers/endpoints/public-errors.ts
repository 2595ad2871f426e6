/**
 * @module endpoints/public-errors
 * ClickHouse's error texts name what ClickHouse ran: physical tables
 * (`tern_<id>.events_3f2a`), the sandbox database, service views, and for a
 * pipe the SQL of every node. A caller sees its own names instead (`events`,
 * `tinybird.pipe_stats_rt`), and a caller without ADMIN never sees the SQL
 * around the failure (a pipe's nodes are not its to read).
 */
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import { TernError } from "../../shared/errors.js";
import { SANDBOX_DATABASE } from "../clickhouse/read-guard.js";

export interface ErrorAudience {
  /** The caller's workspace database. */
  database: string;
  manifest: DeploymentManifest | undefined;
  /** ADMIN callers wrote (or may read) every SQL involved, so they get the whole text. */
  admin: boolean;
}

const NAME = "`?([A-Za-z0-9_]+)`?";

/** Physical table → the name the workspace knows it by. */
function logicalNames(manifest: DeploymentManifest | undefined): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, ds] of Object.entries(manifest?.datasources ?? {})) {
    names.set(ds.table, name);
    names.set(ds.quarantineTable, `${name}_quarantine`);
  }
  return names;
}

export function publicMessage(message: string, audience: ErrorAudience): string {
  const names = logicalNames(audience.manifest);
  const db = audience.database.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  let out = message.replace(new RegExp(`\`?${db}\`?\\.${NAME}`, "g"), (_m, table: string) => {
    if (table.startsWith("tinybird__")) return `tinybird.${table.slice("tinybird__".length)}`;
    return names.get(table) ?? "<table>";
  });
  out = out.replace(new RegExp(`\`?${SANDBOX_DATABASE}\`?\\.`, "g"), "");
  out = out.replace(/\btern_[a-z0-9]{8,}\b/g, "<database>");
  if (!audience.admin) {
    // The query text ClickHouse quotes around the failure.
    out = out
      .replace(/:? In scope [\s\S]*?(?=\. \(|\.?$)/g, "")
      .replace(/ While processing [\s\S]*?(?=\. \(|\.?$)/g, "")
      .replace(/(\(line \d+, col \d+\)):[\s\S]*?(?=\. Expected|$)/g, "$1");
  }
  return out;
}

/**
 * The error as its caller may read it: the same kind, status and ClickHouse
 * code, the message in the caller's names, and the original (physical names,
 * whole SQL) kept as its cause for the logs.
 */
export function toPublic<E extends TernError>(error: E, audience: ErrorAudience): E {
  const message = publicMessage(error.message, audience);
  return message === error.message ? error : error.reworded(message);
}
