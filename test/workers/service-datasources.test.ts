// Service datasources fed by endpoint calls: tinybird.pipe_stats_rt (one row per
// call), tinybird.pipe_stats (hourly rollup by a ClickHouse MV) and
// tinybird.endpoint_errors (one row per failed endpoint call), read through
// /v0/sql and filtered to the calling workspace.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { api, createWorkspace } from "./helpers/api.js";
import { deployProject, type Deployed } from "./endpoints-project.js";

let ws: Deployed;
let other: { id: string; token: string };
let failedRequestId: string;

async function sqlRows(q: string, token: string): Promise<any[]> {
  const res = await api(`/v0/sql?q=${encodeURIComponent(q)}`, { token });
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as any).data;
}

beforeAll(async () => {
  ws = await deployProject("svcds");
  other = await createWorkspace("svcds_other");
  for (const limit of ["1", "2", "3"]) {
    const res = await api(`/v0/pipes/top_pages.json?limit=${limit}`, { token: ws.token });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
  const bad = await api(`/v0/pipes/top_pages.json?limit=ten&token=${ws.token}`, { token: null });
  expect(bad.status).toBe(400);
  await bad.arrayBuffer();
  failedRequestId = bad.headers.get("x-request-id")!;
  // The rows are written after the answers (waitUntil): wait for all four.
  await vi.waitUntil(
    async () => {
      const [row] = await sqlRows("SELECT count() AS c FROM tinybird.pipe_stats_rt WHERE pipe_name = 'top_pages'", ws.token);
      return row.c === 4;
    },
    { timeout: 15_000, interval: 200 },
  );
});

describe("service datasources fed by endpoint calls", () => {
  it("tinybird.pipe_stats_rt has one row per call", async () => {
    const rows = await sqlRows(
      "SELECT parameters['limit'] AS limit, status_code, error, url FROM tinybird.pipe_stats_rt WHERE pipe_name = 'top_pages' ORDER BY limit",
      ws.token,
    );
    expect(rows).toEqual([
      { limit: "1", status_code: 200, error: 0, url: "/v0/pipes/top_pages.json?limit=1" },
      { limit: "2", status_code: 200, error: 0, url: "/v0/pipes/top_pages.json?limit=2" },
      { limit: "3", status_code: 200, error: 0, url: "/v0/pipes/top_pages.json?limit=3" },
      { limit: "ten", status_code: 400, error: 1, url: "/v0/pipes/top_pages.json?limit=ten" },
    ]);
  });

  it("tinybird.pipe_stats rolls the calls up per hour with Tinybird's columns", async () => {
    // Tinybird's own query shape: GROUP BY date with sum / avgMerge / quantilesTimingMerge.
    const [daily] = await sqlRows(
      `SELECT pipe_id, pipe_name, sum(view_count) AS views, sum(error_count) AS errors, sum(read_rows_sum) AS read_rows,
              sum(read_bytes_sum) AS read_bytes, sum(cpu_time_sum) AS cpu, avgMerge(avg_duration_state) AS avg_ms,
              length(quantilesTimingMerge(0.9, 0.95, 0.99)(quantile_timing_state)) AS quantiles,
              date = toDate(min(hour)) AS same_day
       FROM tinybird.pipe_stats WHERE pipe_name = 'top_pages' GROUP BY date, pipe_id, pipe_name`,
      ws.token,
    );
    const [rt] = await sqlRows(
      "SELECT sum(read_rows) AS read_rows, sum(read_bytes) AS read_bytes, avg(duration) * 1000 AS avg_ms FROM tinybird.pipe_stats_rt WHERE pipe_name = 'top_pages'",
      ws.token,
    );
    // The rollup must carry exactly what pipe_stats_rt has.
    expect(daily).toEqual({
      pipe_id: "top_pages",
      pipe_name: "top_pages",
      views: 4,
      errors: 1,
      read_rows: rt.read_rows,
      read_bytes: rt.read_bytes,
      cpu: 0,
      avg_ms: expect.closeTo(rt.avg_ms, 3),
      quantiles: 3,
      same_day: 1,
    });
    // Read with FINAL: each (hour, pipe) is exactly one row.
    const [perHour] = await sqlRows(
      "SELECT count() AS rows, uniqExact(hour) AS hours FROM tinybird.pipe_stats WHERE pipe_name = 'top_pages'",
      ws.token,
    );
    expect(perHour.rows).toBe(perHour.hours);
  });

  it("tinybird.endpoint_errors has one row per failed endpoint call", async () => {
    const rows = await vi.waitUntil(
      async () => {
        const r = await sqlRows(
          "SELECT request_id, pipe_id, pipe_name, params, url, status_code, error, start_datetime <= now() AS past FROM tinybird.endpoint_errors",
          ws.token,
        );
        return r.length ? r : undefined;
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(rows).toEqual([
      {
        request_id: failedRequestId,
        pipe_id: "top_pages",
        pipe_name: "top_pages",
        params: { limit: "ten" },
        url: "/v0/pipes/top_pages.json?limit=ten",
        status_code: 400,
        error: "Template Syntax Error: Error validating 'ten' to type Int32",
        past: 1,
      },
    ]);
  });

  it("read_rows and read_bytes of a streamed JSON answer are what its statistics say", async () => {
    // Over 1 MB of JSON: the local ClickHouse streams it, so its summary header went out before the read.
    const res = await api(`/v0/sql?q=${encodeURIComponent("SELECT number, toString(number) AS s FROM numbers(100000)")}`, { token: ws.token });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { rows: number; statistics: { rows_read: number; bytes_read: number } };
    expect(answer.rows).toBe(100_000);
    expect(answer.statistics.rows_read).toBe(100_000);
    const requestId = res.headers.get("x-request-id")!;
    const logged = async () =>
      sqlRows(`SELECT read_rows, read_bytes, result_rows FROM tinybird.pipe_stats_rt WHERE request_id = '${requestId}'`, ws.token);
    await vi.waitUntil(async () => (await logged()).length === 1, { timeout: 15_000, interval: 200 });
    expect(await logged()).toEqual([{ read_rows: 100_000, read_bytes: answer.statistics.bytes_read, result_rows: 100_000 }]);
  });

  it("another workspace sees none of these rows", async () => {
    const [counts] = await sqlRows(
      `SELECT (SELECT count() FROM tinybird.pipe_stats_rt WHERE pipe_name = 'top_pages') AS rt,
              (SELECT count() FROM tinybird.pipe_stats WHERE pipe_name = 'top_pages') AS stats,
              (SELECT count() FROM tinybird.endpoint_errors) AS errors`,
      other.token,
    );
    expect(counts).toEqual({ rt: 0, stats: 0, errors: 0 });
    for (const name of ["pipe_stats", "endpoint_errors"]) {
      const res = await api(`/v0/sql?q=${encodeURIComponent(`SELECT workspace_id FROM tinybird.${name}`)}`, { token: other.token });
      expect(res.status).toBe(400);
      expect(res.headers.get("x-db-exception-code")).toBe("47");
    }
  });
});
