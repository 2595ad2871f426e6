/**
 * @module clickhouse/access
 * ClickHouse access, all of it: Tern's admin client, each workspace's reader
 * (`workspace-users.ts`), the read guard (`read-guard.ts`) and `KILL QUERY`.
 * Every call goes through @clickhouse/client-web with the `fetch` given here
 * (the runtime's own by default): role tests in Node hand in the real `fetch`,
 * wrapped to count calls or to fail on demand.
 *
 * One access per connection settings and `fetch`, kept per isolate: its
 * clients hold no sockets (client-web uses fetch per call), so requests share
 * them, and group commit (`ingest/group-insert.ts`) finds the same admin
 * client for every request.
 */
import { createClient, type ClickHouseClient } from "@clickhouse/client-web";
import type { Config } from "../env.js";
import { isolateCache, type IsolateCache } from "../platform/caches.js";
import { canonicalSql, ensureSandbox, guardRead, SANDBOX_DATABASE, type ReadShape, type VerdictSource } from "./read-guard.js";
import { provisionReader, type ReaderLimits } from "./workspace-users.js";
import { fromClickHouse } from "./errors.js";
import { quoteString } from "../../shared/sql/ddl/index.js";

/** The checks every read a caller's SQL reaches passes first (docs/security.md, layers 3-5). */
export interface ReadGuard {
  /** Throws a 400/403 TernError unless ClickHouse's parse of `sql` shows one read confined to `database`. */
  check(sql: string, database: string, params?: Record<string, string>, shape?: ReadShape): Promise<VerdictSource>;
  /** The statement as ClickHouse re-prints it (comments dropped, one quoting style). */
  canonical(sql: string): Promise<string>;
  /** Makes sure the empty database reads run in exists. */
  sandbox(): Promise<void>;
}

export interface ClickHouseAccess {
  /** Tern's own user: DDL, inserts, service tables, the guard's parses, KILL. Never a caller's SQL. */
  readonly admin: ClickHouseClient;
  /**
   * Tern's own user in the empty sandbox database, without the admin client's
   * 30 s request timeout: the long statement of a copy or sink job, whose SQL
   * passed the read guard first (a table name the rewriter did not qualify
   * resolves in the empty database, as for reads). The job's `query_id` and
   * cancel bound it instead.
   */
  readonly jobs: ClickHouseClient;
  /**
   * The client a workspace's reads go through: its own ClickHouse user when
   * CLICKHOUSE_WORKSPACE_USERS is on (created on first use), else the admin
   * user; either way in the empty sandbox database.
   */
  readerFor(workspaceId: string, database: string, limits?: ReaderLimits): Promise<ClickHouseClient>;
  /** Forgets a deleted workspace's reader. */
  forgetReader(database: string): void;
  readonly guard: ReadGuard;
  /** Cancels a query by its id, asynchronously in ClickHouse. */
  kill(queryId: string): Promise<void>;
}

/** Settings of every client: Tinybird answers 64-bit integers as JSON numbers; ask ClickHouse for the same. */
const CLIENT_SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;
const REQUEST_TIMEOUT_MS = 30_000;
/** A job's statement may run this long before the client gives up on it (its cancel stops it sooner). */
const JOB_REQUEST_TIMEOUT_MS = 6 * 3600_000;

type Fetch = typeof globalThis.fetch;

function client(
  config: Config, fetch: Fetch | undefined, login: { username: string; password: string }, database?: string, timeoutMs = REQUEST_TIMEOUT_MS,
): ClickHouseClient {
  return createClient({
    url: config.clickhouse.url,
    ...login,
    ...(database ? { database } : {}),
    ...(fetch ? { fetch } : {}),
    request_timeout: timeoutMs,
    clickhouse_settings: CLIENT_SETTINGS,
  });
}

function readerLimits(config: Config): ReaderLimits {
  const { queryTimeoutSeconds, maxResultBytes, workspaceConcurrency } = config.reads;
  return { queryTimeoutSeconds, maxResultBytes, concurrency: workspaceConcurrency };
}

function createAccess(config: Config, fetch: Fetch | undefined): ClickHouseAccess {
  const { username, password } = config.clickhouse;
  const admin = client(config, fetch, { username, password });
  const readers: IsolateCache<{ limits: string; client: Promise<ClickHouseClient> }> = isolateCache("readers");
  let sandboxReader: ClickHouseClient | undefined;
  let jobs: ClickHouseClient | undefined;
  return {
    admin,
    get jobs() {
      jobs ??= client(config, fetch, { username, password }, SANDBOX_DATABASE, JOB_REQUEST_TIMEOUT_MS);
      return jobs;
    },
    readerFor(workspaceId, database, limits = readerLimits(config)) {
      if (config.clickhouse.workspaceUsers === "off") {
        sandboxReader ??= client(config, fetch, { username, password }, SANDBOX_DATABASE);
        return Promise.resolve(sandboxReader);
      }
      const key = `${limits.queryTimeoutSeconds}\u0000${limits.maxResultBytes}\u0000${limits.concurrency}`;
      const hit = readers.get(database);
      if (hit?.limits === key) return hit.client;
      const made = provisionReader(admin, config, workspaceId, database, limits).then((login) => client(config, fetch, login, SANDBOX_DATABASE));
      const entry = { limits: key, client: made };
      made.catch(() => {
        if (readers.get(database) === entry) readers.delete(database); // provision again on the next read
      });
      readers.set(database, entry);
      return made;
    },
    forgetReader(database) {
      readers.delete(database);
    },
    guard: {
      check: (sql, database, params, shape) => guardRead(admin, sql, database, params, shape),
      canonical: (sql) => canonicalSql(admin, sql),
      sandbox: () => ensureSandbox(admin),
    },
    async kill(queryId) {
      try {
        // A literal, not a query parameter: the local engine's server reads KILL's query id as a string literal only.
        await admin.command({ query: `KILL QUERY WHERE query_id = ${quoteString(queryId)} ASYNC` });
      } catch (e) {
        throw fromClickHouse(e);
      }
    },
  };
}

/** Accesses made with the runtime's own fetch, and per injected fetch. */
const accesses = isolateCache<ClickHouseAccess>("clickhouseAccess");
const accessesByFetch = new WeakMap<Fetch, IsolateCache<ClickHouseAccess>>();

/** The ClickHouse access for `config`, through `fetch` (default: the runtime's). */
export function clickhouseAccess(config: Config, fetch?: Fetch): ClickHouseAccess {
  let cache = accesses;
  if (fetch) {
    cache = accessesByFetch.get(fetch) ?? isolateCache("clickhouseAccess");
    accessesByFetch.set(fetch, cache);
  }
  const { url, username, password, workspaceUsers, readerSecret } = config.clickhouse;
  // Everything the access reads from `config`: the login, how readers are made, and the read limits their profile carries.
  const key = JSON.stringify([url, username, password, workspaceUsers, readerSecret ?? null, config.credentials?.signingSecret ?? null, config.reads]);
  return cache.get(key) ?? cache.set(key, createAccess(config, fetch));
}
