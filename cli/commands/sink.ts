/**
 * `tern sink run|ls`, as `tb sink`: runs of the live deployment's sink pipes
 * (the Sink Pipes API) and what each writes where.
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { formatTable } from "../format/table.js";
import { doneLine, failedLine, lastRunCell, pipesWithLastRun, startRun, waitForRun, type PipeInfo } from "../pipe-runs.js";
import { connect } from "../remote.js";
import { paramPairs } from "./endpoint.js";

/** The Sink API's strategies and `tb sink run --mode`'s names for them. */
const MODES = ["new", "truncate", "append", "replace"];

/** The sink node's export settings, as the Pipes API shows them. */
function exportOf(p: PipeInfo): Record<string, string | undefined> {
  return p.nodes.find((n) => n.name === p.sink_node) ?? {};
}

function destinationCell(p: PipeInfo): string {
  const e = exportOf(p);
  if (e.export_kafka_topic) return `kafka topic ${e.export_kafka_topic}`;
  return `${e.export_bucket_uri ?? ""}${e.export_file_template ?? ""}`;
}

function formatCell(p: PipeInfo): string {
  const e = exportOf(p);
  if (!e.export_format) return "";
  return e.export_compression && e.export_compression !== "none" ? `${e.export_format}+${e.export_compression}` : e.export_format;
}

export const sink: Command = {
  name: "sink",
  summary: "Run sink pipes and list them",
  help: `Usage: tern sink <subcommand> [options]

Subcommands:
  run <pipe> [--param k=v …] [--mode new|truncate]
                      export now and wait for the job: a progress line on stderr
                      (on a terminal), then the rows, bytes and time it took (and
                      the files, when the server counts them), or the job's error
                      (exit 1)
  ls                  the live sink pipes: connection, where they write (bucket URI
                      and file template), format, strategy, schedule (cron in UTC)
                      and last run

Options:
  --param k=v         a template parameter of the run (repeat it)
  --mode new|truncate this run's EXPORT_STRATEGY instead of the pipe's (append and
                      replace, as \`tb sink run --mode\` says, mean new and truncate)
  --wait / --no-wait  wait for the job to end (default: wait); --no-wait prints
                      the job id and URL. Ctrl-C stops waiting, not the job.
${REMOTE_HELP}

With --json: run prints the ended job (with --no-wait, the run's answer), ls
{"pipes": [pipe as GET /v0/pipes shows it, plus "last_job"]}.`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    const arity = { run: [1, 1], ls: [0, 0] } as const;
    if (!(sub in arity)) throw new UsageError(`unknown subcommand '${sub}'`);
    const [min, max] = arity[sub as keyof typeof arity];
    const { values, positionals } = parse(
      rest,
      {
        ...REMOTE_OPTIONS,
        param: { type: "string", multiple: true },
        mode: { type: "string" },
        wait: { type: "boolean" },
        "no-wait": { type: "boolean" },
      },
      { min, max },
    );
    if (sub !== "run" && (values.param || values.mode || values.wait || values["no-wait"])) {
      throw new UsageError(`--param, --mode and --wait are options of sink run, not sink ${sub}`);
    }
    if (values.wait && values["no-wait"]) throw new UsageError("--wait and --no-wait exclude each other");
    if (values.mode !== undefined && !MODES.includes(values.mode)) throw new UsageError(`--mode must be new or truncate (or append, replace), not '${values.mode}'`);
    const params = paramPairs(values.param);
    const api = await (await connect(io, values)).api();

    if (sub === "ls") {
      const pipes = await pipesWithLastRun(api, "sink");
      if (values.json) {
        io.out(JSON.stringify({ pipes }, null, 2));
        return 0;
      }
      if (pipes.length === 0) {
        io.out("No sink pipes in the live deployment");
        return 0;
      }
      io.out(
        formatTable(
          ["NAME", "CONNECTION", "DESTINATION", "FORMAT", "STRATEGY", "SCHEDULE", "LAST RUN"],
          pipes.map((p) => {
            const e = exportOf(p);
            return [p.name, e.export_connection_name ?? "", destinationCell(p), formatCell(p), e.export_write_strategy ?? "", e.export_schedule ?? "", lastRunCell(p.last_job)];
          }),
        ),
      );
      return 0;
    }

    const pipe = positionals[0]!;
    const started = await startRun(api, "sink", pipe, values.mode ? [...params, ["_mode", values.mode]] : params);
    if (values["no-wait"]) {
      if (values.json) io.out(JSON.stringify(started, null, 2));
      else io.out(`Started sink '${pipe}': job ${started.id} (${started.job_url})`);
      return 0;
    }
    const job = await waitForRun(io, api, started, `sink '${pipe}'`);
    if (values.json) io.out(JSON.stringify(job, null, 2));
    if (job.status !== "done") {
      io.err(`tern sink: ${failedLine(job)}`);
      return 1;
    }
    if (!values.json) io.out(doneLine("sink", pipe, job));
    return 0;
  },
};
