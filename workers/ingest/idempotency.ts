/**
 * @module ingest/idempotency
 * The `Idempotency-Key` request header of `POST /v0/events`. Any client may
 * send one; it becomes the deduplication token of the request's inserts (both
 * paths), so a retry of a request whose answer was lost, or that got a 503
 * after ClickHouse had committed, lands nothing twice.
 *
 * The key is scoped: what reaches ClickHouse is a hash of the workspace, the
 * datasource, the key and the body. Two clients (or workspaces) that pick the
 * same key cannot drop each other's rows, and neither can one client reusing a
 * key for a different body: only a byte-identical retry (after decompression)
 * of the same request is deduplicated.
 */
import { z } from "zod";
import { invalidRequest } from "../../shared/errors.js";

export const IDEMPOTENCY_HEADER = "idempotency-key";
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

const Key = z
  .string()
  .min(1, "Idempotency-Key must not be empty")
  .max(MAX_IDEMPOTENCY_KEY_LENGTH, `Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/, "Idempotency-Key must be printable ASCII (letters, digits, punctuation; spaces only inside)");

/** The header's key, undefined when absent; a BadRequestError (400) when it is not a usable key. */
export function readIdempotencyKey(header: string | undefined | null): string | undefined {
  if (header === undefined || header === null) return undefined;
  const parsed = Key.safeParse(header.trim());
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

async function sha256Hex(data: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(data));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The request's stable key for deduplication: the same for a retry of the same body, distinct across workspaces, datasources and bodies. */
export async function idempotencyUnitKey(key: string, scope: { workspaceId: string; datasource: string; body: string }): Promise<string> {
  const body = await sha256Hex(scope.body);
  const scoped = await sha256Hex(["tern-events-idempotency", scope.workspaceId, scope.datasource, key, body].join("\u0000"));
  return `idem:${scoped.slice(0, 40)}`;
}
