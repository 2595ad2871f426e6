/**
 * @module catalog/stores/secrets
 * The `secrets` table: the workspace's secrets (`/v0/variables`, `tb secret`),
 * the values of `{{ tb_secret("NAME") }}` in its datafiles and connections.
 * Listing and reading give names and dates only; the values leave the catalog
 * through `values()` alone, for the code that resolves `tb_secret` (deploy
 * checks, sinks at run time), never in an answer.
 */
import { fail, type CatalogResult } from "../result.js";
import { now, type Row, type Store } from "./sql.js";

/** A secret as it may be shown: no value. */
export interface SecretRecord {
  name: string;
  created_at: string;
  updated_at: string;
}

function secretFromRow(row: Row): SecretRecord {
  return { name: String(row.name), created_at: String(row.created_at), updated_at: String(row.updated_at) };
}

export class SecretStore implements Store {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS secrets (
      name TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`);
  }

  list(): SecretRecord[] {
    return this.sql.exec("SELECT name, created_at, updated_at FROM secrets ORDER BY name").toArray().map(secretFromRow);
  }

  get(name: string): SecretRecord | undefined {
    const row = this.sql.exec("SELECT name, created_at, updated_at FROM secrets WHERE name = ?", name).toArray()[0];
    return row ? secretFromRow(row) : undefined;
  }

  /** Every value by name: for resolving `tb_secret`, never for an answer. */
  values(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const row of this.sql.exec("SELECT name, value FROM secrets").toArray()) out[String(row.name)] = String(row.value);
    return out;
  }

  create(name: string, value: string): CatalogResult<SecretRecord> {
    if (this.get(name)) return fail(409, `Secret '${name}' already exists; update it with PUT /v0/variables/${name}`);
    const at = now();
    this.sql.exec("INSERT INTO secrets (name, value, created_at, updated_at) VALUES (?, ?, ?, ?)", name, value, at, at);
    return { ok: true, value: this.get(name)! };
  }

  update(name: string, value: string): CatalogResult<SecretRecord> {
    if (!this.get(name)) return fail(404, `Secret '${name}' not found`);
    this.sql.exec("UPDATE secrets SET value = ?, updated_at = ? WHERE name = ?", value, now(), name);
    return { ok: true, value: this.get(name)! };
  }

  delete(name: string): CatalogResult<SecretRecord> {
    const found = this.get(name);
    if (!found) return fail(404, `Secret '${name}' not found`);
    this.sql.exec("DELETE FROM secrets WHERE name = ?", name);
    return { ok: true, value: found };
  }

  /** Replaces every secret with `values` (a branch starts with its parent's). */
  copyFrom(values: Record<string, string>): void {
    const at = now();
    for (const [name, value] of Object.entries(values)) {
      this.sql.exec("INSERT OR REPLACE INTO secrets (name, value, created_at, updated_at) VALUES (?, ?, ?, ?)", name, value, at, at);
    }
  }
}
