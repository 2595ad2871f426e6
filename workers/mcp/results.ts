/**
 * @module mcp/results
 * A read's answer as an MCP tool result: the body read up to a size cap (the
 * rest of the query is cancelled, which KILLs it), cut at the last whole row,
 * with a note saying so. CSV is passed through; JSON is built from
 * `JSONCompactEachRowWithNamesAndTypes` lines, so a cut answer is still valid
 * JSON. A failure is an `isError` result carrying the caller's `{"error"}`
 * answer and its status, decided by the one mapping (`shared/error-answer.ts`).
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { errorAnswer } from "../../shared/error-answer.js";
import { describeError } from "../../shared/errors.js";
import type { OutputFormat } from "../../shared/format/formats.js";

/** The most answer bytes a tool result carries (an agent's context is the limit, not ClickHouse's). */
export const RESULT_CAP_BYTES = 100_000;

export type ResultFormat = "csv" | "json";

/** The ClickHouse format each tool format reads with. */
export const READ_FORMATS: Record<ResultFormat, OutputFormat> = {
  csv: { clickhouse: "CSVWithNames", contentType: "text/csv; charset=utf-8" },
  json: { clickhouse: "JSONCompactEachRowWithNamesAndTypes", contentType: "application/x-ndjson" },
};

/** Up to `cap` bytes of `body`; past them the stream is cancelled. */
async function readCapped(body: ReadableStream<Uint8Array> | null, cap: number): Promise<{ bytes: Uint8Array; cut: boolean }> {
  if (!body) return { bytes: new Uint8Array(0), cut: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    chunks.push(next.value);
    size += next.value.byteLength;
    if (size > cap) {
      cut = true;
      // Stops the read in ClickHouse (execute.ts KILLs a query whose caller hangs up).
      await reader.cancel("MCP result cap reached");
      break;
    }
  }
  const bytes = new Uint8Array(Math.min(size, cap));
  let offset = 0;
  for (const chunk of chunks) {
    const part = chunk.subarray(0, Math.min(chunk.byteLength, bytes.byteLength - offset));
    bytes.set(part, offset);
    offset += part.byteLength;
    if (offset >= bytes.byteLength) break;
  }
  return { bytes, cut };
}

function cutNote(rows: number, cap: number): string {
  return `Result cut at ${rows} rows (the first ${cap} bytes of the answer): add a LIMIT, filters or an aggregation to see the rest.`;
}

/** Whole lines only: after the last "\n" is either "" (a whole answer) or a partial line (a cut one). */
function wholeLines(text: string): string[] {
  const lines = text.split("\n");
  lines.pop();
  return lines;
}

/** A read's response as a tool result in `format`; `raw` passes the body through as text (a FORMAT the caller chose). */
export async function toolResult(response: Response, format: ResultFormat | "raw", cap = RESULT_CAP_BYTES): Promise<CallToolResult> {
  const { bytes, cut } = await readCapped(response.body, cap);
  const text = new TextDecoder().decode(bytes);
  if (format === "json") {
    const lines = wholeLines(text);
    const [names, types, ...rows] = lines.map((l) => JSON.parse(l) as unknown[]);
    const meta = (names ?? []).map((name, i) => ({ name, type: types?.[i] }));
    const data = rows.map((row) => Object.fromEntries(meta.map((m, i) => [String(m.name), row[i]])));
    const body = { meta, data, rows: data.length, ...(cut ? { cut: true } : {}) };
    return withNote({ content: [{ type: "text", text: JSON.stringify(body) }] }, cut, data.length, cap);
  }
  if (!cut) return { content: [{ type: "text", text }] };
  const lines = wholeLines(text);
  // CSV: the header line is not a row.
  const rows = format === "csv" ? Math.max(0, lines.length - 1) : lines.length;
  return withNote({ content: [{ type: "text", text: lines.join("\n") + "\n" }] }, cut, rows, cap);
}

function withNote(result: CallToolResult, cut: boolean, rows: number, cap: number): CallToolResult {
  if (cut) result.content.push({ type: "text", text: cutNote(rows, cap) });
  return result;
}

/** A JSON document as a tool result. */
export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }] };
}

/**
 * A failed tool call: the `{"error"}` answer the same failure gets over HTTP,
 * with its status (and `retry_after` for a rate limit), as an `isError` result.
 */
export function errorResult(e: unknown): CallToolResult {
  const answer = errorAnswer(e);
  if (answer.log) console.error(`${answer.status} MCP tool call: ${describeError(e)}`);
  const retry = answer.headers["Retry-After"];
  const body = { ...answer.body, status: answer.status, ...(retry ? { retry_after: Number(retry) } : {}) };
  return { isError: true, content: [{ type: "text", text: JSON.stringify(body) }] };
}
