/**
 * @module datasources/describe
 * `GET /v0/datasources[/name]`: datasources as Tinybird's API shows them
 * (`schema.columns`, `engine`, `statistics`), which `tinybird init/pull` read,
 * with row and byte counts from ClickHouse; or one datasource's datafile text.
 */
import type { ManifestDatasource } from "../../shared/deploy/manifest.js";
import { authorize } from "../../shared/tokens/scopes.js";
import { ensureAllowed } from "../auth/require.js";
import type { Principal } from "../auth/principal.js";
import type { LiveDeployment } from "../catalog/client.js";
import type { Platform } from "../platform/platform.js";
import { liveDatasource } from "../write/target.js";

/** Tinybird's `YYYY-MM-DD HH:MM:SS.ffffff` (UTC), which `tb datasource ls` cuts to the second. */
function tinybirdTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace("T", " ")}.${String(d.getUTCMilliseconds()).padStart(3, "0")}000`;
}

/**
 * `times`: the live deployment's `created_at` and `updated_at`, shown as the
 * datasource's (Tinybird's CLI sorts and prints them).
 */
export function describeDatasource(ds: ManifestDatasource, stats?: { rows: number; bytes: number }, times?: { created_at: string; updated_at: string }) {
  const f = ds.file;
  const engine: Record<string, unknown> = { engine: f.engine.type };
  if ("sortingKey" in f.engine) {
    engine.sorting_key = f.engine.sortingKey ?? "";
    engine.partition_key = f.engine.partitionKey ?? "";
    engine.primary_key = f.engine.primaryKey ?? "";
    engine.ttl = f.engine.ttl ?? "";
  }
  return {
    id: ds.name,
    name: ds.name,
    description: f.description ?? "",
    type: f.kafka ? "kafka" : f.import ? "s3" : "ndjson",
    schema: {
      columns: f.columns.map((c) => ({
        name: c.name,
        type: c.type,
        nullable: c.nullable,
        default_value: c.default ?? null,
        jsonpath: c.jsonPath ?? null,
        codec: c.codec ?? null,
      })),
    },
    engine,
    ttl: "ttl" in f.engine ? (f.engine.ttl ?? "") : "",
    forward_query: f.forwardQuery ?? null,
    tags: f.tags,
    statistics: stats ? { row_count: stats.rows, bytes: stats.bytes } : undefined,
    ...(times ? { created_at: tinybirdTime(times.created_at), updated_at: tinybirdTime(times.updated_at) } : {}),
  };
}

/** Rows and bytes of physical tables, from ClickHouse's `system.tables` (admin user). */
async function tableStats(platform: Platform, database: string, tables: string[]): Promise<Map<string, { rows: number; bytes: number }>> {
  const out = new Map<string, { rows: number; bytes: number }>();
  if (tables.length === 0) return out;
  const rs = await platform.clickhouse.admin.query({
    query: `SELECT name, total_rows, total_bytes FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}`,
    query_params: { db: database, names: tables },
    format: "JSONEachRow",
  });
  for (const r of await rs.json<{ name: string; total_rows: string | number | null; total_bytes: string | number | null }>()) {
    out.set(r.name, { rows: Number(r.total_rows ?? 0), bytes: Number(r.total_bytes ?? 0) });
  }
  return out;
}

/** The live datasources the caller may read or append to, described. */
export async function listDatasources(platform: Platform, principal: Principal, live: LiveDeployment | undefined) {
  const visible = Object.values(live?.manifest.datasources ?? {}).filter(
    (ds) => authorize(principal.scopes, { kind: "read_datasource", datasource: ds.name }).allowed ||
      authorize(principal.scopes, { kind: "append", datasource: ds.name }).allowed,
  );
  const [stats, times] = await Promise.all([
    live ? tableStats(platform, live.manifest.database, visible.map((d) => d.table)) : new Map<string, { rows: number; bytes: number }>(),
    liveTimes(platform, principal, live),
  ]);
  return visible.map((ds) => describeDatasource(ds, stats.get(ds.table), times));
}

async function liveTimes(platform: Platform, principal: Principal, live: LiveDeployment | undefined) {
  const d = live ? await platform.catalog.workspace(principal.workspaceId).getDeployment(live.id) : undefined;
  return d ? { created_at: d.created_at, updated_at: d.updated_at } : undefined;
}

/** One live datasource (READ or APPEND scope on it): described, or its datafile text when `asDatafile`. */
export async function getDatasource(
  platform: Platform,
  principal: Principal,
  req: { live: LiveDeployment | undefined; name: string; asDatafile: boolean },
): Promise<{ datafile: string } | { description: ReturnType<typeof describeDatasource> }> {
  const { manifest, ds } = liveDatasource(req.live, req.name);
  if (!authorize(principal.scopes, { kind: "append", datasource: req.name }).allowed) {
    ensureAllowed(principal, { kind: "read_datasource", datasource: req.name });
  }
  if (req.asDatafile) return { datafile: manifest.files[ds.file.path.split(/[\\/]/).pop()!] ?? "" };
  const [stats, times] = await Promise.all([tableStats(platform, manifest.database, [ds.table]), liveTimes(platform, principal, req.live)]);
  return { description: describeDatasource(ds, stats.get(ds.table), times) };
}
