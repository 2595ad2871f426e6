/**
 * Facts about the engine the access checks need, read from the engine once at
 * startup: every setting's default and aliases (system.settings, with
 * --compat applied) and the built-in functions (system.functions);
 * user-defined functions are looked up when a statement calls a function that
 * is not built in.
 */
import type { Engine } from "./engine.js";
import type { FunctionCatalog } from "./read-access.js";

export interface SettingCatalog {
  /** The engine's default value of every setting, aliases included. */
  defaults: ReadonlyMap<string, string>;
  /** The name a setting is known by (`max_insert_block_size_rows` -> `max_insert_block_size`). */
  canonical(name: string): string;
}

async function rows(engine: Engine, args: string[], sql: string): Promise<string[][]> {
  const conn = engine.connect(args);
  try {
    const r = await conn.query(sql, "JSONCompactEachRow");
    return Buffer.from(r.bytes)
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as string[]);
  } finally {
    await conn.close();
  }
}

export async function settingCatalog(engine: Engine, args: string[]): Promise<SettingCatalog> {
  const all = await rows(engine, args, "SELECT name, value, alias_for FROM system.settings");
  const defaults = new Map(all.map(([n, v]) => [n!, v!]));
  const aliases = new Map(all.filter(([, , a]) => a !== "").map(([n, , a]) => [n!, a!]));
  return { defaults, canonical: (name) => aliases.get(name) ?? name };
}

/** User-defined functions change only through DDL; a second-old list is fresh enough to refuse them. */
const UDF_TTL_MS = 1000;

export async function functionCatalog(engine: Engine): Promise<FunctionCatalog> {
  const all = await rows(engine, [], "SELECT name, toString(case_insensitive) FROM system.functions WHERE origin = 'System'");
  const builtin = new Set(all.map(([n]) => n!));
  const builtinCaseInsensitive = new Set(all.filter(([, ci]) => ci === "1").map(([n]) => n!.toLowerCase()));
  let cached: { at: number; names: Promise<Set<string>> } | undefined;
  return {
    builtin,
    builtinCaseInsensitive,
    userDefined() {
      const now = Date.now();
      if (!cached || now - cached.at > UDF_TTL_MS) {
        const names = rows(engine, [], "SELECT name FROM system.functions WHERE origin != 'System'").then((r) => new Set(r.map(([n]) => n!)));
        cached = { at: now, names };
        names.catch(() => (cached = undefined));
      }
      return cached.names;
    },
  };
}
