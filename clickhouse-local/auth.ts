/** Checks request credentials against the one configured user. */
import { timingSafeEqual } from "node:crypto";
import { ClickHouseException, Codes } from "./errors.js";
import type { Credentials } from "./request.js";

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authenticate(creds: Credentials, user: string, password: string): void {
  // Same answer for an unknown user and a wrong password, as ClickHouse gives.
  if (!same(creds.user, user) || !same(creds.password, password)) {
    throw new ClickHouseException(
      Codes.AUTHENTICATION_FAILED,
      `${creds.user}: Authentication failed: password is incorrect, or there is no user with such name`,
    );
  }
}
