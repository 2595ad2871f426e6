/**
 * Who a request is: the configured admin user (`--user`/`--password`, all
 * rights), or a user created with CREATE USER (the rights in the access store).
 */
import { timingSafeEqual } from "node:crypto";
import { passwordMatches, type AccessStore, type User } from "./access-store.js";
import { ClickHouseException, Codes } from "./errors.js";
import type { Credentials } from "./request.js";

export type Principal = { kind: "admin"; name: string } | { kind: "user"; name: string; user: User };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authenticate(creds: Credentials, admin: { user: string; password: string }, store: AccessStore): Principal {
  if (same(creds.user, admin.user)) {
    if (same(creds.password, admin.password)) return { kind: "admin", name: admin.user };
  } else {
    const user = store.user(creds.user);
    if (user && passwordMatches(user.auth, creds.password)) return { kind: "user", name: user.name, user };
  }
  // Same answer for an unknown user and a wrong password, as ClickHouse gives.
  throw new ClickHouseException(
    Codes.AUTHENTICATION_FAILED,
    `${creds.user}: Authentication failed: password is incorrect, or there is no user with such name`,
  );
}
