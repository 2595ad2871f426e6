/**
 * `tern sql "<query>"`: the Query API (`POST /v0/sql`, raw SQL as text/plain).
 * A table for people; `--json` (or `--format json|csv|ndjson`) prints the
 * server's answer as is.
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { resultTable, type JsonResult } from "../format/result.js";
import { apiErrorFrom } from "../http.js";
import { connect } from "../remote.js";
import { paramPairs } from "./endpoint.js";

const CLAUSE: Record<string, string> = { json: "JSON", csv: "CSVWithNames", ndjson: "JSONEachRow" };

/** True when the SQL already ends with a FORMAT clause. */
export function hasFormatClause(sql: string): boolean {
  return /\bFORMAT\s+[A-Za-z]+\s*;?\s*$/i.test(sql);
}

export const sql: Command = {
  name: "sql",
  summary: "Run a SQL query over the workspace's datasources and pipes",
  help: `Usage: tern sql "<query>" [options]

Runs a read-only query with the Query API (/v0/sql). Datasources and pipes are
read by name; with --pipeline <pipe>, \`_\` is that pipe's result.

Options:
  --format <fmt>      table (default), json, csv or ndjson; all but table print
                      the server's answer as is. A query ending in its own FORMAT
                      clause is printed as is too.
  --pipeline <pipe>   makes \`_\` the pipe's result
  --param k=v         template parameters for the query or the pipeline (repeatable)
${REMOTE_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(
      args,
      { ...REMOTE_OPTIONS, format: { type: "string" }, pipeline: { type: "string" }, param: { type: "string", multiple: true } },
      { min: 1, max: 1 },
    );
    const format = values.format ?? (values.json ? "json" : "table");
    if (format !== "table" && !(format in CLAUSE)) throw new UsageError("--format must be table, json, csv or ndjson");
    let query = positionals[0]!.trim().replace(/;\s*$/, "");
    if (query === "") throw new UsageError("the query is empty");
    const own = hasFormatClause(query);
    if (!own) query = `${query}\nFORMAT ${format === "table" ? "JSON" : CLAUSE[format]}`;
    const api = await (await connect(io, values)).api();
    const res = await api.raw("POST", "/v0/sql", {
      params: [...(values.pipeline ? ([["pipeline", values.pipeline]] as Array<[string, string]>) : []), ...paramPairs(values.param)],
      body: query,
      headers: { "content-type": "text/plain" },
    });
    const text = await res.text();
    if (!res.ok) throw apiErrorFrom(res, text, "POST /v0/sql");
    if (own || format !== "table") {
      if (text !== "") io.out(text);
      return 0;
    }
    io.out(resultTable(JSON.parse(text) as JsonResult));
    return 0;
  },
};
