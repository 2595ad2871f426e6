/**
 * Runs the access-management statements of access-sql.ts for the admin user:
 * changes to the access store, SHOW USERS / SHOW GRANTS answers, and
 * KILL QUERY. Errors carry ClickHouse's codes and messages for the same
 * situations (an entity that exists, or does not).
 */
import type { AccessCommand, CreateMode } from "./access-sql.js";
import { hashPassword, type AccessData, type AccessStore, type Grant } from "./access-store.js";
import { ClickHouseException, Codes } from "./errors.js";
import type { EngineParser } from "./parser.js";
import { queryWasCancelled, type RunningQueries } from "./running.js";
import { quoteString } from "./sql.js";

export interface AdminContext {
  store: AccessStore;
  parser: EngineParser;
  running: RunningQueries;
  adminUser: string;
}

export interface StatementContext {
  /** The admin request's database (for `GRANT SELECT ON t`). */
  database: string;
  /** The request's format when the statement names none. */
  defaultFormat: string;
  /** The request's own query id (KILL QUERY never kills itself). */
  queryId: string;
}

/** An answer with rows, already in its output format. */
export interface Answer {
  bytes: Uint8Array;
  format: string;
}

const STORAGE = "`local_directory`";

function backQuoteIfNeed(s: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `\`${s.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

function backQuote(s: string): string {
  return `\`${s.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

function alreadyExists(type: string, name: string): ClickHouseException {
  return new ClickHouseException(
    Codes.ACCESS_ENTITY_ALREADY_EXISTS,
    `${type} ${backQuote(name)}: cannot insert because ${type} ${backQuote(name)} already exists in ${STORAGE}`,
  );
}

export function noUser(name: string): ClickHouseException {
  return new ClickHouseException(Codes.UNKNOWN_USER, `There is no user ${backQuote(name)} in \`user directories\``);
}

function noProfile(name: string): ClickHouseException {
  return new ClickHouseException(Codes.THERE_IS_NO_PROFILE, `There is no settings profile ${backQuote(name)} in \`user directories\``);
}

function noQuota(name: string): ClickHouseException {
  return new ClickHouseException(Codes.UNKNOWN_QUOTA, `There is no quota ${backQuote(name)} in \`user directories\``);
}

/** Inserts or replaces a named entity according to CREATE's mode. */
function put<T extends { name: string }>(list: T[], entity: T, mode: CreateMode, type: string): void {
  const i = list.findIndex((e) => e.name === entity.name);
  if (i < 0) list.push(entity);
  else if (mode === "or-replace") list[i] = entity;
  else if (mode === "create") throw alreadyExists(type, entity.name);
}

function requireUsers(data: AccessData, names: string[]): void {
  for (const n of names) if (!data.users.some((u) => u.name === n)) throw noUser(n);
}

/** Asks the engine to accept every value and bound, so a profile never holds a setting the engine would refuse. */
async function validateProfileSettings(parser: EngineParser, cmd: Extract<AccessCommand, { kind: "create-profile" }>): Promise<void> {
  for (const s of cmd.settings) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.name)) throw new ClickHouseException(Codes.UNKNOWN_SETTING, `Unknown setting '${s.name}'`);
    for (const v of [s.value, s.min, s.max]) if (v !== undefined) await parser.query(`SET ${s.name} = ${v}`, "TabSeparated");
    if (s.value === undefined) await parser.query(`SELECT getSetting(${quoteString(s.name)})`, "TabSeparated");
  }
}

/** Rows answered in the requested format by the engine itself (so every output format works). */
async function rows(parser: EngineParser, columns: string[], values: string[][], format: string): Promise<Answer> {
  const structure = columns.map((c) => `${backQuote(c)} String`).join(", ");
  const tuples = (values.length > 0 ? values : [columns.map(() => "")]).map((r) => `(${r.map(quoteString).join(", ")})`);
  const where = values.length > 0 ? "" : " WHERE 0";
  const bytes = await parser.query(`SELECT * FROM values(${quoteString(structure)}, ${tuples.join(", ")})${where} FORMAT ${backQuote(format)}`, format);
  return { bytes, format };
}

function grantLine(g: Grant, user: string): string {
  return `GRANT SELECT ON ${backQuoteIfNeed(g.database)}.${g.table === undefined ? "*" : backQuoteIfNeed(g.table)} TO ${backQuoteIfNeed(user)}`;
}

/** Runs one access statement for the admin; returns the rows it answers, if any. */
export async function runAccessCommand(ctx: AdminContext, cmd: AccessCommand, sc: StatementContext): Promise<Answer | undefined> {
  const { store } = ctx;
  switch (cmd.kind) {
    case "create-profile": {
      await validateProfileSettings(ctx.parser, cmd);
      await store.update((d) => {
        for (const name of cmd.names) put(d.profiles, { name, settings: cmd.settings }, cmd.mode, "settings profile");
      });
      return undefined;
    }
    case "drop-profile":
      await store.update((d) => {
        for (const name of cmd.names) {
          const i = d.profiles.findIndex((p) => p.name === name);
          if (i < 0) {
            if (cmd.ifExists) continue;
            throw noProfile(name);
          }
          d.profiles.splice(i, 1);
          for (const u of d.users) if (u.profile === name) delete u.profile;
        }
      });
      return undefined;
    case "create-user": {
      const { password, defaultDatabase, profile } = cmd.options;
      if (password === undefined) {
        throw new ClickHouseException(Codes.NOT_IMPLEMENTED, "Users without a password are not supported by this server: add IDENTIFIED BY 'password'");
      }
      await store.update((d) => {
        if (profile && !d.profiles.some((p) => p.name === profile)) throw noProfile(profile);
        for (const name of cmd.names) {
          if (name === ctx.adminUser) throw new ClickHouseException(Codes.ACCESS_ENTITY_ALREADY_EXISTS, `user ${backQuote(name)}: cannot insert because user ${backQuote(name)} already exists in \`users_xml\``);
          put(
            d.users,
            {
              name,
              auth: hashPassword(password),
              ...(defaultDatabase ? { defaultDatabase } : {}),
              ...(profile ? { profile } : {}),
              grants: [],
            },
            cmd.mode,
            "user",
          );
        }
      });
      return undefined;
    }
    case "alter-user": {
      const { password, defaultDatabase, profile } = cmd.options;
      await store.update((d) => {
        if (profile && !d.profiles.some((p) => p.name === profile)) throw noProfile(profile);
        for (const name of cmd.names) {
          const u = d.users.find((x) => x.name === name);
          if (!u) {
            if (cmd.ifExists) continue;
            throw noUser(name);
          }
          if (password !== undefined) u.auth = hashPassword(password);
          if (defaultDatabase === null) delete u.defaultDatabase;
          else if (defaultDatabase !== undefined) u.defaultDatabase = defaultDatabase;
          if (profile === null) delete u.profile;
          else if (profile !== undefined) u.profile = profile;
        }
      });
      return undefined;
    }
    case "drop-user":
      await store.update((d) => {
        for (const name of cmd.names) {
          const i = d.users.findIndex((u) => u.name === name);
          if (i < 0) {
            if (cmd.ifExists) continue;
            throw noUser(name);
          }
          d.users.splice(i, 1);
          for (const q of d.quotas) q.to = q.to.filter((t) => t !== name);
        }
      });
      return undefined;
    case "grant":
    case "revoke": {
      const database = cmd.database ?? sc.database;
      const table = cmd.table;
      await store.update((d) => {
        requireUsers(d, cmd.users);
        for (const u of d.users.filter((x) => cmd.users.includes(x.name))) {
          if (cmd.kind === "grant") {
            const covered = u.grants.some((g) => g.database === database && (g.table === undefined || g.table === table));
            if (!covered) {
              // A database-wide grant takes in the table grants it covers.
              if (table === undefined) u.grants = u.grants.filter((g) => g.database !== database);
              u.grants.push(table === undefined ? { database } : { database, table });
            }
          } else if (table === undefined) {
            u.grants = u.grants.filter((g) => g.database !== database);
          } else {
            if (u.grants.some((g) => g.database === database && g.table === undefined)) {
              throw new ClickHouseException(
                Codes.NOT_IMPLEMENTED,
                `Partial revokes are not supported by this server: ${backQuoteIfNeed(u.name)} has SELECT on ${backQuoteIfNeed(database)}.*; revoke that and grant the tables one by one`,
              );
            }
            u.grants = u.grants.filter((g) => !(g.database === database && g.table === table));
          }
        }
      });
      return undefined;
    }
    case "create-quota":
      await store.update((d) => {
        requireUsers(d, cmd.to);
        for (const name of cmd.names) put(d.quotas, { name, intervals: cmd.intervals, to: cmd.to }, cmd.mode, "quota");
      });
      return undefined;
    case "drop-quota":
      await store.update((d) => {
        for (const name of cmd.names) {
          const i = d.quotas.findIndex((q) => q.name === name);
          if (i < 0) {
            if (cmd.ifExists) continue;
            throw noQuota(name);
          }
          d.quotas.splice(i, 1);
        }
      });
      return undefined;
    case "show-users": {
      const names = [ctx.adminUser, ...store.data.users.map((u) => u.name)].sort();
      return rows(ctx.parser, ["name"], names.map((n) => [n]), cmd.format ?? sc.defaultFormat);
    }
    case "show-grants": {
      const name = cmd.user ?? ctx.adminUser;
      const format = cmd.format ?? sc.defaultFormat;
      const column = `GRANTS FOR ${backQuoteIfNeed(name)}`;
      if (name === ctx.adminUser) return rows(ctx.parser, [column], [[`GRANT ALL ON *.* TO ${backQuoteIfNeed(name)} WITH GRANT OPTION`]], format);
      const u = store.user(name);
      if (!u) throw noUser(name);
      return rows(ctx.parser, [column], u.grants.map((g) => [grantLine(g, name)]), format);
    }
    case "kill-query": {
      const target = ctx.running.get(cmd.queryId);
      // No such query: ClickHouse answers with no block at all.
      if (!target || target.queryId === sc.queryId) return { bytes: new Uint8Array(0), format: cmd.format ?? sc.defaultFormat };
      let status: string;
      if (cmd.test) status = "unknown_status";
      else {
        target.cancel(queryWasCancelled());
        if (cmd.sync) {
          await target.finished;
          status = "finished";
        } else status = "waiting";
      }
      return rows(ctx.parser, ["kill_status", "query_id", "user", "query"], [[status, target.queryId, target.user, target.query]], cmd.format ?? sc.defaultFormat);
    }
  }
}
