/** Jobs and usage: copies, sinks and imports with their state; the workspace's requests, errors, rows ingested and quarantined over time. */
import { useEffect, useState } from "preact/hooks";
import { getJson, messageOf, sql, type Job, type QueryResult } from "../api.js";
import { ErrorText, Section, Table, TimeChart, seriesFrom } from "../ui.js";

function useSql(q: string): [QueryResult | null, string | null] {
  const [r, setR] = useState<QueryResult | null>(null);
  const [e, setE] = useState<string | null>(null);
  useEffect(() => {
    sql(q).then(setR, (err: unknown) => setE(messageOf(err)));
  }, [q]);
  return [r, e];
}

const REQUESTS = `SELECT toStartOfHour(start_datetime) AS hour, count() AS requests, countIf(error = 1) AS errors
FROM tinybird.pipe_stats_rt WHERE start_datetime > now() - INTERVAL 7 DAY GROUP BY hour ORDER BY hour`;
const INGEST = `SELECT toStartOfHour(timestamp) AS hour, sum(rows) AS rows_ingested, sum(rows_quarantine) AS rows_quarantined
FROM tinybird.datasources_ops_log WHERE timestamp > now() - INTERVAL 7 DAY GROUP BY hour ORDER BY hour`;

export function Jobs() {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<{ jobs: Job[] }>("/v0/jobs").then((r) => setJobs(r.jobs), (e: unknown) => setError(messageOf(e)));
  }, []);
  const [req, reqError] = useSql(REQUESTS);
  const [ing, ingError] = useSql(INGEST);
  const r = req ? seriesFrom(req.data, "hour", ["requests", "errors"]) : null;
  const i = ing ? seriesFrom(ing.data, "hour", ["rows_ingested", "rows_quarantined"]) : null;
  return (
    <>
      <h1>Jobs and usage</h1>
      <Section title="Jobs">
        <ErrorText error={error} label="Could not list jobs" />
        {jobs && jobs.length === 0 ? <p>No jobs in the last 48 hours.</p> : null}
        {jobs && jobs.length > 0 ? (
          <Table
            columns={["id", "kind", "status", "target", "created_at", "updated_at", "error"]}
            rows={jobs.map((j) => ({ ...j, target: j.pipe_name ?? j.datasource?.name ?? "", error: j.error ?? "" }))}
          />
        ) : null}
      </Section>
      <Section title="Usage (last 7 days, hourly)">
        <ErrorText error={reqError} label="Could not read pipe_stats_rt" />
        {r ? <TimeChart title="Requests and errors" x={r.x} series={r.series} kind="bar" /> : null}
        <ErrorText error={ingError} label="Could not read datasources_ops_log" />
        {i ? <TimeChart title="Rows ingested and quarantined" x={i.x} series={i.series} kind="bar" /> : null}
      </Section>
    </>
  );
}
