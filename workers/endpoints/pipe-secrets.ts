/**
 * @module endpoints/pipe-secrets
 * `tb_secret('NAME')` in a pipe node renders as a ClickHouse query parameter
 * (`{<prefix>NAME: String}`) whose value is bound with the read, so no secret
 * value is ever part of SQL text (answers, errors, explain output, logs,
 * pipe_stats_rt). The values come from where connection secrets come from:
 * the workspace's `/v0/variables`, over the operator's `TERN_SECRET_<NAME>`.
 */
import type { DeploymentManifest } from "../../shared/deploy/manifest.js";
import type { Platform } from "../platform/platform.js";
import { isolateCache } from "../platform/caches.js";

export interface PipeSecrets {
  /** Every secret value by name: only the names a render uses are bound. */
  values: Readonly<Record<string, string>>;
  /**
   * Goes before each secret's parameter name. It is new for every read, so a
   * caller's own SQL (`q=`, the Query API) cannot name the parameter and read
   * the value back, and no request param can collide with it.
   */
  prefix: string;
}

const mentions = isolateCache<boolean>("pipeSecretMentions");

/** Whether any node of the deployment could call `tb_secret`/`tb_var` (text search, cached per deployment). */
function mentionsSecrets(workspaceId: string, manifestId: string, manifest: DeploymentManifest): boolean {
  const key = `${workspaceId}\u0000${manifestId}`;
  let hit = mentions.get(key);
  if (hit === undefined) {
    hit = Object.values(manifest.pipes).some((p) => p.file.nodes.some((n) => /\btb_(secret|var)\b/.test(n.sql)));
    mentions.set(key, hit);
  }
  return hit;
}

/**
 * The workspace's secrets for rendering its pipes, or undefined when no pipe
 * of the deployment mentions one (most reads: no catalog call).
 */
export async function pipeSecrets(platform: Platform, workspaceId: string, manifestId: string, manifest: DeploymentManifest): Promise<PipeSecrets | undefined> {
  if (!mentionsSecrets(workspaceId, manifestId, manifest)) return undefined;
  const values = { ...platform.config.secrets, ...(await platform.catalog.workspace(workspaceId).secretValues()) };
  const nonce = crypto.randomUUID().replace(/-/g, "").slice(0, 16);
  return { values, prefix: `tb_secret_${nonce}_` };
}

/**
 * A String value as ClickHouse reads a raw `param_<name>` (its escaped text
 * format): a backslash or control character would otherwise be read as an
 * escape sequence and change the value.
 */
export function paramValue(v: string): string {
  return v.replace(/[\\\t\n\r\0\b\f]/g, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0", "\b": "\\b", "\f": "\\f" };
