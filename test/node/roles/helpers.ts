/**
 * Role functions in Node, without workerd: a platform whose ClickHouse is the
 * test run's real local server, reached through the real `fetch`, wrapped to
 * record each call and to fail the calls a test picks. Bindings the roles
 * under test do not use are absent (the platform throws if one is reached);
 * rate-limit buckets live in this process (`localBuckets`).
 */
import { afterAll, beforeAll, inject } from "vitest";
import { readConfig, type Vars } from "../../../workers/env.js";
import { createPlatform, type Platform } from "../../../workers/platform/platform.js";
import { localBuckets } from "../../../workers/ratelimit/buckets.js";
import { workspaceDatabase, type LiveDeployment } from "../../../workers/catalog/client.js";
import { applyPlan } from "../../../workers/deploy/apply.js";
import { dropReaderStatements } from "../../../workers/clickhouse/workspace-users.js";
import type { Principal } from "../../../workers/auth/principal.js";
import { loadProject } from "../../../shared/deploy/project.js";
import { planDeployment } from "../../../shared/deploy/plan.js";
import { quoteIdentifier, quoteQualifiedName } from "../../../shared/sql/ddl/index.js";
import type { Scope } from "../../../shared/tokens/scopes.js";

/** One call the injected fetch carried: where to, and the SQL it sent (URL `query=` or the body). */
export interface Call {
  url: URL;
  sql: string;
}

/**
 * The real `fetch`, recording every call. `failWhen(call)` decides per call:
 * "before" throws without sending (ClickHouse never sees it), "after" sends it
 * and then throws as if the answer was lost on the way back; `holdWhen(call)`
 * delays a call until the promise it returns settles.
 */
export class ClickHouseFetch {
  readonly calls: Call[] = [];
  /** false: calls are not kept (a test that measures memory must not hold every insert's body). */
  record = true;
  failWhen: (call: Call) => "before" | "after" | undefined = () => undefined;
  /** A promise to wait for before sending the call (it is recorded at once), or undefined to send it now. */
  holdWhen: (call: Call) => Promise<void> | undefined = () => undefined;

  readonly fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const body = typeof init?.body === "string" ? init.body : "";
    const call = { url, sql: url.searchParams.get("query") ?? body };
    if (this.record) this.calls.push(call);
    await this.holdWhen(call);
    const fault = this.failWhen(call);
    if (fault === "before") throw new TypeError("fetch failed: connection refused (injected)");
    const res = await fetch(input, init);
    if (fault === "after") {
      await res.body?.cancel();
      throw new TypeError("fetch failed: connection reset after the request was sent (injected)");
    }
    return res;
  };

  /** Calls that ran the caller's read: the request id is their ClickHouse query id. */
  readsOf(requestId: string): Call[] {
    return this.calls.filter((c) => c.url.searchParams.get("query_id") === requestId);
  }
}

/** The Worker's vars for the test run's ClickHouse. */
export function clickhouseVars(more: Vars = {}): Vars {
  return {
    TERN_MODE: "local",
    CLICKHOUSE_URL: inject("clickhouseUrl"),
    CLICKHOUSE_USER: inject("clickhouseUser"),
    CLICKHOUSE_PASSWORD: inject("clickhousePassword"),
    ...more,
  };
}

/** A platform for one call, and a way to wait for what it left running (stats, ops log). */
export interface TestPlatform {
  platform: Platform;
  /** Resolves once every promise handed to `waitUntil` has settled. */
  settled(): Promise<void>;
}

const buckets = localBuckets();

export function nodePlatform(ch: ClickHouseFetch, options: { requestId?: string; vars?: Vars } = {}): TestPlatform {
  const pending: Promise<unknown>[] = [];
  const platform = createPlatform({
    config: readConfig(clickhouseVars(options.vars)),
    requestId: options.requestId ?? crypto.randomUUID(),
    waitUntil: (work) => void pending.push(work),
    fetch: ch.fetch,
    buckets,
  });
  return {
    platform,
    async settled() {
      // Work may schedule more work (a batched write's flush): wait until nothing new arrives.
      for (let seen = 0; seen < pending.length; ) {
        seen = pending.length;
        await Promise.allSettled(pending);
      }
    },
  };
}

/** A caller of `workspaceId` with `scopes` (default ADMIN). */
export function principal(workspaceId: string, scopes: Scope[] = [{ type: "ADMIN" }], more: Partial<Principal> = {}): Principal {
  return { kind: "static", workspaceId, tokenName: "role test", token: "p.role-test", scopes, ...more };
}

/**
 * A workspace whose project, given as datafile text, is planned by
 * `shared/deploy` and built in ClickHouse (`applyPlan`, as a deploy does):
 * its live deployment, as the catalog would hand it to a role.
 */
export async function deployWorkspace(platform: Platform, files: Record<string, string>): Promise<{ workspaceId: string; live: LiveDeployment }> {
  const workspaceId = crypto.randomUUID();
  const database = workspaceDatabase(workspaceId);
  const loaded = loadProject(Object.entries(files).map(([name, text]) => ({ name, text })));
  if (!loaded.ok) throw new Error(`the project does not load: ${JSON.stringify(loaded.errors)}`);
  const planned = planDeployment({ project: loaded.project, database, tag: "t1" });
  if (!planned.ok) throw new Error(`the project does not plan: ${JSON.stringify(planned.errors)}`);
  await applyPlan(platform.clickhouse.admin, planned.plan, { database, allowDestructive: true, workspaceId });
  return { workspaceId, live: { id: "1", manifest: planned.plan.manifest, since: new Date().toISOString() } };
}

/** Drops what `deployWorkspace` and the reads made: the database and the workspace's reader. */
export async function dropWorkspace(platform: Platform, live: LiveDeployment): Promise<void> {
  const admin = platform.clickhouse.admin;
  await admin.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(live.manifest.database)}` });
  for (const query of dropReaderStatements(live.manifest.database)) await admin.command({ query });
}

/** The `events` datasource of a workspace deployed for a test file: its physical names. */
export interface EventsWorkspace {
  workspaceId: string;
  live: LiveDeployment;
  /** `db.table` of the datasource and of its quarantine. */
  table: string;
  quarantine: string;
  /** How the inserts name the datasource's table (`INSERT INTO `db`.`t` `). */
  insertInto: string;
}

/** Deploys `files` before the file's tests (handing its names to `use`) and drops it after them. */
export function eventsWorkspace(ch: ClickHouseFetch, files: Record<string, string>, use: (ws: EventsWorkspace) => void): void {
  let live: LiveDeployment | undefined;
  beforeAll(async () => {
    const deployed = await deployWorkspace(nodePlatform(ch).platform, files);
    live = deployed.live;
    const { database, datasources } = live.manifest;
    use({
      workspaceId: deployed.workspaceId,
      live,
      table: `${database}.${datasources.events!.table}`,
      quarantine: `${database}.${datasources.events!.quarantineTable}`,
      insertInto: `INSERT INTO ${quoteQualifiedName(database, datasources.events!.table)} `,
    });
  });
  afterAll(async () => {
    if (live) await dropWorkspace(nodePlatform(ch).platform, live);
  });
}

/** Rows of a SELECT run with the admin client. */
export async function rows<T>(platform: Platform, query: string): Promise<T[]> {
  return (await platform.clickhouse.admin.query({ query, format: "JSONEachRow" })).json<T>();
}

/** A response's JSON `data`. */
export async function data(res: Response): Promise<unknown[]> {
  return ((await res.json()) as { data: unknown[] }).data;
}
