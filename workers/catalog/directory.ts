/**
 * @module catalog/directory
 * The list of workspaces (one object for the whole deployment) and who owns
 * each: every workspace belongs to one user, names are unique per user, and
 * each entry points at its WorkspaceCatalog by id.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { fail, type CatalogResult } from "./result.js";
import { DEFAULT_USER_ID } from "./client.js";

export { DEFAULT_USER_ID };

export interface DirectoryEntry {
  id: string;
  name: string;
  /** The user id of the owner. */
  owner: string;
  created_at: string;
}

type Row = Record<string, SqlStorageValue>;

function entry(row: Row): DirectoryEntry {
  return { id: String(row.id), name: String(row.name), owner: String(row.owner), created_at: String(row.created_at) };
}

export class Directory extends DurableObject<Env> {
  private sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.storage.transactionSync(() => this.migrate());
  }

  /**
   * Creates the table, or upgrades one written before workspaces had owners:
   * those rows belong to the default user (the only user there was), and the
   * global unique name becomes unique per owner. SQLite cannot drop a UNIQUE
   * constraint in place, so the table is rebuilt.
   */
  private migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS workspaces (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      owner TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (owner, name)
    )`);
    if (this.sql.exec("SELECT * FROM workspaces LIMIT 0").columnNames.includes("owner")) return;
    this.sql.exec(`CREATE TABLE workspaces_owned (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      owner TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (owner, name)
    )`);
    this.sql.exec("INSERT INTO workspaces_owned (id, name, owner, created_at) SELECT id, name, ?, created_at FROM workspaces", DEFAULT_USER_ID);
    this.sql.exec("DROP TABLE workspaces");
    this.sql.exec("ALTER TABLE workspaces_owned RENAME TO workspaces");
  }

  /** Adds a workspace for `owner`; registering the same id again is a no-op. */
  register(id: string, name: string, owner: string = DEFAULT_USER_ID): CatalogResult<DirectoryEntry> {
    const known = this.byId(id);
    if (known) return { ok: true, value: known };
    const clash = this.sql.exec("SELECT id FROM workspaces WHERE owner = ? AND name = ?", owner, name).toArray()[0];
    if (clash) return fail(409, `A workspace named '${name}' already exists`);
    this.sql.exec("INSERT INTO workspaces (id, name, owner, created_at) VALUES (?, ?, ?, ?)", id, name, owner, new Date().toISOString());
    return { ok: true, value: this.byId(id)! };
  }

  byId(id: string): DirectoryEntry | undefined {
    const row = this.sql.exec("SELECT id, name, owner, created_at FROM workspaces WHERE id = ?", id).toArray()[0];
    return row ? entry(row) : undefined;
  }

  /** A workspace of `owner` by id or name; another user's workspace is not found. */
  owned(owner: string, idOrName: string): DirectoryEntry | undefined {
    const row = this.sql
      .exec("SELECT id, name, owner, created_at FROM workspaces WHERE owner = ? AND (id = ? OR name = ?) ORDER BY id = ? DESC LIMIT 1", owner, idOrName, idOrName, idOrName)
      .toArray()[0];
    return row ? entry(row) : undefined;
  }

  /** The workspaces of one user, oldest first. */
  list(owner: string): DirectoryEntry[] {
    return this.sql
      .exec("SELECT id, name, owner, created_at FROM workspaces WHERE owner = ? ORDER BY created_at, name", owner)
      .toArray()
      .map(entry);
  }

  /** Every workspace of every user (the scheduler's tick visits them all). */
  all(): DirectoryEntry[] {
    return this.sql.exec("SELECT id, name, owner, created_at FROM workspaces ORDER BY created_at, id").toArray().map(entry);
  }

  remove(id: string): boolean {
    return this.sql.exec("DELETE FROM workspaces WHERE id = ?", id).rowsWritten > 0;
  }
}
