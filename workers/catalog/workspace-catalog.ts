/**
 * @module catalog/workspace-catalog
 * One SQLite-backed Durable Object per workspace: the strongly consistent home
 * of its catalog (tokens, deployments and their manifests). Methods are RPC;
 * each runs alone (a DO handles one call at a time between awaits, and these
 * methods do not await), so check-then-write sequences here are atomic.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import type {
  DeploymentChanges,
  DeploymentFeedback,
  DeploymentManifest,
  DeploymentStatus,
  DeploymentSummary,
} from "../../shared/deploy/manifest.js";
import { fail, type CatalogResult } from "./result.js";

export interface WorkspaceInfo {
  id: string;
  name: string;
  database: string;
  createdAt: string;
}

export type TokenOrigin = "default" | "resource" | "api";

export interface TokenRecord {
  id: string;
  name: string;
  token: string;
  scopes: string[];
  origin: TokenOrigin;
  description: string;
  /** The user a default token identifies (the user token, the user's admin token); null for workspace tokens. */
  user_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface DeploymentRecord extends DeploymentSummary {
  manifest: DeploymentManifest | null;
  /** Set once a newer deployment was promoted over this one; kept for rollback. */
  retired: boolean;
}

export type JobStatus = "waiting" | "working" | "done" | "error" | "cancelled";

export interface JobRecord {
  id: string;
  kind: string;
  status: JobStatus;
  datasource: string | null;
  statistics: Record<string, number | string>;
  error: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
}

const IN_PROGRESS: DeploymentStatus[] = ["calculating", "creating_schema", "schema_ready"];

function now(): string {
  return new Date().toISOString();
}

type Row = Record<string, SqlStorageValue>;

export class WorkspaceCatalog extends DurableObject<Env> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS workspace (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        database_name TEXT NOT NULL,
        signing_secret TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        token TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        origin TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        datasource TEXT,
        statistics TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT
      );
      CREATE TABLE IF NOT EXISTS deployments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        status TEXT NOT NULL,
        live INTEGER NOT NULL DEFAULT 0,
        retired INTEGER NOT NULL DEFAULT 0,
        manifest TEXT,
        changes TEXT NOT NULL,
        feedback TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `);
    // Catalogs written before tokens could belong to a user get the column; ensureWorkspace binds their default tokens.
    if (!this.sql.exec("SELECT * FROM tokens LIMIT 0").columnNames.includes("user_id")) this.sql.exec("ALTER TABLE tokens ADD COLUMN user_id TEXT");
  }

  // ------------------------------------------------------------ workspace

  /**
   * Creates the workspace and its default tokens once; later calls return it
   * unchanged, except that a default token given with a `userId` that has none
   * yet (a catalog older than users) is bound to that user.
   */
  ensureWorkspace(input: {
    id: string;
    name: string;
    database: string;
    /** HMAC secret for the workspace's static tokens. */
    signingSecret: string;
    tokens: Array<{ id: string; name: string; token: string; scopes: string[]; userId?: string }>;
  }): WorkspaceInfo {
    const existing = this.info();
    if (existing) {
      for (const t of input.tokens) {
        if (t.userId) this.sql.exec("UPDATE tokens SET user_id = ? WHERE id = ? AND origin = 'default' AND user_id IS NULL", t.userId, t.id);
      }
      return existing;
    }
    const at = now();
    this.sql.exec(
      "INSERT INTO workspace (id, name, database_name, signing_secret, created_at) VALUES (?, ?, ?, ?, ?)",
      input.id,
      input.name,
      input.database,
      input.signingSecret,
      at,
    );
    for (const t of input.tokens) {
      this.sql.exec(
        "INSERT INTO tokens (id, name, token, scopes, origin, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, 'default', ?, ?, ?)",
        t.id,
        t.name,
        t.token,
        JSON.stringify(t.scopes),
        t.userId ?? null,
        at,
        at,
      );
    }
    return this.info()!;
  }

  info(): WorkspaceInfo | undefined {
    const row = this.sql.exec("SELECT id, name, database_name, created_at FROM workspace LIMIT 1").toArray()[0];
    return row
      ? { id: String(row.id), name: String(row.name), database: String(row.database_name), createdAt: String(row.created_at) }
      : undefined;
  }

  /** Forgets everything (the workspace was deleted). */
  async destroy(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  signingSecret(): string | undefined {
    const row = this.sql.exec("SELECT signing_secret FROM workspace LIMIT 1").toArray()[0];
    return row ? String(row.signing_secret) : undefined;
  }

  // --------------------------------------------------------------- tokens

  private tokenFromRow(row: Row): TokenRecord {
    return {
      id: String(row.id),
      name: String(row.name),
      token: String(row.token),
      scopes: JSON.parse(String(row.scopes)) as string[],
      origin: String(row.origin) as TokenOrigin,
      description: String(row.description ?? ""),
      user_id: row.user_id === null || row.user_id === undefined ? null : String(row.user_id),
      created_at: String(row.created_at),
      updated_at: String(row.updated_at),
    };
  }

  resolveToken(token: string): TokenRecord | undefined {
    const row = this.sql.exec("SELECT * FROM tokens WHERE token = ?", token).toArray()[0];
    return row ? this.tokenFromRow(row) : undefined;
  }

  listTokens(): TokenRecord[] {
    return this.sql.exec("SELECT * FROM tokens ORDER BY created_at, name").toArray().map((r) => this.tokenFromRow(r));
  }

  getToken(nameOrId: string): TokenRecord | undefined {
    const row = this.sql.exec("SELECT * FROM tokens WHERE name = ? OR id = ? OR token = ?", nameOrId, nameOrId, nameOrId).toArray()[0];
    return row ? this.tokenFromRow(row) : undefined;
  }

  /** Inserts a token, or replaces the scopes of the one with that name (keeping its secret). */
  upsertToken(input: { id: string; name: string; token: string; scopes: string[]; origin: TokenOrigin; description?: string }): TokenRecord {
    const at = now();
    const existing = this.getToken(input.name);
    if (existing) {
      this.sql.exec(
        "UPDATE tokens SET scopes = ?, description = ?, updated_at = ? WHERE id = ?",
        JSON.stringify(input.scopes),
        input.description ?? existing.description,
        at,
        existing.id,
      );
    } else {
      this.sql.exec(
        "INSERT INTO tokens (id, name, token, scopes, origin, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        input.id,
        input.name,
        input.token,
        JSON.stringify(input.scopes),
        input.origin,
        input.description ?? "",
        at,
        at,
      );
    }
    return this.getToken(input.name)!;
  }

  /** Replaces a token's secret; returns the old and new records. */
  replaceTokenSecret(nameOrId: string, token: string): CatalogResult<{ before: TokenRecord; after: TokenRecord }> {
    const before = this.getToken(nameOrId);
    if (!before) return fail(404, `Token '${nameOrId}' not found`);
    this.sql.exec("UPDATE tokens SET token = ?, updated_at = ? WHERE id = ?", token, now(), before.id);
    return { ok: true, value: { before, after: this.getToken(before.id)! } };
  }

  deleteToken(nameOrId: string): CatalogResult<TokenRecord> {
    const t = this.getToken(nameOrId);
    if (!t) return fail(404, `Token '${nameOrId}' not found`);
    if (t.origin === "default") return fail(400, `Token '${t.name}' is a default token and cannot be deleted`);
    this.sql.exec("DELETE FROM tokens WHERE id = ?", t.id);
    return { ok: true, value: t };
  }

  // ----------------------------------------------------------------- jobs

  private jobFromRow(row: Row): JobRecord {
    return {
      id: String(row.id),
      kind: String(row.kind),
      status: String(row.status) as JobStatus,
      datasource: row.datasource === null ? null : String(row.datasource),
      statistics: JSON.parse(String(row.statistics)) as Record<string, number | string>,
      error: row.error === null ? null : String(row.error),
      created_at: String(row.created_at),
      updated_at: String(row.updated_at),
      started_at: row.started_at === null ? null : String(row.started_at),
    };
  }

  createJob(input: { id: string; kind: string; datasource?: string; status?: JobStatus }): JobRecord {
    const at = now();
    this.sql.exec(
      "INSERT INTO jobs (id, kind, status, datasource, created_at, updated_at, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      input.id,
      input.kind,
      input.status ?? "waiting",
      input.datasource ?? null,
      at,
      at,
      input.status === "working" ? at : null,
    );
    // Keep the list bounded, as Tinybird shows the recent ones only.
    this.sql.exec("DELETE FROM jobs WHERE id NOT IN (SELECT id FROM jobs ORDER BY created_at DESC LIMIT 1000)");
    return this.getJob(input.id)!;
  }

  updateJob(id: string, patch: { status?: JobStatus; statistics?: Record<string, number | string>; error?: string | null }): JobRecord | undefined {
    const job = this.getJob(id);
    if (!job) return undefined;
    const status = patch.status ?? job.status;
    this.sql.exec(
      "UPDATE jobs SET status = ?, statistics = ?, error = ?, updated_at = ?, started_at = COALESCE(started_at, CASE WHEN ? = 'working' THEN ? END) WHERE id = ?",
      status,
      JSON.stringify({ ...job.statistics, ...patch.statistics }),
      patch.error === undefined ? job.error : patch.error,
      now(),
      status,
      now(),
      id,
    );
    return this.getJob(id);
  }

  getJob(id: string): JobRecord | undefined {
    const row = this.sql.exec("SELECT * FROM jobs WHERE id = ?", id).toArray()[0];
    return row ? this.jobFromRow(row) : undefined;
  }

  listJobs(limit = 100): JobRecord[] {
    return this.sql.exec("SELECT * FROM jobs ORDER BY created_at DESC LIMIT ?", limit).toArray().map((r) => this.jobFromRow(r));
  }

  // ---------------------------------------------------------- deployments

  private deploymentFromRow(row: Row, withManifest: boolean): DeploymentRecord {
    const changes = JSON.parse(String(row.changes)) as DeploymentChanges;
    return {
      id: String(row.id),
      status: String(row.status) as DeploymentStatus,
      live: Number(row.live) === 1,
      retired: Number(row.retired) === 1,
      created_at: String(row.created_at),
      updated_at: String(row.updated_at),
      feedback: JSON.parse(String(row.feedback)) as DeploymentFeedback[],
      ...changes,
      manifest: withManifest && row.manifest ? (JSON.parse(String(row.manifest)) as DeploymentManifest) : null,
    };
  }

  listDeployments(): DeploymentRecord[] {
    return this.sql
      .exec("SELECT id, status, live, retired, changes, feedback, created_at, updated_at FROM deployments WHERE status != 'deleted' ORDER BY id DESC")
      .toArray()
      .map((r) => this.deploymentFromRow(r, false));
  }

  getDeployment(id: string, withManifest = false): DeploymentRecord | undefined {
    const row = this.sql.exec("SELECT * FROM deployments WHERE id = ?", Number(id)).toArray()[0];
    return row ? this.deploymentFromRow(row, withManifest) : undefined;
  }

  live(): DeploymentRecord | undefined {
    const row = this.sql.exec("SELECT * FROM deployments WHERE live = 1").toArray()[0];
    return row ? this.deploymentFromRow(row, true) : undefined;
  }

  /** Every deployment that still owns ClickHouse objects (not deleted, not failed). */
  activeManifests(): Array<{ id: string; manifest: DeploymentManifest }> {
    return this.sql
      .exec("SELECT id, manifest FROM deployments WHERE status NOT IN ('deleted', 'failed') AND manifest IS NOT NULL")
      .toArray()
      .map((r) => ({ id: String(r.id), manifest: JSON.parse(String(r.manifest)) as DeploymentManifest }));
  }

  /**
   * Opens a new deployment. Only one may be in progress or staging at a time,
   * as in Tinybird: promote or discard the staging one first.
   */
  beginDeployment(manifest: DeploymentManifest, changes: DeploymentChanges): CatalogResult<DeploymentRecord> {
    const busy = this.sql
      .exec(
        `SELECT id, status FROM deployments WHERE live = 0 AND retired = 0 AND status IN (${[...IN_PROGRESS, "data_ready"].map(() => "?").join(",")})`,
        ...IN_PROGRESS,
        "data_ready",
      )
      .toArray()[0];
    if (busy) {
      return fail(
        409,
        `Deployment ${busy.id} is ${busy.status === "data_ready" ? "in staging" : "in progress"}; promote or discard it before creating another`,
      );
    }
    const at = now();
    const row = this.sql
      .exec(
        "INSERT INTO deployments (status, live, manifest, changes, feedback, created_at, updated_at) VALUES ('creating_schema', 0, ?, ?, '[]', ?, ?) RETURNING id",
        JSON.stringify(manifest),
        JSON.stringify(changes),
        at,
        at,
      )
      .one();
    return { ok: true, value: this.getDeployment(String(row.id), true)! };
  }

  setDeploymentStatus(id: string, status: DeploymentStatus, feedback?: DeploymentFeedback[]): CatalogResult<DeploymentRecord> {
    const d = this.getDeployment(id);
    if (!d) return fail(404, `Deployment ${id} not found`);
    this.sql.exec(
      "UPDATE deployments SET status = ?, feedback = ?, updated_at = ? WHERE id = ?",
      status,
      JSON.stringify(feedback ?? d.feedback),
      now(),
      Number(id),
    );
    return { ok: true, value: this.getDeployment(id)! };
  }

  /**
   * Makes `id` live atomically. The previous live deployment is retired but kept
   * (with its tables) so `rollback` can bring it back. Tokens declared by TOKEN
   * lines follow the live manifest: `mintToken` gives the secret of new ones.
   */
  promote(id: string, newTokens: Record<string, { id: string; token: string }>): CatalogResult<{ live: DeploymentRecord; previous?: DeploymentRecord }> {
    const target = this.getDeployment(id, true);
    if (!target) return fail(404, `Deployment ${id} not found`);
    if (target.live) return { ok: true, value: { live: target } };
    if (target.status !== "data_ready") return fail(400, `Deployment ${id} is ${target.status}, not data_ready; it cannot be promoted`);
    const previous = this.live();
    const at = now();
    this.sql.exec("UPDATE deployments SET live = 0, retired = 1, updated_at = ? WHERE live = 1", at);
    this.sql.exec("UPDATE deployments SET live = 1, retired = 0, updated_at = ? WHERE id = ?", at, Number(id));
    this.syncResourceTokens(target.manifest!, newTokens);
    return { ok: true, value: { live: this.getDeployment(id)!, ...(previous ? { previous } : {}) } };
  }

  private syncResourceTokens(manifest: DeploymentManifest, newTokens: Record<string, { id: string; token: string }>): void {
    const declared = new Set(manifest.tokens.map((t) => t.name));
    for (const t of manifest.tokens) {
      const existing = this.getToken(t.name);
      if (existing && existing.origin !== "resource") {
        // A token made by hand keeps its scopes and gains the declared ones.
        const scopes = [...new Set([...existing.scopes, ...t.scopes])];
        this.sql.exec("UPDATE tokens SET scopes = ?, updated_at = ? WHERE id = ?", JSON.stringify(scopes), now(), existing.id);
        continue;
      }
      const fresh = newTokens[t.name];
      if (!existing && !fresh) continue; // caller did not mint one: cannot create it
      this.upsertToken({ id: fresh?.id ?? existing!.id, name: t.name, token: fresh?.token ?? existing!.token, scopes: t.scopes, origin: "resource" });
    }
    for (const t of this.listTokens()) {
      if (t.origin === "resource" && !declared.has(t.name)) this.sql.exec("DELETE FROM tokens WHERE id = ?", t.id);
    }
  }

  /** Marks a deployment deleted (its tables are dropped by the caller first). Live ones cannot be. */
  markDeleted(id: string): CatalogResult<DeploymentRecord> {
    const d = this.getDeployment(id);
    if (!d) return fail(404, `Deployment ${id} not found`);
    if (d.live) return fail(400, `Deployment ${id} is live; promote another one before deleting it`);
    this.sql.exec("UPDATE deployments SET status = 'deleted', manifest = NULL, updated_at = ? WHERE id = ?", now(), Number(id));
    return { ok: true, value: this.getDeployment(id)! };
  }

  /** The most recent retired deployment that still has its tables: the rollback target. */
  rollbackTarget(): DeploymentRecord | undefined {
    const row = this.sql
      .exec("SELECT * FROM deployments WHERE retired = 1 AND status = 'data_ready' ORDER BY id DESC LIMIT 1")
      .toArray()[0];
    return row ? this.deploymentFromRow(row, true) : undefined;
  }

  /** Rollback: the rollback target goes live again; the current live one is retired. */
  rollback(): CatalogResult<{ live: DeploymentRecord; previous?: DeploymentRecord }> {
    const target = this.rollbackTarget();
    if (!target) return fail(400, "There is no previous deployment to roll back to");
    const previous = this.live();
    const at = now();
    this.sql.exec("UPDATE deployments SET live = 0, retired = 1, updated_at = ? WHERE live = 1", at);
    this.sql.exec("UPDATE deployments SET live = 1, retired = 0, updated_at = ? WHERE id = ?", at, Number(target.id));
    this.syncResourceTokens(target.manifest!, {});
    return { ok: true, value: { live: this.getDeployment(target.id)!, ...(previous ? { previous } : {}) } };
  }
}
