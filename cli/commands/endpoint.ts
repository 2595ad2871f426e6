/**
 * `tern endpoint ls|url|data`, as `tb endpoint`: the live deployment's API
 * endpoints, read from its OpenAPI document (`/v0/pipes/openapi.json`).
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { formatTable } from "../format/table.js";
import { resultTable, type JsonResult } from "../format/result.js";
import { apiErrorFrom } from "../http.js";
import { connect } from "../remote.js";

interface OpenApi {
  paths: Record<string, { get?: { description?: string; parameters?: Array<{ name: string; required?: boolean; schema?: { type?: string } }> } }>;
}

export interface EndpointInfo {
  name: string;
  description: string;
  parameters: Array<{ name: string; required: boolean }>;
}

/** One entry per endpoint (from its `.json` path), by name. */
export function endpointsOf(doc: OpenApi): EndpointInfo[] {
  const out: EndpointInfo[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const m = /^\/pipes\/(.+)\.json$/.exec(path);
    if (!m) continue;
    out.push({
      name: m[1]!,
      description: item.get?.description ?? "",
      parameters: (item.get?.parameters ?? []).filter((p) => p.name !== "q").map((p) => ({ name: p.name, required: p.required === true })),
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const FORMATS = ["json", "csv", "ndjson"] as const;

/** `k=v` flags → query pairs (a key may repeat: arrays). */
export function paramPairs(list: readonly string[] | undefined): Array<[string, string]> {
  return (list ?? []).map((p) => {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param takes key=value, got '${p}'`);
    return [p.slice(0, eq), p.slice(eq + 1)];
  });
}

export const endpoint: Command = {
  name: "endpoint",
  summary: "List API endpoints, print their URL, call them",
  help: `Usage: tern endpoint <subcommand> [options]

Subcommands:
  ls                  the live deployment's API endpoints and their parameters
  url <pipe>          the endpoint's URL
  data <pipe>         call the endpoint; a table, or the raw answer with --format

Options:
  --param k=v         a parameter for data (repeat it; a repeated key is an array)
  --format <fmt>      json, csv or ndjson: data prints the answer as is; url uses
                      that extension (default json)
${REMOTE_HELP}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    const arity = { ls: [0, 0], url: [1, 1], data: [1, 1] } as const;
    if (!(sub in arity)) throw new UsageError(`unknown subcommand '${sub}'`);
    const [min, max] = arity[sub as keyof typeof arity];
    const { values, positionals } = parse(
      rest,
      { ...REMOTE_OPTIONS, param: { type: "string", multiple: true }, format: { type: "string" } },
      { min, max },
    );
    if (values.format !== undefined && !(FORMATS as readonly string[]).includes(values.format)) throw new UsageError("--format must be json, csv or ndjson");
    const api = await (await connect(io, values)).api();

    if (sub === "ls") {
      const endpoints = endpointsOf(await api.request<OpenApi>("GET", "/v0/pipes/openapi.json"));
      if (values.json) {
        io.out(JSON.stringify({ endpoints }, null, 2));
        return 0;
      }
      if (endpoints.length === 0) {
        io.out("No API endpoints: deploy a pipe with TYPE endpoint");
        return 0;
      }
      io.out(
        formatTable(
          ["NAME", "PARAMETERS", "DESCRIPTION"],
          endpoints.map((e) => [e.name, e.parameters.map((p) => (p.required ? `${p.name}*` : p.name)).join(", "), e.description.trim().split("\n")[0] ?? ""]),
        ),
      );
      return 0;
    }

    const pipe = positionals[0]!;
    if (sub === "url") {
      // Checks the endpoint exists (404 otherwise) before printing its URL.
      await api.request("GET", `/v0/pipes/${encodeURIComponent(pipe)}/openapi.json`);
      const url = `${api.host}/v0/pipes/${encodeURIComponent(pipe)}.${values.format ?? "json"}`;
      if (values.json) io.out(JSON.stringify({ name: pipe, url }, null, 2));
      else io.out(url);
      return 0;
    }

    const format = values.format ?? "json";
    const res = await api.raw("GET", `/v0/pipes/${encodeURIComponent(pipe)}.${format}`, { params: paramPairs(values.param) });
    const text = await res.text();
    if (!res.ok) throw apiErrorFrom(res, text, `GET /v0/pipes/${pipe}.${format}`);
    if (values.format !== undefined || values.json) {
      if (text !== "") io.out(text);
      return 0;
    }
    io.out(resultTable(JSON.parse(text) as JsonResult));
    return 0;
  },
};
