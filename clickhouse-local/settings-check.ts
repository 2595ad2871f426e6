/**
 * Settings for a restricted user's request: the profile's settings, then the
 * URL's, each URL setting checked against the profile's constraints the way
 * ClickHouse's SettingsConstraints does (unchanged values pass; readonly=1
 * allows only CHANGEABLE_IN_READONLY settings; readonly=2 forbids changing
 * `readonly`; CONST, MIN and MAX), with ClickHouse's messages and codes
 * (452 SETTING_CONSTRAINT_VIOLATION, 164 READONLY).
 *
 * The request's connection then gets `readonly = 1` last, so that SETTINGS or
 * SET inside the statement cannot lift a limit: the engine refuses any change
 * in readonly mode. A real server with `readonly = 2` (or 0) would instead
 * check such in-query changes against the constraints; here they are refused.
 */
import type { Profile, ProfileSetting } from "./access-store.js";
import { literalValue } from "./access-sql.js";
import type { SettingCatalog } from "./engine-catalog.js";
import { ClickHouseException, Codes } from "./errors.js";
import { quoteString } from "./sql.js";

/**
 * Settings that name files on the server (Template and schema-based formats
 * read them, `output_format_schema` writes one): never changeable by a
 * restricted user, as if their profile made them CONST.
 */
const FILE_SETTINGS = new Set(["format_template_resultset", "format_template_row", "format_schema", "format_schema_source", "output_format_schema"]);

/**
 * Limits the engine applies to its one user, i.e. to every connection of this
 * server at once (chDB has no per-connection users): forwarding one user's
 * value would limit everyone, the admin included. They stay out of the
 * connection's SET; max_concurrent_queries_for_user is enforced by the server
 * itself (restricted.ts), the others are not enforced locally.
 */
const ENGINE_WIDE = /_for_(?:user|all_users)$/;

type Comparable = number | string;

function comparable(v: string): Comparable {
  const t = v.trim().toLowerCase();
  if (t === "true") return 1;
  if (t === "false") return 0;
  const n = Number(t);
  return t !== "" && Number.isFinite(n) ? n : v;
}

function same(a: string, b: string): boolean {
  if (a === b) return true;
  const x = comparable(a);
  const y = comparable(b);
  return typeof x === "number" && typeof y === "number" && x === y;
}

function less(a: string, b: string): boolean {
  const x = comparable(a);
  const y = comparable(b);
  if (typeof x === "number" && typeof y === "number") return x < y;
  return String(x) < String(y);
}

/** A bound as ClickHouse prints it in the message (numbers bare, strings quoted). */
function shown(literal: string): string {
  const c = comparable(literalValue(literal));
  return typeof c === "number" ? String(c) : literal;
}

function violation(message: string): ClickHouseException {
  return new ClickHouseException(Codes.SETTING_CONSTRAINT_VIOLATION, message);
}

function readonlyError(name: string): ClickHouseException {
  return new ClickHouseException(Codes.READONLY, `Cannot modify '${name}' setting in readonly mode`);
}

export interface CheckedSettings {
  /** `name = literal` items for the connection's SET, profile first, readonly last. */
  assignments: string[];
  /** Effective value of a setting for this request (URL, else profile, else engine default). */
  value(name: string): string | undefined;
}

/**
 * Checks the URL settings of a restricted user's request and returns what the
 * connection must be set to. Names are compared by the setting they stand
 * for, so an alias cannot slip past a constraint on the setting's own name.
 */
export function checkSettings(profile: Profile | undefined, url: Record<string, string>, catalog: SettingCatalog, method: string): CheckedSettings {
  const { defaults } = catalog;
  const profileSettings = new Map<string, ProfileSetting>((profile?.settings ?? []).map((s) => [catalog.canonical(s.name), s]));
  const current = (name: string): string | undefined => {
    const p = profileSettings.get(name);
    return p?.value !== undefined ? literalValue(p.value) : defaults.get(name);
  };
  let readonly = Number(comparable(current("readonly") ?? "0")) || 0;
  // ClickHouse runs GET requests with readonly=2 unless the user is stricter.
  if (method === "GET" && readonly === 0) readonly = 2;

  const changed = new Map<string, string>();
  for (const [given, value] of Object.entries(url)) {
    if (!defaults.has(given) && !given.startsWith("SQL_")) {
      throw new ClickHouseException(
        Codes.UNKNOWN_SETTING,
        `Setting ${given} is neither a builtin setting nor started with the prefix 'SQL_' registered for user-defined settings`,
      );
    }
    const name = catalog.canonical(given);
    const now = current(name);
    if (now !== undefined && same(value, now)) continue;
    if (readonly > 1 && name === "readonly") throw readonlyError(name);
    const constraint = profileSettings.get(name);
    const writability = FILE_SETTINGS.has(name) ? "CONST" : constraint?.writability;
    if (readonly === 1 && writability !== "CHANGEABLE_IN_READONLY") throw readonlyError(name);
    if (writability === "CONST") throw violation(`Setting ${name} should not be changed`);
    if (constraint) {
      const { min, max } = constraint;
      if (min !== undefined && max !== undefined && less(literalValue(max), literalValue(min))) throw violation(`Setting ${name} should not be changed`);
      if (min !== undefined && less(value, literalValue(min))) throw violation(`Setting ${name} shouldn't be less than ${shown(min)}`);
      if (max !== undefined && less(literalValue(max), value)) throw violation(`Setting ${name} shouldn't be greater than ${shown(max)}`);
    }
    changed.set(name, value);
  }

  const assignments: string[] = [];
  const forwarded = (name: string) => name !== "readonly" && !ENGINE_WIDE.test(name);
  for (const s of profile?.settings ?? []) {
    if (s.value !== undefined && forwarded(catalog.canonical(s.name))) assignments.push(`${s.name} = ${s.value}`);
  }
  for (const [name, value] of changed) if (forwarded(name)) assignments.push(`${name} = ${quoteString(value)}`);
  assignments.push("readonly = 1");
  return {
    assignments,
    value: (name) => {
      const c = catalog.canonical(name);
      return changed.get(c) ?? current(c);
    },
  };
}
