/** Pipes and endpoints: nodes' SQL, the parameter form from the pipe's signature, a run with its rows, curl and URL, and the endpoint's requests and latency from pipe_stats_rt. */
import { useEffect, useRef, useState } from "preact/hooks";
import { getJson, getToken, messageOf, request, sql, sqlString, type Pipe, type PipeParam, type QueryResult } from "../api.js";
import { ErrorText, Section, Table, TimeChart, seriesFrom } from "../ui.js";

export function Pipes() {
  const [list, setList] = useState<Pipe[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<{ pipes: Pipe[] }>("/v0/pipes").then((r) => setList(r.pipes), (e: unknown) => setError(messageOf(e)));
  }, []);
  return (
    <>
      <h1>Pipes</h1>
      <ErrorText error={error} label="Could not list pipes" />
      {list === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {list && list.length === 0 ? <p>No pipes yet.</p> : null}
      {list && list.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Nodes</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.name}>
                  <td>
                    <a href={`#/pipes/${encodeURIComponent(p.name)}`}>{p.name}</a>
                  </td>
                  <td>{p.type ?? "–"}</td>
                  <td>{(p.nodes ?? []).map((n) => n.name).join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

function paramsOf(p: Pipe & { params?: PipeParam[] }): PipeParam[] {
  if (p.params) return p.params;
  const seen = new Map<string, PipeParam>();
  for (const n of p.nodes ?? []) for (const q of n.params ?? []) if (!seen.has(q.name)) seen.set(q.name, q);
  return [...seen.values()];
}

function inputType(t: string): string {
  if (/^U?Int|Float|Decimal/i.test(t)) return "number";
  if (/^Date$/i.test(t)) return "date";
  return "text";
}

function EndpointStats({ name, runs }: { name: string; runs: number }) {
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  // pipe_stats_rt rows land just after each request: re-read every 5 s while open.
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 5_000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    sql(
      `SELECT toStartOfMinute(start_datetime) AS minute, count() AS requests, countIf(error = 1) AS errors,
         round(quantile(0.5)(duration) * 1000, 2) AS p50_ms, round(quantile(0.95)(duration) * 1000, 2) AS p95_ms, round(quantile(0.99)(duration) * 1000, 2) AS p99_ms
       FROM tinybird.pipe_stats_rt WHERE pipe_name = ${sqlString(name)} AND start_datetime > now() - INTERVAL 1 DAY GROUP BY minute ORDER BY minute`,
    ).then(setResult, (e: unknown) => setError(messageOf(e)));
  }, [name, runs, tick]);
  const lat = result ? seriesFrom(result.data, "minute", ["p50_ms", "p95_ms", "p99_ms"]) : null;
  const req = result ? seriesFrom(result.data, "minute", ["requests", "errors"]) : null;
  return (
    <Section title="Requests and latency (last 24 h, per minute)">
      <ErrorText error={error} label="Could not read pipe_stats_rt" />
      {req ? <TimeChart title="Requests and errors" x={req.x} series={req.series} kind="bar" /> : null}
      {lat ? <TimeChart title="Latency (ms): p50, p95, p99" x={lat.x} series={lat.series} /> : null}
    </Section>
  );
}

export function PipeDetail({ name }: { name: string }) {
  const [pipe, setPipe] = useState<(Pipe & { params?: PipeParam[] }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<QueryResult | null>(null);
  const [runError, setRunError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [runs, setRuns] = useState(0);
  const abort = useRef<AbortController | null>(null);

  useEffect(() => {
    setPipe(null);
    setResult(null);
    getJson<Pipe>(`/v0/pipes/${encodeURIComponent(name)}`).then(setPipe, (e: unknown) => setError(messageOf(e)));
  }, [name]);

  const params = pipe ? paramsOf(pipe) : [];
  const query = new URLSearchParams();
  for (const p of params) {
    const v = values[p.name];
    if (v !== undefined && v !== "") query.set(p.name, v);
  }
  const path = `/v0/pipes/${encodeURIComponent(name)}.json${query.size ? `?${query}` : ""}`;
  const url = `${location.origin}${path}`;
  const curl = `curl -H "Authorization: Bearer $TERN_TOKEN" '${url.replace(/'/g, "'\\''")}'`;
  const isEndpoint = pipe?.type === "endpoint" || Boolean(pipe?.endpoint);

  const run = async (e: Event) => {
    e.preventDefault();
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    setRunning(true);
    setRunError(null);
    try {
      setResult((await (await request(path, { signal: ctrl.signal })).json()) as QueryResult);
    } catch (err) {
      setResult(null);
      setRunError(messageOf(err));
    } finally {
      setRunning(false);
      setRuns((n) => n + 1);
    }
  };

  return (
    <>
      <p class="crumbs">
        <a href="#/pipes">Pipes</a> /
      </p>
      <h1>{name}</h1>
      <ErrorText error={error} label={`Could not open ${name}`} />
      {pipe ? (
        <>
          <p>Type: {pipe.type ?? "–"}</p>
          <Section title="Nodes">
            {(pipe.nodes ?? []).map((n) => (
              <div class="node" key={n.name}>
                <h3>{n.name}</h3>
                <pre>
                  <code>{n.sql}</code>
                </pre>
              </div>
            ))}
          </Section>
          {isEndpoint ? (
            <Section title="Run the endpoint">
              <form class="params" onSubmit={run} aria-label="Endpoint parameters">
                {params.length === 0 ? <p>This endpoint takes no parameters.</p> : null}
                {params.map((p) => (
                  <div class="field" key={p.name}>
                    <label for={`param-${p.name}`}>
                      {p.name} <span class="type">{p.type}</span>
                      {p.required ? " (required)" : ""}
                      {p.description ? <span class="type"> {p.description}</span> : null}
                    </label>
                    <input
                      id={`param-${p.name}`}
                      type={inputType(p.type)}
                      required={p.required}
                      placeholder={p.default === undefined || p.default === null ? "" : String(p.default)}
                      value={values[p.name] ?? ""}
                      onInput={(ev) => setValues({ ...values, [p.name]: ev.currentTarget.value })}
                    />
                  </div>
                ))}
                <div class="actions">
                  <button type="submit" disabled={running}>
                    {running ? "Running…" : "Run"}
                  </button>
                  {running ? (
                    <button type="button" onClick={() => abort.current?.abort()}>
                      Cancel
                    </button>
                  ) : null}
                </div>
              </form>
              <h3>Request</h3>
              <label for="endpoint-url">URL</label>
              <input id="endpoint-url" class="mono" readOnly value={url} />
              <label for="endpoint-curl">curl</label>
              <input id="endpoint-curl" class="mono" readOnly value={curl} />
              <ErrorText error={runError} label="The endpoint answered" />
              {result ? (
                <>
                  <p class="stats" role="status">
                    {result.rows} rows{result.statistics ? ` in ${(result.statistics.elapsed * 1000).toFixed(1)} ms` : ""}
                  </p>
                  <Table columns={result.meta.map((m) => m.name)} rows={result.data} />
                </>
              ) : null}
            </Section>
          ) : null}
          {getToken() && isEndpoint ? <EndpointStats name={name} runs={runs} /> : null}
        </>
      ) : null}
    </>
  );
}
