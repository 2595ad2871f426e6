/**
 * @module endpoints/public-errors
 * ClickHouse's error texts name what ClickHouse ran: physical tables
 * (`tern_<id>.events_3f2a`), the sandbox database, service views, and for a
 * pipe the SQL of every node. A caller sees its own names instead (`events`,
 * `tinybird.pipe_stats_rt`), and a caller without ADMIN never sees the SQL
 * around the failure (a pipe's nodes are not its to read). A secret value
 * the read binds (`tb_secret`) is `<secret>` for everyone, logs included.
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
  /** Values of the secrets the read binds: a ClickHouse error may quote them (a failed cast, the query with its parameters in place). */
  secrets?: readonly string[];
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
  out = maskSecrets(out, audience.secrets);
  if (!audience.admin) {
    // The query text ClickHouse quotes around the failure.
    out = out
      .replace(/:? In scope [\s\S]*?(?=\. \(|\.?$)/g, "")
      .replace(/ While processing [\s\S]*?(?=\. \(|\.?$)/g, "")
      .replace(/(\(line \d+, col \d+\)):[\s\S]*?(?=\. Expected|$)/g, "$1");
  }
  return out;
}

/** Every secret value in `text` as `<secret>`, longest first so a secret containing another is masked whole. */
export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== "") out = out.split(secret).join("<secret>");
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
  if (message === error.message) return error;
  const reworded = error.reworded(message);
  // The original quotes a secret's value: not even the logs keep it.
  if (maskSecrets(error.message, audience.secrets) !== error.message) reworded.cause = undefined;
  return reworded;
}
