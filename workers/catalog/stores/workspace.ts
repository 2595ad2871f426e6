/**
 * @module catalog/stores/workspace
 * The `workspace` table: the one row naming the workspace this catalog
 * belongs to, its ClickHouse database and the HMAC secret of its static tokens.
 */
import type { Store } from "./sql.js";

export interface WorkspaceInfo {
  id: string;
  name: string;
  database: string;
  createdAt: string;
}

export interface NewWorkspace {
  id: string;
  name: string;
  database: string;
  /** HMAC secret for the workspace's static tokens. */
  signingSecret: string;
}

export class WorkspaceStore implements Store {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS workspace (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      database_name TEXT NOT NULL,
      signing_secret TEXT NOT NULL,
      created_at TEXT NOT NULL
    )`);
  }

  create(input: NewWorkspace, at: string): void {
    this.sql.exec(
      "INSERT INTO workspace (id, name, database_name, signing_secret, created_at) VALUES (?, ?, ?, ?, ?)",
      input.id,
      input.name,
      input.database,
      input.signingSecret,
      at,
    );
  }

  info(): WorkspaceInfo | undefined {
    const row = this.sql.exec("SELECT id, name, database_name, created_at FROM workspace LIMIT 1").toArray()[0];
    return row
      ? { id: String(row.id), name: String(row.name), database: String(row.database_name), createdAt: String(row.created_at) }
      : undefined;
  }

  signingSecret(): string | undefined {
    const row = this.sql.exec("SELECT signing_secret FROM workspace LIMIT 1").toArray()[0];
    return row ? String(row.signing_secret) : undefined;
  }
}
