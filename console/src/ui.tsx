/**
 * @module console/ui
 * Small shared pieces: a result table, an error line, number formatting, the
 * time-series chart (uPlot). Everything renders through Preact's text nodes:
 * data never becomes HTML.
 */
import { useEffect, useRef } from "preact/hooks";
import type { ComponentChildren } from "preact";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export function ErrorText({ error, label }: { error: string | null | undefined; label?: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {label ? <strong>{label}: </strong> : null}
      {error}
    </p>
  );
}

export function fmtNumber(n: unknown): string {
  return typeof n === "number" ? n.toLocaleString("en-US") : n === undefined || n === null ? "–" : String(n);
}

export function fmtBytes(n: unknown): string {
  if (typeof n !== "number") return "–";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function cell(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export function Table({ columns, rows, caption }: { columns: string[]; rows: Record<string, unknown>[]; caption?: string }) {
  return (
    <div class="table-wrap">
      <table>
        {caption ? <caption>{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c}>{cell(r[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

const PALETTE = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"];

/** Parses ClickHouse's DateTime text ("2026-01-01 10:00:00[.123]", UTC) to Unix seconds. */
export function toSeconds(v: unknown): number | null {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return null;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : `${v.replace(" ", "T")}${/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? "" : "Z"}`;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t / 1000;
}

export interface Series {
  label: string;
  values: (number | null)[];
}

/** The time axis: the data's span, padded by half a step for bars, an hour around a single point. */
function xRange(x: number[], bars: boolean): [number, number] {
  const lo = x[0];
  const hi = x[x.length - 1];
  if (lo === undefined || hi === undefined) {
    const now = Date.now() / 1000;
    return [now - 86_400, now];
  }
  if (lo === hi) return [lo - 3600, hi + 3600];
  const step = bars ? (hi - lo) / Math.max(1, x.length - 1) / 2 : 0;
  return [lo - step, hi + step];
}

/** A line or bar chart over time (x in Unix seconds), drawn by uPlot. */
export function TimeChart({ title, x, series, kind = "line", height = 220 }: { title: string; x: number[]; series: Series[]; kind?: "line" | "bar"; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(320, el.clientWidth || 640);
    const bars = kind === "bar" ? uPlot.paths.bars?.({ size: [0.6, 40] }) : undefined;
    const plot = new uPlot(
      {
        title,
        width,
        height,
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: PALETTE[i % PALETTE.length],
            fill: kind === "bar" ? `${PALETTE[i % PALETTE.length]}99` : undefined,
            width: 2,
            ...(bars ? { paths: bars } : {}),
          })),
        ],
        // One point (or one bucket) would stretch the time axis over years: pad it by an hour.
        scales: { x: { time: true, range: (): uPlot.Range.MinMax => xRange(x, kind === "bar") } },
        axes: [{}, {}],
      },
      [x, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [title, x, series, kind, height]);
  return (
    <figure class="chart" aria-label={title}>
      <div ref={box} />
      {x.length === 0 ? <figcaption>No data in this period.</figcaption> : null}
    </figure>
  );
}

/** Seconds of a column's rows, and each numeric column as a series. */
export function seriesFrom(rows: Record<string, unknown>[], xCol: string, yCols: string[]): { x: number[]; series: Series[] } {
  const kept = rows.map((r) => ({ t: toSeconds(r[xCol]), r })).filter((p): p is { t: number; r: Record<string, unknown> } => p.t !== null);
  kept.sort((a, b) => a.t - b.t);
  return {
    x: kept.map((p) => p.t),
    series: yCols.map((c) => ({ label: c, values: kept.map((p) => (typeof p.r[c] === "number" ? (p.r[c] as number) : p.r[c] === null ? null : Number(p.r[c]))) })),
  };
}
