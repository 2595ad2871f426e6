/**
 * `tern datasource ls|append|replace|truncate|delete`, as `tb datasource`:
 * the Data Sources API of the live deployment.
 */
import type { CliIO, Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { formatTable } from "../format/table.js";
import { waitForJob, type Job } from "../jobs.js";
import { connect } from "../remote.js";
import { formatBytes, importUrl, uploadFile, type ImportResult } from "../upload.js";
import { resolve } from "node:path";

interface DatasourceInfo {
  name: string;
  description?: string;
  statistics?: { row_count: number; bytes: number };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function confirmed(io: CliIO, yes: boolean, question: string, what: string): Promise<void> {
  if (yes) return;
  if (!io.confirm) throw new UsageError(`${what}: pass --yes to confirm (no terminal to ask on)`);
  if (!(await io.confirm(question))) throw new Error("cancelled");
}

export const datasource: Command = {
  name: "datasource",
  summary: "List datasources, append or replace data, truncate, delete rows",
  help: `Usage: tern datasource <subcommand> [options]

Subcommands:
  ls                                the live deployment's datasources with rows and size
  append <ds> <file|url>            append a CSV, NDJSON or Parquet file (.csv, .ndjson, .jsonl,
                                    .parquet, .gz), or an http(s) URL the server downloads
  replace <ds> <file|url>           same as append --mode replace: the data replaces the contents
  truncate <ds> [--yes]             delete every row
  delete <ds> --sql-condition "<expr>" [--dry-run] [--wait]
                                    delete the rows matching the condition (a job);
                                    --dry-run counts them, --wait waits for the job

Options:
  --mode append|replace   for append (default: append)
  --yes                   do not ask before truncating
${REMOTE_HELP}

append shows a progress bar on stderr while uploading when stderr is a terminal.`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    const arity = { ls: [0, 0], append: [2, 2], replace: [2, 2], truncate: [1, 1], delete: [1, 1] } as const;
    if (!(sub in arity)) throw new UsageError(`unknown subcommand '${sub}'`);
    const [min, max] = arity[sub as keyof typeof arity];
    const { values, positionals } = parse(
      rest,
      {
        ...REMOTE_OPTIONS,
        mode: { type: "string" },
        yes: { type: "boolean", default: false },
        "sql-condition": { type: "string" },
        "dry-run": { type: "boolean", default: false },
        wait: { type: "boolean", default: false },
      },
      { min, max },
    );
    const remote = await connect(io, values);
    const api = await remote.api();

    if (sub === "ls") {
      const { datasources } = await api.request<{ datasources: DatasourceInfo[] }>("GET", "/v0/datasources");
      if (values.json) {
        io.out(JSON.stringify({ datasources }, null, 2));
        return 0;
      }
      if (datasources.length === 0) {
        io.out("No datasources: deploy a project with `tern deploy`");
        return 0;
      }
      io.out(
        formatTable(
          ["NAME", "ROWS", "SIZE", "DESCRIPTION"],
          datasources.map((d) => [d.name, String(d.statistics?.row_count ?? 0), formatBytes(d.statistics?.bytes ?? 0), (d.description ?? "").trim().split("\n")[0] ?? ""]),
        ),
      );
      return 0;
    }

    const name = positionals[0]!;
    if (sub === "append" || sub === "replace") {
      const mode = sub === "replace" ? "replace" : (values.mode ?? "append");
      if (mode !== "append" && mode !== "replace") throw new UsageError("--mode must be append or replace");
      const source = positionals[1]!;
      const isUrl = /^https?:\/\//i.test(source);
      const result: ImportResult = isUrl
        ? await importUrl(api, name, source, mode)
        : await uploadFile(io, api, name, resolve(remote.dir, source), mode);
      if (values.json) {
        io.out(JSON.stringify(result, null, 2));
        return 0;
      }
      const verb = mode === "replace" ? "Replaced the contents of" : "Appended to";
      io.out(`${verb} '${name}': ${plural(result.successful_rows, "row")}, ${plural(result.quarantined_rows, "quarantined row")}`);
      if (result.quarantined_rows > 0) io.err(`note: rejected rows are in '${name}_quarantine': tern sql "SELECT * FROM ${name}_quarantine"`);
      return 0;
    }

    if (sub === "truncate") {
      await confirmed(io, values.yes, `Delete every row of '${name}'?`, "truncate deletes every row");
      const res = await api.request<unknown>("POST", `/v0/datasources/${encodeURIComponent(name)}/truncate`);
      if (values.json) io.out(JSON.stringify(res ?? {}, null, 2));
      else io.out(`Truncated '${name}'`);
      return 0;
    }

    const condition = values["sql-condition"];
    if (!condition) throw new UsageError("delete needs --sql-condition \"<expression>\"");
    const form = new URLSearchParams({ delete_condition: condition, ...(values["dry-run"] ? { dry_run: "true" } : {}) });
    const res = await api.request<{ rows_to_be_deleted?: number } & Partial<Job>>("POST", `/v0/datasources/${encodeURIComponent(name)}/delete`, {
      body: form.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    if (values["dry-run"]) {
      if (values.json) io.out(JSON.stringify(res, null, 2));
      else io.out(`${plural(res.rows_to_be_deleted ?? 0, "row")} of '${name}' match; nothing was deleted (dry run)`);
      return 0;
    }
    if (!values.wait) {
      if (values.json) io.out(JSON.stringify(res, null, 2));
      else io.out(`Deleting rows of '${name}': job ${res.id} (${res.job_url}); wait for it with --wait`);
      return 0;
    }
    const job = await waitForJob(api, res.id!);
    if (values.json) io.out(JSON.stringify(job, null, 2));
    if (job.status !== "done") {
      if (!values.json) io.err(`tern datasource: delete job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ""}`);
      return 1;
    }
    if (!values.json) io.out(`Deleted ${plural(job.statistics?.rows_affected ?? 0, "row")} from '${name}'`);
    return 0;
  },
};
