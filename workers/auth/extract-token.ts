/**
 * @module auth/extract-token
 * Tinybird accepts the token as `Authorization: Bearer <t>` or `?token=<t>`.
 */
import { BadRequestError, UnauthorizedError } from "../../shared/errors.js";

export function extractToken(req: Request): string {
  const header = req.headers.get("authorization");
  const fromHeader = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  const fromQuery = new URL(req.url).searchParams.get("token")?.trim() || undefined;
  if (fromHeader && fromQuery && fromHeader !== fromQuery) {
    throw new BadRequestError("Two different tokens were sent (Authorization header and ?token=); send only one");
  }
  const token = fromHeader ?? fromQuery;
  if (!token) {
    throw new UnauthorizedError("Missing token: send it as 'Authorization: Bearer <token>' or '?token=<token>'");
  }
  return token;
}
