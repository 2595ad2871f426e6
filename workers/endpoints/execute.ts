/**
 * @module endpoints/execute
 * Runs one read on ClickHouse and streams the answer back untouched: the
 * ClickHouse format is the response format (its `FORMAT JSON` envelope is
 * Tinybird's JSON shape). Reads run with `readonly=1`, a time budget and a
 * result size cap; the request id is the ClickHouse `query_id`.
 */
import { ClickHouseError, type ClickHouseSettings } from "@clickhouse/client-web";
import type { Context } from "hono";
import type { OutputFormat } from "../../shared/format/formats.js";
import type { AppEnv } from "../api/context.js";
import { clickhouseFor } from "../clickhouse/client.js";
import { fromClickHouse } from "../clickhouse/errors.js";
import { readLimits } from "./limits.js";
import { jsonStatistics, TailBuffer, type JsonStatistics } from "../../shared/format/json-statistics.js";

export interface ReadRequest {
  sql: string;
  format: OutputFormat;
  settings: Record<string, number | string>;
  /** Extra response headers (rate-limit state). */
  headers: Record<string, string>;
}

export interface ReadOutcome {
  response: Response;
  readRows: number;
  readBytes: number;
  resultRows: number;
  /**
   * Resolves when the body has been fully sent, with the bytes sent and, for a
   * JSON answer, what its closing `statistics` say (a streamed answer's summary
   * header was sent before the query had read anything).
   */
  finished: Promise<{ resultBytes: number; fromAnswer?: JsonStatistics }>;
}

/** Output settings a caller may pass as request params, as Tinybird allows. */
export const OUTPUT_SETTINGS = new Set([
  "output_format_json_quote_64bit_integers",
  "output_format_json_quote_denormals",
  "output_format_parquet_string_as_string",
]);

export async function runRead(c: Context<AppEnv>, req: ReadRequest): Promise<ReadOutcome> {
  const limits = readLimits(c.env);
  const settings = {
    ...req.settings,
    readonly: "1",
    max_execution_time: limits.queryTimeoutSeconds,
    max_result_bytes: String(limits.maxResultBytes),
    result_overflow_mode: "throw",
  } as ClickHouseSettings;
  let result;
  try {
    result = await clickhouseFor(c.get("config")).exec({
      query: `${req.sql}\nFORMAT ${req.format.clickhouse}`,
      query_id: c.get("requestId"),
      clickhouse_settings: settings,
    });
  } catch (e) {
    const error = fromClickHouse(e);
    if (e instanceof ClickHouseError) error.headers["X-DB-Exception-Code"] = e.code;
    throw error;
  }
  let resultBytes = 0;
  let done!: (v: Awaited<ReadOutcome["finished"]>) => void;
  const finished = new Promise<Awaited<ReadOutcome["finished"]>>((resolve) => (done = resolve));
  const tail = req.format.clickhouse === "JSON" ? new TailBuffer() : undefined;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      resultBytes += chunk.byteLength;
      tail?.push(chunk);
      controller.enqueue(chunk);
    },
    flush() {
      done({ resultBytes, fromAnswer: tail && jsonStatistics(tail.text()) });
    },
  });
  const body = (result.stream as ReadableStream<Uint8Array>).pipeThrough(counter);
  const summary = result.summary;
  const headers = new Headers({ "content-type": req.format.contentType, ...req.headers });
  return {
    response: new Response(body, { status: 200, headers }),
    readRows: Number(summary?.read_rows ?? 0),
    readBytes: Number(summary?.read_bytes ?? 0),
    resultRows: Number(summary?.result_rows ?? 0),
    finished,
  };
}
