/**
 * @module clickhouse/summary
 * What an INSERT wrote, from ClickHouse's `X-ClickHouse-Summary` response
 * header: `@clickhouse/client-web` leaves its own `summary` empty for
 * `command`/`exec`, so writers read the header themselves.
 */
export function writtenSummary(header: string | string[] | undefined): { rows: number; bytes: number } {
  try {
    const parsed = JSON.parse(Array.isArray(header) ? (header[0] ?? "{}") : (header ?? "{}")) as { written_rows?: string; written_bytes?: string };
    return { rows: Number(parsed.written_rows ?? 0), bytes: Number(parsed.written_bytes ?? 0) };
  } catch {
    return { rows: 0, bytes: 0 };
  }
}
