/**
 * The access-management statements this server answers itself, read from the
 * engine's canonical one-line form of the statement (parser.ts
 * `canonical()`): the engine has parsed the text and printed it back with
 * single spaces, upper-case keywords, its own quoting and clause order, so the
 * reader below matches that exact text and nothing looser. Anything outside
 * the subset is a NOT_IMPLEMENTED error naming what was not understood, never
 * silently ignored, and never passed to chDB.
 */
import { ClickHouseException, Codes } from "./errors.js";
import type { ProfileSetting, QuotaInterval, Writability } from "./access-store.js";

export type CreateMode = "create" | "if-not-exists" | "or-replace";

export type AccessCommand =
  | { kind: "create-profile"; names: string[]; mode: CreateMode; settings: ProfileSetting[] }
  | { kind: "drop-profile"; names: string[]; ifExists: boolean }
  | { kind: "create-user"; names: string[]; mode: CreateMode; options: UserOptions }
  | { kind: "alter-user"; names: string[]; ifExists: boolean; options: UserOptions }
  | { kind: "drop-user"; names: string[]; ifExists: boolean }
  | { kind: "grant" | "revoke"; database: string | undefined; table: string | undefined; users: string[] }
  | { kind: "create-quota"; names: string[]; mode: CreateMode; intervals: QuotaInterval[]; to: string[] }
  | { kind: "drop-quota"; names: string[]; ifExists: boolean }
  | { kind: "show-users"; format: string | undefined }
  | { kind: "show-grants"; user: string | undefined; format: string | undefined }
  | { kind: "kill-query"; queryId: string; sync: boolean; test: boolean; format: string | undefined };

export interface UserOptions {
  password?: string;
  /** null = `DEFAULT DATABASE NONE`. */
  defaultDatabase?: string | null;
  /** null = no profile. */
  profile?: string | null;
}

/** Access-control statements (ours or not), by their canonical beginning. */
const ACCESS_STATEMENT =
  /^(?:(?:CREATE|ALTER|DROP) (?:USER|ROLE|SETTINGS PROFILE|PROFILE|QUOTA|ROW POLICY|POLICY|MASKING POLICY)\b|GRANT |REVOKE |SHOW (?:GRANTS|USERS|ROLES|CURRENT ROLES|ENABLED ROLES|SETTINGS PROFILES|PROFILES|QUOTAS|QUOTA|ROW POLICIES|POLICIES|ACCESS|PRIVILEGES|CREATE (?:USER|ROLE|SETTINGS PROFILE|PROFILE|QUOTA|ROW POLICY|POLICY|MASKING POLICY))\b|SET (?:DEFAULT )?ROLE\b|KILL |EXECUTE AS\b|CHECK GRANT\b|MOVE (?:USER|ROLE|SETTINGS PROFILE|PROFILE|QUOTA|ROW POLICY|POLICY)\b)/;

/** Whether a canonical statement is access control (answered by this server, never by chDB). */
export function isAccessStatement(canonical: string): boolean {
  return ACCESS_STATEMENT.test(canonical);
}

/** The privilege ClickHouse would name when refusing the statement to a user without it. */
export function requiredGrant(canonical: string): string {
  const m = /^(CREATE|ALTER|DROP) (USER|ROLE|SETTINGS PROFILE|PROFILE|QUOTA|ROW POLICY|POLICY|MASKING POLICY)\b/.exec(canonical);
  if (m) return `${m[1]} ${m[2] === "PROFILE" ? "SETTINGS PROFILE" : m[2] === "POLICY" ? "ROW POLICY" : m[2]} ON *.*`;
  if (/^(GRANT|REVOKE) /.test(canonical)) return "ACCESS MANAGEMENT ON *.*";
  if (canonical.startsWith("KILL ")) return "KILL QUERY ON *.*";
  if (canonical.startsWith("SHOW ")) return "SHOW ACCESS ON *.*";
  return "ACCESS MANAGEMENT ON *.*";
}

/** Passwords never travel in error messages. */
function redact(s: string): string {
  return s.replace(/\bBY '(?:[^'\\]|\\.)*'/g, "BY '[HIDDEN]'");
}

function unsupported(canonical: string, at: number): ClickHouseException {
  const near = redact(canonical.slice(at, at + 80));
  return new ClickHouseException(
    Codes.NOT_IMPLEMENTED,
    `This server implements only part of ClickHouse's access control (CREATE/ALTER/DROP USER, CREATE/DROP SETTINGS PROFILE, CREATE/DROP QUOTA, GRANT/REVOKE SELECT, SHOW USERS, SHOW GRANTS, KILL QUERY WHERE query_id = ...); not supported: ${near === "" ? "the end of" : `\`${near}\` in`} ${redact(canonical)}`,
  );
}

const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", "0": "\0", a: "\x07", v: "\v" };

/** Undoes the engine's quoting of a `'string'` or `` `identifier` `` (quote character excluded). */
function unescape(body: string): string {
  return body.replace(/\\(x[0-9A-Fa-f]{2}|.)/gs, (_, e: string) => {
    if (e.length === 3 && e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    return ESCAPES[e] ?? e;
  });
}

/** A cursor over canonical text that accepts only the exact spellings the engine prints. */
class Canonical {
  at = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.at === this.text.length;
  }

  /** Consumes `word` (a keyword or punctuation, with its exact spacing) if it comes next. */
  take(word: string): boolean {
    if (!this.text.startsWith(word, this.at)) return false;
    const end = this.at + word.length;
    // A keyword must end at a word boundary ("TO" is not the start of "TOTAL").
    if (/\w$/.test(word) && /\w/.test(this.text[end] ?? "")) return false;
    this.at = end;
    return true;
  }

  expect(word: string): void {
    if (!this.take(word)) throw unsupported(this.text, this.at);
  }

  end(): void {
    if (!this.done) throw unsupported(this.text, this.at);
  }

  fail(): never {
    throw unsupported(this.text, this.at);
  }

  #match(re: RegExp): string | undefined {
    re.lastIndex = this.at;
    const m = re.exec(this.text);
    if (!m) return undefined;
    this.at += m[0].length;
    return m[0];
  }

  /** A bare or backquoted identifier. */
  ident(): string {
    const bare = this.#match(/[A-Za-z_][A-Za-z0-9_]*/y);
    if (bare !== undefined) return bare;
    const quoted = this.#match(/`(?:[^`\\]|\\.)*`/sy);
    if (quoted !== undefined) return unescape(quoted.slice(1, -1));
    return this.fail();
  }

  /** `a, b, c` */
  identList(): string[] {
    const names = [this.ident()];
    while (this.take(", ")) names.push(this.ident());
    return names;
  }

  string(): string {
    const s = this.#match(/'(?:[^'\\]|\\.)*'/sy);
    if (s === undefined) return this.fail();
    return unescape(s.slice(1, -1));
  }

  /** A literal as the engine printed it (kept as SQL text). */
  literal(): string {
    const s = this.#match(/'(?:[^'\\]|\\.)*'/sy) ?? this.#match(/-?(?:\d+\.?\d*(?:e[+-]?\d+)?|inf|nan)(?![\w.])|true\b|false\b/iy);
    return s ?? this.fail();
  }

  number(): number {
    const s = this.#match(/\d+(?:\.\d*)?(?:e[+-]?\d+)?(?![\w.])/iy);
    if (s === undefined) return this.fail();
    return Number(s);
  }

  createMode(): CreateMode {
    if (this.take(" IF NOT EXISTS")) return "if-not-exists";
    if (this.take(" OR REPLACE")) return "or-replace";
    return "create";
  }

  /** A trailing ` FORMAT name`, if any. */
  format(): string | undefined {
    return this.take(" FORMAT ") ? this.ident() : undefined;
  }
}

/** The value of a SQL literal kept in canonical form: strings unquoted, the rest as written. */
export function literalValue(literal: string): string {
  return literal.startsWith("'") ? unescape(literal.slice(1, -1)) : literal;
}

function profileSettings(c: Canonical): ProfileSetting[] {
  const out: ProfileSetting[] = [];
  do {
    if (c.text.startsWith("INHERIT ", c.at) || c.text.startsWith("PROFILE ", c.at)) c.fail();
    const s: ProfileSetting = { name: c.ident() };
    if (c.take(" = ")) s.value = c.literal();
    if (c.take(" MIN ")) s.min = c.literal();
    if (c.take(" MAX ")) s.max = c.literal();
    const w = c.take(" CONST") ? "CONST" : c.take(" WRITABLE") ? "WRITABLE" : c.take(" CHANGEABLE_IN_READONLY") ? "CHANGEABLE_IN_READONLY" : undefined;
    if (w) s.writability = w as Writability;
    out.push(s);
  } while (c.take(", "));
  return out;
}

function userOptions(c: Canonical, alter: boolean): UserOptions {
  const o: UserOptions = {};
  const once = (key: keyof UserOptions) => {
    if (key in o) c.fail();
  };
  for (;;) {
    if (c.take(" IDENTIFIED BY ")) {
      once("password");
      o.password = c.string();
    } else if (c.take(" IDENTIFIED WITH sha256_password BY ") || c.take(" IDENTIFIED WITH plaintext_password BY ")) {
      once("password");
      o.password = c.string();
    } else if (c.take(" DEFAULT DATABASE ")) {
      once("defaultDatabase");
      o.defaultDatabase = c.take("NONE") ? null : c.ident();
    } else if (!alter && c.take(" SETTINGS PROFILE ")) {
      once("profile");
      o.profile = c.ident();
    } else if (alter && c.take(" DROP ALL SETTINGS, DROP ALL PROFILES")) {
      // How the engine prints `ALTER USER u SETTINGS PROFILE 'p'` (and `… SETTINGS NONE`).
      once("profile");
      o.profile = c.take(", ADD PROFILE ") ? c.ident() : null;
    } else break;
  }
  c.end();
  return o;
}

/** Seconds per interval unit, as ClickHouse counts them for quotas. */
const UNIT_SECONDS: Record<string, number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86400,
  week: 604800,
  month: 2629746,
  quarter: 7889238,
  year: 31556952,
};

function quotaIntervals(c: Canonical): QuotaInterval[] {
  const out: QuotaInterval[] = [];
  do {
    c.expect("FOR INTERVAL ");
    const n = c.number();
    c.expect(" ");
    const unit = c.ident();
    const per = UNIT_SECONDS[unit];
    if (per === undefined || !Number.isInteger(n) || n <= 0) c.fail();
    const interval: QuotaInterval = { seconds: n * per, label: `${n} ${unit}` };
    c.expect(" MAX ");
    do {
      const at = c.at;
      const kind = c.ident();
      c.expect(" = ");
      const value = c.number();
      if (kind === "queries" && Number.isInteger(value) && interval.maxQueries === undefined) interval.maxQueries = value;
      else if (kind === "execution_time" && interval.maxExecutionTime === undefined) interval.maxExecutionTime = value;
      else {
        c.at = at;
        c.fail();
      }
    } while (!c.text.startsWith(", FOR ", c.at) && c.take(", "));
    out.push(interval);
  } while (c.take(", "));
  return out;
}

/** The grant target `db.*`, `db.table` or `table` (current database). */
function grantTarget(c: Canonical): { database: string | undefined; table: string | undefined } {
  const first = c.ident();
  if (!c.take(".")) return { database: undefined, table: first };
  if (c.take("*")) return { database: first, table: undefined };
  return { database: first, table: c.ident() };
}

/** Reads one access statement in canonical form; throws NOT_IMPLEMENTED outside the subset. */
export function parseAccessStatement(canonical: string): AccessCommand {
  const c = new Canonical(canonical);
  if (c.take("CREATE SETTINGS PROFILE")) {
    const mode = c.createMode();
    c.expect(" ");
    const names = c.identList();
    const settings = c.take(" SETTINGS ") ? profileSettings(c) : [];
    c.end();
    return { kind: "create-profile", names, mode, settings };
  }
  if (c.take("DROP SETTINGS PROFILE")) {
    const ifExists = c.take(" IF EXISTS");
    c.expect(" ");
    const names = c.identList();
    c.end();
    return { kind: "drop-profile", names, ifExists };
  }
  if (c.take("CREATE USER")) {
    const mode = c.createMode();
    c.expect(" ");
    const names = c.identList();
    return { kind: "create-user", names, mode, options: userOptions(c, false) };
  }
  if (c.take("ALTER USER")) {
    const ifExists = c.take(" IF EXISTS");
    c.expect(" ");
    const names = c.identList();
    return { kind: "alter-user", names, ifExists, options: userOptions(c, true) };
  }
  if (c.take("DROP USER")) {
    const ifExists = c.take(" IF EXISTS");
    c.expect(" ");
    const names = c.identList();
    c.end();
    return { kind: "drop-user", names, ifExists };
  }
  if (c.take("GRANT SELECT ON ") || c.take("REVOKE SELECT ON ")) {
    const kind = canonical.startsWith("GRANT") ? "grant" : "revoke";
    const target = grantTarget(c);
    c.expect(kind === "grant" ? " TO " : " FROM ");
    const users = c.identList();
    c.end();
    return { kind, ...target, users };
  }
  if (c.take("CREATE QUOTA")) {
    const mode = c.createMode();
    c.expect(" ");
    const names = c.identList();
    c.take(" NOT KEYED");
    c.expect(" ");
    const intervals = quotaIntervals(c);
    const to = c.take(" TO ") ? c.identList() : [];
    if (to.some((u) => u === "ALL" || u === "CURRENT_USER")) c.fail();
    c.end();
    return { kind: "create-quota", names, mode, intervals, to };
  }
  if (c.take("DROP QUOTA")) {
    const ifExists = c.take(" IF EXISTS");
    c.expect(" ");
    const names = c.identList();
    c.end();
    return { kind: "drop-quota", names, ifExists };
  }
  if (c.take("SHOW USERS")) {
    const format = c.format();
    c.end();
    return { kind: "show-users", format };
  }
  if (c.take("SHOW GRANTS")) {
    const user = c.take(" FOR ") ? c.ident() : undefined;
    const format = c.format();
    c.end();
    return { kind: "show-grants", user, format };
  }
  if (c.take("KILL QUERY WHERE query_id = ")) {
    const queryId = c.string();
    let sync = false;
    if (c.take(" SYNC")) sync = true;
    else c.take(" ASYNC");
    const test = c.take(" TEST");
    const format = c.format();
    c.end();
    return { kind: "kill-query", queryId, sync, test, format };
  }
  return c.fail();
}
