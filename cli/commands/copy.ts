/**
 * `tern copy run|ls|pause|resume`, as `tb copy`: runs of the live
 * deployment's copy pipes (the Copy Pipes API) and their schedules.
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { formatTable } from "../format/table.js";
import { doneLine, failedLine, lastRunCell, pipesWithLastRun, startRun, waitForRun, type PipeInfo } from "../pipe-runs.js";
import { connect } from "../remote.js";
import { paramPairs } from "./endpoint.js";

const MODES = ["append", "replace"];

/** What the SCHEDULE column says: the cron, `@on-demand`, or the copies it runs after. */
function scheduleCell(p: PipeInfo): string {
  if (p.copy_after?.length) return `after ${p.copy_after.join(", ")}`;
  return p.copy_schedule ?? "@on-demand";
}

export const copy: Command = {
  name: "copy",
  summary: "Run copy pipes, list them, pause and resume their schedules",
  help: `Usage: tern copy <subcommand> [options]

Subcommands:
  run <pipe> [--param k=v …] [--mode append|replace]
                      run the copy now and wait for its job: a progress line on
                      stderr (on a terminal), then the rows, bytes and time it took,
                      or the job's error (exit 1)
  ls                  the live copy pipes: target, schedule (cron in UTC), mode,
                      state (running, paused, on-demand) and last run
  pause <pipe>        the cron starts no more runs (on-demand runs still work)
  resume <pipe>       the cron starts runs again, from its next fire time

Options:
  --param k=v         a template parameter of the run (repeat it)
  --mode append|replace
                      this run's COPY_MODE instead of the pipe's
  --wait / --no-wait  wait for the job to end (default: wait); --no-wait prints
                      the job id and URL. Ctrl-C stops waiting, not the job.
${REMOTE_HELP}

With --json: run prints the ended job (with --no-wait, the run's answer), ls
{"pipes": [pipe as GET /v0/pipes shows it, plus "last_job"]}, pause and resume the
server's answer.`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    const arity = { run: [1, 1], ls: [0, 0], pause: [1, 1], resume: [1, 1] } as const;
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
      throw new UsageError(`--param, --mode and --wait are options of copy run, not copy ${sub}`);
    }
    if (values.wait && values["no-wait"]) throw new UsageError("--wait and --no-wait exclude each other");
    if (values.mode !== undefined && !MODES.includes(values.mode)) throw new UsageError(`--mode must be append or replace, not '${values.mode}'`);
    const params = paramPairs(values.param);
    const api = await (await connect(io, values)).api();

    if (sub === "ls") {
      const pipes = await pipesWithLastRun(api, "copy");
      if (values.json) {
        io.out(JSON.stringify({ pipes }, null, 2));
        return 0;
      }
      if (pipes.length === 0) {
        io.out("No copy pipes in the live deployment");
        return 0;
      }
      io.out(
        formatTable(
          ["NAME", "TARGET", "SCHEDULE", "MODE", "STATE", "LAST RUN"],
          pipes.map((p) => [p.name, p.copy_target_datasource ?? "", scheduleCell(p), p.copy_mode ?? "", p.schedule?.status ?? "", lastRunCell(p.last_job)]),
        ),
      );
      return 0;
    }

    const pipe = positionals[0]!;
    if (sub === "pause" || sub === "resume") {
      const answer = await api.request<PipeInfo>("POST", `/v0/pipes/${encodeURIComponent(pipe)}/copy/${sub}`);
      if (values.json) {
        io.out(JSON.stringify(answer, null, 2));
        return 0;
      }
      const cron = answer.schedule?.cron;
      if (!cron) io.out(`${sub === "pause" ? "Paused" : "Resumed"} '${pipe}' (it has no cron: it runs on demand${answer.copy_after?.length ? " and after its upstreams" : ""})`);
      else if (sub === "pause") io.out(`Paused '${pipe}': its cron (${cron} UTC) starts no runs until \`tern copy resume ${pipe}\`; on-demand runs still work`);
      else io.out(`Resumed '${pipe}': its cron (${cron} UTC) starts runs again from its next fire time`);
      return 0;
    }

    const started = await startRun(api, "copy", pipe, values.mode ? [...params, ["_mode", values.mode]] : params);
    const target = (started.datasource as { name?: string } | null | undefined)?.name;
    if (values["no-wait"]) {
      if (values.json) io.out(JSON.stringify(started, null, 2));
      else io.out(`Started copy '${pipe}'${target ? ` into '${target}'` : ""}: job ${started.id} (${started.job_url})`);
      return 0;
    }
    const job = await waitForRun(io, api, started, `copy '${pipe}'${target ? ` → '${target}'` : ""}`);
    if (values.json) io.out(JSON.stringify(job, null, 2));
    if (job.status !== "done") {
      io.err(`tern copy: ${failedLine(job)}`);
      return 1;
    }
    if (!values.json) io.out(doneLine("copy", pipe, job, target));
    return 0;
  },
};
