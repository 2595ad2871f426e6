/** SQL playground: CodeMirror with ClickHouse-flavoured highlighting and the workspace's names completed; a table, a chart over a time column, CSV download; long runs show their time and can be cancelled. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { Compartment } from "@codemirror/state";
import { sql as sqlLang, StandardSQL } from "@codemirror/lang-sql";
import { getJson, messageOf, sql, type Datasource, type Pipe, type QueryResult } from "../api.js";
import { ErrorText, Table, TimeChart, cell, seriesFrom } from "../ui.js";

const DRAFT_KEY = "tern.sql";

function toCsv(r: QueryResult): string {
  const esc = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const cols = r.meta.map((m) => m.name);
  return [cols.map(esc).join(","), ...r.data.map((row) => cols.map((c) => esc(cell(row[c]))).join(","))].join("\n") + "\n";
}

const isTime = (t: string) => /^(Nullable\()?(DateTime|Date)/.test(t);
const isNumber = (t: string) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(t);

export function Playground() {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const abort = useRef<AbortController | null>(null);
  const [result, setResult] = useState<QueryResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [elapsed, setElapsed] = useState(0);
  const [chartKind, setChartKind] = useState<"line" | "bar">("line");

  const run = async () => {
    const q = view.current?.state.doc.toString().trim() ?? "";
    if (!q) return;
    sessionStorage.setItem(DRAFT_KEY, q);
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    setRunning(true);
    setError(null);
    const started = performance.now();
    const timer = setInterval(() => setElapsed((performance.now() - started) / 1000), 100);
    try {
      setResult(await sql(q, ctrl.signal));
    } catch (e) {
      setResult(null);
      setError(messageOf(e));
    } finally {
      clearInterval(timer);
      setRunning(false);
    }
  };
  const runRef = useRef(run);
  runRef.current = run;

  useEffect(() => {
    if (!host.current) return;
    const language = new Compartment();
    const v = new EditorView({
      parent: host.current,
      doc: sessionStorage.getItem(DRAFT_KEY) ?? "SELECT 1",
      extensions: [
        keymap.of([{ key: "Mod-Enter", run: () => (void runRef.current(), true) }]),
        basicSetup,
        language.of(sqlLang({ dialect: StandardSQL, upperCaseKeywords: true })),
        EditorView.contentAttributes.of({ "aria-label": "SQL query" }),
      ],
    });
    view.current = v;
    // Completion of the workspace's names: data sources with their columns, pipes.
    void Promise.all([getJson<{ datasources: Datasource[] }>("/v0/datasources").catch(() => ({ datasources: [] })), getJson<{ pipes: Pipe[] }>("/v0/pipes").catch(() => ({ pipes: [] }))]).then(
      ([d, p]) => {
        const schema: Record<string, string[]> = { "tinybird.pipe_stats_rt": [], "tinybird.datasources_ops_log": [], "tinybird.jobs_log": [] };
        for (const ds of d.datasources) schema[ds.name] = (ds.schema?.columns ?? ds.columns ?? []).map((c) => c.name);
        for (const pipe of p.pipes) schema[pipe.name] ??= [];
        v.dispatch({ effects: language.reconfigure(sqlLang({ dialect: StandardSQL, schema, upperCaseKeywords: true })) });
      },
    );
    return () => v.destroy();
  }, []);

  const csvUrl = useMemo(() => (result ? URL.createObjectURL(new Blob([toCsv(result)], { type: "text/csv" })) : null), [result]);
  useEffect(() => () => (csvUrl ? URL.revokeObjectURL(csvUrl) : undefined), [csvUrl]);
  const timeCol = result?.meta.find((m) => isTime(m.type))?.name;
  const numCols = result?.meta.filter((m) => isNumber(m.type)).map((m) => m.name) ?? [];
  const chart = result && timeCol && numCols.length ? seriesFrom(result.data, timeCol, numCols) : null;

  return (
    <>
      <h1>SQL playground</h1>
      <div class="editor" ref={host} />
      <div class="actions">
        <button type="button" onClick={() => void run()} disabled={running}>
          Run (Ctrl+Enter)
        </button>
        {running ? (
          <>
            <span role="status" class="progress">
              Running… {elapsed.toFixed(1)} s
            </span>
            <button type="button" onClick={() => abort.current?.abort()}>
              Cancel
            </button>
          </>
        ) : null}
        {csvUrl ? (
          <a class="button" download="query.csv" href={csvUrl}>
            Download CSV
          </a>
        ) : null}
      </div>
      <ErrorText error={error} label="Query failed" />
      {result ? (
        <>
          <p class="stats" role="status">
            {result.rows} rows{result.statistics ? ` in ${(result.statistics.elapsed * 1000).toFixed(1)} ms` : ""}
          </p>
          {chart ? (
            <>
              <fieldset class="chart-kind">
                <legend>Chart</legend>
                <label>
                  <input type="radio" name="kind" checked={chartKind === "line"} onChange={() => setChartKind("line")} /> Line
                </label>
                <label>
                  <input type="radio" name="kind" checked={chartKind === "bar"} onChange={() => setChartKind("bar")} /> Bar
                </label>
              </fieldset>
              <TimeChart title={`${numCols.join(", ")} by ${timeCol}`} x={chart.x} series={chart.series} kind={chartKind} />
            </>
          ) : null}
          <Table columns={result.meta.map((m) => m.name)} rows={result.data} />
        </>
      ) : null}
    </>
  );
}

