/** Data sources: the list with rows and sizes; one data source's schema, engine, rows, quarantine and ingestion. */
import { useEffect, useState } from "preact/hooks";
import { getJson, messageOf, sql, sqlString, type Datasource, type QueryResult } from "../api.js";
import { ErrorText, Section, Table, TimeChart, fmtBytes, fmtNumber, seriesFrom } from "../ui.js";

function stats(d: Datasource) {
  return d.statistics ?? d.stats ?? {};
}
function engineOf(d: Datasource) {
  return typeof d.engine === "object" && d.engine !== null ? d.engine : { engine: d.engine, sorting_key: d.engine_sorting_key };
}

export function Datasources() {
  const [list, setList] = useState<Datasource[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    getJson<{ datasources: Datasource[] }>("/v0/datasources").then((r) => setList(r.datasources), (e: unknown) => setError(messageOf(e)));
  }, []);
  return (
    <>
      <h1>Data sources</h1>
      <ErrorText error={error} label="Could not list data sources" />
      {list === null && !error ? <p aria-busy="true">Loading…</p> : null}
      {list && list.length === 0 ? <p>No data sources yet: deploy a project with <code>tern deploy</code>.</p> : null}
      {list && list.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Rows</th>
                <th scope="col">Size</th>
                <th scope="col">Engine</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => (
                <tr key={d.name}>
                  <td>
                    <a href={`#/datasources/${encodeURIComponent(d.name)}`}>{d.name}</a>
                  </td>
                  <td class="num">{fmtNumber(stats(d).row_count)}</td>
                  <td class="num">{fmtBytes(stats(d).bytes)}</td>
                  <td>{engineOf(d).engine ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </>
  );
}

const PAGE = 20;

function ident(name: string): string {
  return `\`${name.replace(/\\/g, "\\\\").replace(/`/g, "\\`")}\``;
}

function Rows({ name }: { name: string }) {
  const [page, setPage] = useState(0);
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setError(null);
    sql(`SELECT * FROM ${ident(name)} LIMIT ${PAGE} OFFSET ${page * PAGE}`).then(setResult, (e: unknown) => setError(messageOf(e)));
  }, [name, page]);
  return (
    <Section title="Sample rows">
      <ErrorText error={error} label="Could not read rows" />
      {result ? <Table columns={result.meta.map((m) => m.name)} rows={result.data} /> : null}
      <div class="pager">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous
        </button>
        <span>Page {page + 1}</span>
        <button type="button" disabled={!result || result.rows < PAGE} onClick={() => setPage(page + 1)}>
          Next
        </button>
      </div>
    </Section>
  );
}

function Quarantine({ name }: { name: string }) {
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    sql(`SELECT * FROM ${ident(`${name}_quarantine`)} ORDER BY insertion_date DESC LIMIT 50`).then(
      setResult,
      (e: unknown) => setError(messageOf(e)),
    );
  }, [name]);
  return (
    <Section title="Quarantine">
      <ErrorText error={error} label="Could not read quarantine" />
      {result && result.rows === 0 ? <p>No quarantined rows.</p> : null}
      {result && result.rows > 0 ? (
        <Table
          columns={["reason", "insertion_date", ...result.meta.map((m) => m.name).filter((c) => !c.startsWith("c__") && c !== "insertion_date")]}
          rows={result.data.map((r) => ({ ...r, reason: Array.isArray(r.c__error) ? r.c__error.join("; ") : r.c__error }))}
        />
      ) : null}
    </Section>
  );
}

function Ingestion({ name }: { name: string }) {
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    sql(
      `SELECT toStartOfHour(timestamp) AS hour, sum(rows) AS rows, sum(rows_quarantine) AS quarantined, countIf(result = 'error') AS errors
       FROM tinybird.datasources_ops_log WHERE datasource_name = ${sqlString(name)} AND timestamp > now() - INTERVAL 7 DAY GROUP BY hour ORDER BY hour`,
    ).then(setResult, (e: unknown) => setError(messageOf(e)));
  }, [name]);
  const s = result ? seriesFrom(result.data, "hour", ["rows", "quarantined", "errors"]) : null;
  return (
    <Section title="Ingestion (last 7 days, hourly)">
      <ErrorText error={error} label="Could not read datasources_ops_log" />
      {s ? <TimeChart title={`Rows ingested into ${name}`} x={s.x} series={s.series} kind="bar" /> : null}
    </Section>
  );
}

export function DatasourceDetail({ name }: { name: string }) {
  const [ds, setDs] = useState<Datasource | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setDs(null);
    setError(null);
    getJson<Datasource>(`/v0/datasources/${encodeURIComponent(name)}`).then(setDs, (e: unknown) => setError(messageOf(e)));
  }, [name]);
  const engine = ds ? engineOf(ds) : null;
  return (
    <>
      <p class="crumbs">
        <a href="#/datasources">Data sources</a> /
      </p>
      <h1>{name}</h1>
      <ErrorText error={error} label={`Could not open ${name}`} />
      {ds && engine ? (
        <>
          <dl class="facts">
            <dt>Engine</dt>
            <dd>{engine.engine ?? "–"}</dd>
            <dt>Sorting key</dt>
            <dd>{engine.sorting_key || "–"}</dd>
            {engine.partition_key ? (
              <>
                <dt>Partition key</dt>
                <dd>{engine.partition_key}</dd>
              </>
            ) : null}
            <dt>Rows</dt>
            <dd>{fmtNumber(stats(ds).row_count)}</dd>
            <dt>Size</dt>
            <dd>{fmtBytes(stats(ds).bytes)}</dd>
          </dl>
          <Section title="Schema">
            <Table
              columns={["name", "type", "jsonpath", "default"]}
              rows={(ds.schema?.columns ?? ds.columns ?? []).map((c) => ({ name: c.name, type: c.type, jsonpath: "jsonpath" in c ? c.jsonpath : "", default: "default_value" in c ? c.default_value : null }))}
            />
          </Section>
          <Rows name={name} />
          <Quarantine name={name} />
          <Ingestion name={name} />
        </>
      ) : null}
    </>
  );
}
