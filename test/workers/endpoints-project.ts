// The Tinybird project the endpoint, Query API, JWT and rate-limit tests deploy,
// each into its own workspace: one datasource with 10 known rows and a few pipes.
import { env } from "cloudflare:test";
import { createWorkspace, deploy } from "./helpers/api.js";
import { testClickHouse } from "./helpers/clickhouse.js";
import { liveManifest } from "../../workers/catalog/live-manifest.js";

export const EVENTS = `SCHEMA >
    \`timestamp\` DateTime,
    \`tenant\` String,
    \`pathname\` String,
    \`value\` Int64

ENGINE "MergeTree"
ENGINE_SORTING_KEY "timestamp"
`;

/** Three nodes: filter (templated), aggregate, endpoint (templated LIMIT). */
export const TOP_PAGES = `DESCRIPTION >
    Views and value per page

TOKEN top_reader READ

NODE filtered
SQL >
    %
    SELECT pathname, value FROM events
    WHERE timestamp >= {{ DateTime(start, '2020-01-01 00:00:00') }}
    {% if defined(tenant) %} AND tenant = {{ String(tenant) }} {% end %}

NODE aggregated
SQL >
    SELECT pathname, count() AS views, sum(value) AS total FROM filtered GROUP BY pathname

NODE endpoint
SQL >
    %
    SELECT * FROM aggregated ORDER BY pathname LIMIT {{ Int32(limit, 10) }}

TYPE endpoint
`;

export const BY_PATHS = `NODE endpoint
SQL >
    %
    SELECT pathname, count() AS c FROM events
    WHERE pathname IN {{ Array(paths, 'String') }}
    GROUP BY pathname ORDER BY pathname

TYPE endpoint
`;

export const ECHO = `NODE endpoint
SQL >
    %
    SELECT {{ Int32(n, 1) }} AS n, {{ String(s, 'x') }} AS s, {{ Float64(f, 1.5) }} AS f,
           {{ column(col, 'pathname') }} AS c, {{ DateTime(d, '2026-01-01 00:00:00') }} AS d
    FROM events ORDER BY timestamp LIMIT 1

TYPE endpoint
`;

export const METRICS = `NODE endpoint
SQL >
    SELECT 'events_total' AS name, count() AS value, 'counter' AS type, 'All events' AS help,
           map('tenant', tenant) AS labels
    FROM events GROUP BY tenant ORDER BY tenant

TYPE endpoint
`;

export const STANDARD = `NODE only
SQL >
    SELECT tenant, count() AS c FROM events GROUP BY tenant
`;

/** Sleeps 5 × 3 s on one thread: past the 10 s max_execution_time without burning CPU. */
export const SLOW = `NODE endpoint
SQL >
    %
    {{ max_threads(1) }}
    SELECT sleep(3) AS s UNION ALL SELECT sleep(3) UNION ALL SELECT sleep(3)
    UNION ALL SELECT sleep(3) UNION ALL SELECT sleep(3)

TYPE endpoint
`;

export const PROJECT: Record<string, string> = {
  "events.datasource": EVENTS,
  "top_pages.pipe": TOP_PAGES,
  "by_paths.pipe": BY_PATHS,
  "echo.pipe": ECHO,
  "metrics.pipe": METRICS,
  "standard.pipe": STANDARD,
  "slow.pipe": SLOW,
};

export interface Deployed {
  id: string;
  name: string;
  /** The workspace admin token. */
  token: string;
  database: string;
  eventsTable: string;
}

/** A workspace with the project live and 10 rows: n = 0..9, tenant acme (even) / globex (odd), pathname /p{n%3}, value n. */
export async function deployProject(prefix: string, files: Record<string, string> = PROJECT): Promise<Deployed> {
  const ws = await createWorkspace(prefix);
  const res = await deploy(files, "auto_promote=true", ws.token);
  if (res.status !== 200) throw new Error(`deploy failed: ${JSON.stringify(res.body)}`);
  const live = await liveManifest(env, ws.id);
  const database = live!.manifest.database;
  const eventsTable = `${database}.${live!.manifest.datasources.events!.table}`;
  await testClickHouse().command({
    query: `INSERT INTO ${eventsTable} SELECT toDateTime('2026-01-01 00:00:00') + number * 3600, if(number % 2 = 0, 'acme', 'globex'), concat('/p', toString(number % 3)), number FROM numbers(10)`,
  });
  return { ...ws, database, eventsTable };
}

export async function rowCount(table: string): Promise<number> {
  const rs = await testClickHouse().query({ query: `SELECT count() AS c FROM ${table}`, format: "JSONEachRow" });
  return Number(((await rs.json()) as Array<{ c: number }>)[0]!.c);
}
