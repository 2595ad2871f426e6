/**
 * @module catalog/stores/deployments
 * The `deployments` table: every deployment of the workspace with its
 * manifest (what it built in ClickHouse, immutable once recorded), its status,
 * and which one is live. At most one is in progress or staging; a promoted
 * one retires the previous live one, which is kept (tables and manifest) for
 * rollback until it is deleted.
 */
import type {
  DeploymentChanges,
  DeploymentFeedback,
  DeploymentManifest,
  DeploymentStatus,
  DeploymentSummary,
} from "../../../shared/deploy/manifest.js";
import { fail, type CatalogResult } from "../result.js";
import { now, type Row, type Store } from "./sql.js";

export interface DeploymentRecord extends DeploymentSummary {
  manifest: DeploymentManifest | null;
  /** Set once a newer deployment was promoted over this one; kept for rollback. */
  retired: boolean;
}

/** A deployment made live, and the one it replaced. */
export interface Promotion {
  live: DeploymentRecord;
  previous?: DeploymentRecord;
}

/** Runs as a deployment goes live, in the same transaction: what else follows the live manifest (its TOKEN lines). */
export type OnLive = (manifest: DeploymentManifest) => void;

const IN_PROGRESS: DeploymentStatus[] = ["calculating", "creating_schema", "schema_ready"];

function deploymentFromRow(row: Row, withManifest: boolean): DeploymentRecord {
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

export class DeploymentStore implements Store {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS deployments (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      status TEXT NOT NULL,
      live INTEGER NOT NULL DEFAULT 0,
      retired INTEGER NOT NULL DEFAULT 0,
      manifest TEXT,
      changes TEXT NOT NULL,
      feedback TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`);
  }

  /** Every deployment not deleted, newest first, without manifests. */
  list(): DeploymentRecord[] {
    return this.sql
      .exec("SELECT id, status, live, retired, changes, feedback, created_at, updated_at FROM deployments WHERE status != 'deleted' ORDER BY id DESC")
      .toArray()
      .map((r) => deploymentFromRow(r, false));
  }

  get(id: string, withManifest = false): DeploymentRecord | undefined {
    const row = this.sql.exec("SELECT * FROM deployments WHERE id = ?", Number(id)).toArray()[0];
    return row ? deploymentFromRow(row, withManifest) : undefined;
  }

  live(): DeploymentRecord | undefined {
    const row = this.sql.exec("SELECT * FROM deployments WHERE live = 1").toArray()[0];
    return row ? deploymentFromRow(row, true) : undefined;
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
  begin(manifest: DeploymentManifest, changes: DeploymentChanges): CatalogResult<DeploymentRecord> {
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
    return { ok: true, value: this.get(String(row.id), true)! };
  }

  setStatus(id: string, status: DeploymentStatus, feedback?: DeploymentFeedback[]): CatalogResult<DeploymentRecord> {
    const d = this.get(id);
    if (!d) return fail(404, `Deployment ${id} not found`);
    this.sql.exec(
      "UPDATE deployments SET status = ?, feedback = ?, updated_at = ? WHERE id = ?",
      status,
      JSON.stringify(feedback ?? d.feedback),
      now(),
      Number(id),
    );
    return { ok: true, value: this.get(id)! };
  }

  /**
   * Makes `id` live. The previous live deployment is retired but kept (with
   * its tables) so `rollback` can bring it back. Promoting the live one again
   * changes nothing.
   */
  promote(id: string, onLive: OnLive): CatalogResult<Promotion> {
    const target = this.get(id, true);
    if (!target) return fail(404, `Deployment ${id} not found`);
    if (target.live) return { ok: true, value: { live: target } };
    if (target.status !== "data_ready") return fail(400, `Deployment ${id} is ${target.status}, not data_ready; it cannot be promoted`);
    return { ok: true, value: this.goLive(target, onLive) };
  }

  /** The most recent retired deployment that still has its tables: the rollback target. */
  rollbackTarget(): DeploymentRecord | undefined {
    const row = this.sql
      .exec("SELECT * FROM deployments WHERE retired = 1 AND status = 'data_ready' ORDER BY id DESC LIMIT 1")
      .toArray()[0];
    return row ? deploymentFromRow(row, true) : undefined;
  }

  /** The rollback target goes live again; the current live one is retired. */
  rollback(onLive: OnLive): CatalogResult<Promotion> {
    const target = this.rollbackTarget();
    if (!target) return fail(400, "There is no previous deployment to roll back to");
    return { ok: true, value: this.goLive(target, onLive) };
  }

  /** Marks a deployment deleted (its tables are dropped by the caller first). Live ones cannot be. */
  markDeleted(id: string): CatalogResult<DeploymentRecord> {
    const d = this.get(id);
    if (!d) return fail(404, `Deployment ${id} not found`);
    if (d.live) return fail(400, `Deployment ${id} is live; promote another one before deleting it`);
    this.sql.exec("UPDATE deployments SET status = 'deleted', manifest = NULL, updated_at = ? WHERE id = ?", now(), Number(id));
    return { ok: true, value: this.get(id)! };
  }

  /** `target` (read with its manifest) replaces the live deployment. */
  private goLive(target: DeploymentRecord, onLive: OnLive): Promotion {
    const previous = this.live();
    const at = now();
    this.sql.exec("UPDATE deployments SET live = 0, retired = 1, updated_at = ? WHERE live = 1", at);
    this.sql.exec("UPDATE deployments SET live = 1, retired = 0, updated_at = ? WHERE id = ?", at, Number(target.id));
    onLive(target.manifest!);
    return { live: this.get(target.id)!, ...(previous ? { previous } : {}) };
  }
}
