/**
 * @module catalog/workspace-catalog
 * One SQLite-backed Durable Object per workspace: the strongly consistent home of
 * its catalog. This first version keeps the workspace's identity; datasources,
 * pipes, deployments, tokens and jobs join it with the Deployments issue.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";

export interface WorkspaceInfo {
  id: string;
  name: string;
  createdAt: string;
}

export class WorkspaceCatalog extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS workspace (
         id TEXT PRIMARY KEY,
         name TEXT NOT NULL,
         created_at TEXT NOT NULL
       )`,
    );
  }

  /** Creates the workspace record once; later calls return the existing one. */
  ensureWorkspace(id: string, name: string): WorkspaceInfo {
    this.ctx.storage.sql.exec(
      "INSERT OR IGNORE INTO workspace (id, name, created_at) VALUES (?, ?, ?)",
      id,
      name,
      new Date().toISOString(),
    );
    return this.info()!;
  }

  info(): WorkspaceInfo | undefined {
    const row = this.ctx.storage.sql
      .exec<{ id: string; name: string; created_at: string }>("SELECT id, name, created_at FROM workspace LIMIT 1")
      .toArray()[0];
    return row ? { id: row.id, name: row.name, createdAt: row.created_at } : undefined;
  }
}
