/**
 * @module catalog/directory
 * The list of workspaces (one object for the whole deployment): names are
 * unique, and each entry points at its WorkspaceCatalog by id.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { fail, type CatalogResult } from "./result.js";

export interface DirectoryEntry {
  id: string;
  name: string;
  created_at: string;
}

export class Directory extends DurableObject<Env> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS workspaces (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL
    )`);
  }

  register(id: string, name: string): CatalogResult<DirectoryEntry> {
    const clash = this.sql.exec("SELECT id FROM workspaces WHERE name = ? AND id != ?", name, id).toArray()[0];
    if (clash) return fail(409, `A workspace named '${name}' already exists`);
    this.sql.exec("INSERT OR IGNORE INTO workspaces (id, name, created_at) VALUES (?, ?, ?)", id, name, new Date().toISOString());
    return { ok: true, value: this.get(id)! };
  }

  get(idOrName: string): DirectoryEntry | undefined {
    const row = this.sql.exec("SELECT id, name, created_at FROM workspaces WHERE id = ? OR name = ?", idOrName, idOrName).toArray()[0];
    return row ? { id: String(row.id), name: String(row.name), created_at: String(row.created_at) } : undefined;
  }

  list(): DirectoryEntry[] {
    return this.sql
      .exec("SELECT id, name, created_at FROM workspaces ORDER BY created_at, name")
      .toArray()
      .map((r) => ({ id: String(r.id), name: String(r.name), created_at: String(r.created_at) }));
  }

  remove(id: string): boolean {
    return this.sql.exec("DELETE FROM workspaces WHERE id = ?", id).rowsWritten > 0;
  }
}
