/**
 * @module endpoints/params
 * Request parameters of endpoint and Query API calls, from the query string
 * (a repeated key is an array; `a=1,2` stays a string that `Array()` splits),
 * a form body, or a JSON body. Reserved names (`token`, `from`, `q`, `format`,
 * `pipeline`…) are options, never template params.
 */
import type { ParamValue, Params } from "../../shared/template/index.js";
import { BadRequestError } from "../../shared/errors.js";

/** Tinybird's reserved parameter names, plus `from` (added by its SDKs) and `token`. */
export const RESERVED_PARAMS = new Set([
  "token",
  "from",
  "q",
  "format",
  "pipeline",
  "__tb__semver",
  "debug_source_tables",
  "debug",
  "explain",
  "finalize_aggregations",
  "output_format_json_quote_64bit_integers",
  "output_format_json_quote_denormals",
  "output_format_parquet_string_as_string",
  "playground",
  "query_id",
  "release_replacements",
  "tag",
  "template_parameters",
  // Tern: `?__tb__cache=bypass` skips a cached endpoint's cache (endpoints/cache.ts).
  "__tb__cache",
]);

export interface RequestInput {
  /** Every value as sent (reserved ones included), for options and logging. */
  all: Record<string, ParamValue>;
  /** Template params: `all` without the reserved names. */
  params: Params;
  /** A raw text body (Query API: the SQL). */
  text?: string;
}

function add(target: Record<string, ParamValue>, key: string, value: ParamValue): void {
  const prev = target[key];
  if (prev === undefined) target[key] = value;
  else target[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
}

/** Reads query string and body. `rawText` makes a non-form, non-JSON body the returned `text`. */
export async function readInput(request: Request, options: { rawText?: boolean } = {}): Promise<RequestInput> {
  const all: Record<string, ParamValue> = {};
  const url = new URL(request.url);
  for (const [k, v] of url.searchParams) add(all, k, v);
  let text: string | undefined;
  if (request.method === "POST") {
    const type = (request.headers.get("content-type") ?? "").toLowerCase();
    const body: Record<string, ParamValue> = {};
    if (type.includes("application/json")) {
      const raw = await request.text();
      if (raw.trim() !== "") {
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch (e) {
          throw new BadRequestError("The body is not valid JSON", { cause: e });
        }
        if (json === null || typeof json !== "object" || Array.isArray(json)) throw new BadRequestError("The JSON body must be an object of parameters");
        for (const [k, v] of Object.entries(json as Record<string, ParamValue>)) if (v !== null && v !== undefined) body[k] = v;
      }
    } else if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
      const form = await request.formData();
      for (const [k, v] of form as unknown as Iterable<[string, string | File]>) if (typeof v === "string") add(body, k, v);
    } else if (options.rawText) {
      text = await request.text();
    }
    Object.assign(all, body); // the body wins over the query string
  }
  const params: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(all)) if (!RESERVED_PARAMS.has(k)) params[k] = v;
  return { all, params, ...(text !== undefined ? { text } : {}) };
}

/** One string option (the last value when repeated). */
export function option(input: RequestInput, name: string): string | undefined {
  const v = input.all[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return last === undefined || last === null ? undefined : String(last);
}

/** Params as strings, for `pipe_stats_rt.parameters`. */
export function paramsForLog(params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    out[k] = typeof v === "string" ? v : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
  }
  return out;
}

/** Output settings a caller may pass as request params, as Tinybird allows. */
export const OUTPUT_SETTINGS = new Set([
  "output_format_json_quote_64bit_integers",
  "output_format_json_quote_denormals",
  "output_format_parquet_string_as_string",
]);

/** The output settings the request sets (each 0 or 1, else 400). */
export function outputSettings(input: RequestInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of OUTPUT_SETTINGS) {
    const v = option(input, name);
    if (v === undefined) continue;
    if (!/^[01]$/.test(v)) throw new BadRequestError(`${name} must be 0 or 1`);
    out[name] = v;
  }
  return out;
}
