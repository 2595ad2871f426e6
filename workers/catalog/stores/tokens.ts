/**
 * @module catalog/stores/tokens
 * The `tokens` table: a workspace's static tokens. Three origins: `default`
 * (made with the workspace, never deleted), `api` (made through the Tokens
 * API) and `resource` (declared by TOKEN lines, following the live
 * deployment: `followManifest`).
 */
import type { ManifestToken } from "../../../shared/deploy/manifest.js";
import { fail, type CatalogResult } from "../result.js";
import { hasColumn, now, textOrNull, type Row, type Store } from "./sql.js";

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

/** A token the workspace is created with; `userId` when it identifies a user. */
export interface DefaultToken {
  id: string;
  name: string;
  token: string;
  scopes: string[];
  userId?: string;
}

/** Secrets minted by the caller for TOKEN lines that have no token yet, by token name. */
export type MintedTokens = Record<string, { id: string; token: string }>;

function tokenFromRow(row: Row): TokenRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    token: String(row.token),
    scopes: JSON.parse(String(row.scopes)) as string[],
    origin: String(row.origin) as TokenOrigin,
    description: String(row.description ?? ""),
    user_id: textOrNull(row.user_id),
    created_at: String(row.created_at),
    updated_at: String(row.updated_at),
  };
}

export class TokenStore implements Store {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      token TEXT NOT NULL UNIQUE,
      scopes TEXT NOT NULL,
      origin TEXT NOT NULL,
      description TEXT NOT NULL DEFAULT '',
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`);
    // Catalogs written before tokens could belong to a user get the column; `bindToUsers` fills it.
    if (!hasColumn(this.sql, "tokens", "user_id")) this.sql.exec("ALTER TABLE tokens ADD COLUMN user_id TEXT");
  }

  addDefaults(tokens: readonly DefaultToken[], at: string): void {
    for (const t of tokens) {
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
  }

  /** Binds default tokens that have no user yet (a catalog older than users) to the user given for them. */
  bindToUsers(tokens: readonly DefaultToken[]): void {
    for (const t of tokens) {
      if (t.userId) this.sql.exec("UPDATE tokens SET user_id = ? WHERE id = ? AND origin = 'default' AND user_id IS NULL", t.userId, t.id);
    }
  }

  resolve(token: string): TokenRecord | undefined {
    const row = this.sql.exec("SELECT * FROM tokens WHERE token = ?", token).toArray()[0];
    return row ? tokenFromRow(row) : undefined;
  }

  list(): TokenRecord[] {
    return this.sql.exec("SELECT * FROM tokens ORDER BY created_at, name").toArray().map(tokenFromRow);
  }

  get(nameOrId: string): TokenRecord | undefined {
    const row = this.sql.exec("SELECT * FROM tokens WHERE name = ? OR id = ? OR token = ?", nameOrId, nameOrId, nameOrId).toArray()[0];
    return row ? tokenFromRow(row) : undefined;
  }

  /** Inserts a token, or replaces the scopes of the one with that name (keeping its secret). */
  upsert(input: { id: string; name: string; token: string; scopes: string[]; origin: TokenOrigin; description?: string }): TokenRecord {
    const at = now();
    const existing = this.get(input.name);
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
    return this.get(input.name)!;
  }

  /** Replaces a token's secret; returns the old and new records. */
  replaceSecret(nameOrId: string, token: string): CatalogResult<{ before: TokenRecord; after: TokenRecord }> {
    const before = this.get(nameOrId);
    if (!before) return fail(404, `Token '${nameOrId}' not found`);
    this.sql.exec("UPDATE tokens SET token = ?, updated_at = ? WHERE id = ?", token, now(), before.id);
    return { ok: true, value: { before, after: this.get(before.id)! } };
  }

  delete(nameOrId: string): CatalogResult<TokenRecord> {
    const t = this.get(nameOrId);
    if (!t) return fail(404, `Token '${nameOrId}' not found`);
    if (t.origin === "default") return fail(400, `Token '${t.name}' is a default token and cannot be deleted`);
    this.sql.exec("DELETE FROM tokens WHERE id = ?", t.id);
    return { ok: true, value: t };
  }

  /**
   * Makes the resource tokens those of a deployment going live: a declared
   * token is created (with the secret in `minted`) or given the declared
   * scopes; a token made by hand under a declared name keeps its scopes and
   * gains the declared ones; resource tokens no longer declared are deleted.
   */
  followManifest(declared: readonly ManifestToken[], minted: MintedTokens): void {
    const names = new Set(declared.map((t) => t.name));
    for (const t of declared) {
      const existing = this.get(t.name);
      if (existing && existing.origin !== "resource") {
        const scopes = [...new Set([...existing.scopes, ...t.scopes])];
        this.sql.exec("UPDATE tokens SET scopes = ?, updated_at = ? WHERE id = ?", JSON.stringify(scopes), now(), existing.id);
        continue;
      }
      const fresh = minted[t.name];
      if (!existing && !fresh) continue; // the caller did not mint one: it cannot be created
      this.upsert({ id: fresh?.id ?? existing!.id, name: t.name, token: fresh?.token ?? existing!.token, scopes: t.scopes, origin: "resource" });
    }
    for (const t of this.list()) {
      if (t.origin === "resource" && !names.has(t.name)) this.sql.exec("DELETE FROM tokens WHERE id = ?", t.id);
    }
  }
}
