/**
 * @module tokens/format
 * Static tokens use Tinybird's shape, so tools that decode them (dashboards read
 * `u` as the workspace id) keep working: `p.` + base64url(JSON) + `.` + signature,
 * the signature being base64url(HMAC-SHA256(secret, "p." + payload)), 43 chars.
 */
import { z } from "zod";
import { base64UrlDecodeToString, base64UrlEncode } from "./base64url.js";

export const TokenPayload = z.object({
  /** Workspace id. */
  u: z.string().min(1),
  /** Token id. */
  id: z.string().min(1),
  /** Region key; Tinybird Local uses "local". */
  host: z.string().optional(),
});
export type TokenPayload = z.infer<typeof TokenPayload>;

const encoder = new TextEncoder();

async function hmac(secret: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(data));
  return base64UrlEncode(new Uint8Array(mac));
}

/** Mints a signed static token for a payload. */
export async function signToken(payload: TokenPayload, secret: string): Promise<string> {
  // Key order is fixed so the same payload always gives the same token string.
  const json = JSON.stringify({ u: payload.u, id: payload.id, ...(payload.host ? { host: payload.host } : {}) });
  const head = `p.${base64UrlEncode(encoder.encode(json))}`;
  return `${head}.${await hmac(secret, head)}`;
}

/** Reads the payload without checking the signature (for routing to a workspace). */
export function decodeToken(token: string): TokenPayload | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== "p" || !parts[1] || !parts[2]) return undefined;
  try {
    const parsed = TokenPayload.safeParse(JSON.parse(base64UrlDecodeToString(parts[1])));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** True when the token's signature matches `secret` (constant-time compare). */
export async function verifyToken(token: string, secret: string): Promise<boolean> {
  const dot = token.lastIndexOf(".");
  if (dot <= 0 || decodeToken(token) === undefined) return false;
  const expected = await hmac(secret, token.slice(0, dot));
  const given = token.slice(dot + 1);
  if (given.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ expected.charCodeAt(i);
  return diff === 0;
}
