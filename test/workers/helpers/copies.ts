import { env } from "cloudflare:test";
import { vi } from "vitest";
import { api } from "./api.js";
import { testClickHouse } from "./clickhouse.js";
import { liveManifest } from "../../../workers/catalog/live-manifest.js";

/** A datasource of `ts DateTime, n UInt64, tag String`, partitioned by day (so a copy moves several partitions). */
export function datasource(sortingKey = "n"): string {
  return `SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`n\` UInt64 \`json:$.n\`,
    \`tag\` String \`json:$.tag\`

ENGINE "MergeTree"
ENGINE_PARTITION_KEY "toYYYYMMDD(ts)"
ENGINE_SORTING_KEY "${sortingKey}"
`;
}

export function copyPipe(sql: string, directives: string[]): string {
  return `NODE copy_node\nSQL >\n${sql
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n")}\n\nTYPE COPY\n${directives.join("\n")}\n`;
}

/** `db.table` of a datasource in the workspace's live deployment. */
export async function physical(workspaceId: string, datasource: string): Promise<string> {
  const live = await liveManifest(env, workspaceId);
  const ds = live?.manifest.datasources[datasource];
  if (!live || !ds) throw new Error(`no datasource ${datasource} live in ${workspaceId}`);
  return `${live.manifest.database}.${ds.table}`;
}

export async function scalar(query: string): Promise<number> {
  const rs = await testClickHouse().query({ query, format: "JSONEachRow" });
  const row = ((await rs.json()) as Array<Record<string, unknown>>)[0]!;
  return Number(Object.values(row)[0]);
}

export async function countOf(table: string): Promise<number> {
  return scalar(`SELECT count() FROM ${table}`);
}

export interface JobJson {
  id: string;
  status: string;
  kind: string;
  error?: string;
  pipe_name?: string;
  statistics: Record<string, number | string>;
  created_at: string;
  updated_at: string;
  started_at: string | null;
}

export async function job(id: string, token: string): Promise<JobJson> {
  const res = await api(`/v0/jobs/${id}`, { token });
  if (res.status !== 200) throw new Error(`GET /v0/jobs/${id}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Waits until the job has ended (the real queue runs it) and answers it. */
export async function ended(id: string, token: string, timeout = 25_000): Promise<JobJson> {
  return vi.waitUntil(
    async () => {
      const j = await job(id, token);
      return ["done", "error", "cancelled"].includes(j.status) ? j : undefined;
    },
    { timeout, interval: 200 },
  );
}

export async function runCopy(pipe: string, token: string, query = ""): Promise<{ status: number; body: any }> {
  const res = await api(`/v0/pipes/${pipe}/copy${query ? `?${query}` : ""}`, { method: "POST", token });
  return { status: res.status, body: await res.json() };
}
