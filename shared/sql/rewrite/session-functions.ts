/**
 * The session functions drivers and BI tools call at connect
 * (`currentDatabase()`, `currentUser()`, `getSetting('readonly')`, `uptime()`),
 * answered as literals before the read guard sees the SQL: each call becomes
 * the value the caller should see (the workspace's name, the user it
 * connected as, a setting from an allowlist), never the server's own.
 *
 * It works on ClickHouse's canonical re-printing of the query (the text the
 * table rewriter reads too), with the tokenizer that follows ClickHouse's
 * lexer. Only the exact call shapes below are replaced; any other use of
 * these names (`getSetting(concat(…))`, `currentUser(1)`, `x.user()`) is left
 * as written and the read guard refuses it (`currentUser`, `getSetting`,
 * `uptime` are denied functions), so a miss here can only refuse, never leak.
 *
 * @module
 */
import { isSignificant, tokenize, type Token } from "./tokenize.js";

export type SessionFunction = "database" | "user" | "setting" | "uptime";

/** Names (any case, as ClickHouse's case-insensitive aliases) → what they answer. */
const ZERO_ARGUMENT: ReadonlyMap<string, SessionFunction> = new Map([
  ["currentdatabase", "database"],
  ["current_database", "database"],
  ["database", "database"],
  ["schema", "database"],
  ["currentuser", "user"],
  ["current_user", "user"],
  ["session_user", "user"],
  ["user", "user"],
  ["uptime", "uptime"],
]);

export interface SessionCall {
  fn: SessionFunction;
  /** `getSetting`'s setting name. */
  setting?: string;
  start: number;
  end: number;
}

/** The session function calls in `sql`, in order (none when it does not tokenize). */
export function findSessionCalls(sql: string): SessionCall[] {
  const { tokens, error } = tokenize(sql);
  if (error) return [];
  const sig = tokens.filter(isSignificant);
  const calls: SessionCall[] = [];
  const is = (t: Token | undefined, text: string) => t?.kind === "punctuation" && t.text === text;
  for (let i = 0; i < sig.length; i++) {
    const t = sig[i]!;
    if (t.kind !== "identifier" && t.kind !== "quoted_identifier") continue;
    // `x.user()` is not the function (and does not parse as it): left for the guard.
    if (is(sig[i - 1], ".") || !is(sig[i + 1], "(")) continue;
    const name = (t.value ?? t.text).toLowerCase();
    const fn = ZERO_ARGUMENT.get(name);
    if (fn && is(sig[i + 2], ")")) {
      calls.push({ fn, start: t.start, end: sig[i + 2]!.end });
      i += 2;
    } else if (name === "getsetting" && sig[i + 2]?.kind === "string" && sig[i + 2]!.value !== undefined && is(sig[i + 3], ")")) {
      calls.push({ fn: "setting", setting: sig[i + 2]!.value!, start: t.start, end: sig[i + 3]!.end });
      i += 3;
    }
  }
  return calls;
}

/** `sql` with each call replaced by the SQL literal `answer` gives it (calls from `findSessionCalls(sql)`). */
export function replaceSessionCalls(sql: string, calls: readonly SessionCall[], answer: (call: SessionCall) => string): string {
  let out = "";
  let at = 0;
  for (const call of calls) {
    out += `${sql.slice(at, call.start)}${answer(call)}`;
    at = call.end;
  }
  return out + sql.slice(at);
}
