import { env } from "cloudflare:test";
import { vi } from "vitest";
import { api } from "./api.js";
import { testClickHouse } from "./clickhouse.js";

/** The test run's local S3 server (s3-local/), as the Worker under test is configured with it. */
export const s3 = {
  url: env.TERN_S3_ENDPOINT!,
  key: env.TERN_SECRET_TEST_S3_KEY!,
  secret: env.TERN_SECRET_TEST_S3_SECRET!,
  bucket: "tern-test",
  readOnlyBucket: "tern-test-readonly",
};

/** `events`: `ts DateTime, customer String, n UInt64`. */
export const EVENTS_DATASOURCE = `SCHEMA >
    \`ts\` DateTime \`json:$.ts\`,
    \`customer\` String \`json:$.customer\`,
    \`n\` UInt64 \`json:$.n\`

ENGINE "MergeTree"
ENGINE_SORTING_KEY "n"
`;

/** An s3 connection whose key and secret are the Worker's TEST_S3_KEY/TEST_S3_SECRET secrets. */
export const S3_CONNECTION = `TYPE s3
S3_REGION us-east-1
S3_ACCESS_KEY {{ tb_secret("TEST_S3_KEY") }}
S3_SECRET {{ tb_secret("TEST_S3_SECRET") }}
`;

/** A sink pipe; on demand unless `directives` give an EXPORT_SCHEDULE. */
export function sinkPipe(sql: string, directives: string[]): string {
  const body = sql.split("\n").map((l) => `    ${l}`).join("\n");
  const schedule = directives.some((d) => d.startsWith("EXPORT_SCHEDULE")) ? [] : ["EXPORT_SCHEDULE @on-demand"];
  return `NODE export\nSQL >\n${body}\n\nTYPE SINK\n${[...schedule, ...directives].join("\n")}\n`;
}

export interface JobJson {
  id: string;
  status: string;
  kind: string;
  error?: string;
  pipe_name?: string;
  statistics: Record<string, number | string>;
  created_at: string;
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

export async function runSink(pipe: string, token: string, query = ""): Promise<{ status: number; body: any }> {
  const res = await api(`/v0/pipes/${pipe}/sink${query ? `?${query}` : ""}`, { method: "POST", token });
  return { status: res.status, body: await res.json() };
}

/** Runs a sink through the API and the real queue; answers its ended job. */
export async function sinkRun(pipe: string, token: string, query = ""): Promise<JobJson> {
  const started = await runSink(pipe, token, query);
  if (started.status !== 200) throw new Error(`POST /v0/pipes/${pipe}/sink: ${started.status} ${JSON.stringify(started.body)}`);
  return ended(started.body.id, token);
}

export async function rows<T = Record<string, unknown>>(query: string): Promise<T[]> {
  const rs = await testClickHouse().query({ query, format: "JSONEachRow" });
  return (await rs.json()) as T[];
}

/** An s3() call on the local S3 server, read by the real local ClickHouse. */
export function s3Table(path: string, format: string, extra = ""): string {
  return `s3('${s3.url}/${path}', '${s3.key}', '${s3.secret}', '${format}'${extra})`;
}

/** The keys under `prefix` in the writable bucket (`<bucket>/<key>`), sorted, with their sizes. */
export async function s3Files(prefix: string): Promise<Array<{ path: string; size: number }>> {
  const list = await rows<{ path: string; size: string | number }>(
    `SELECT _path AS path, _size AS size FROM ${s3Table(`${s3.bucket}/${prefix}**`, "RawBLOB", ", 'raw_blob String', 'none'")} ORDER BY path`,
  );
  return list.map((f) => ({ path: f.path, size: Number(f.size) }));
}
