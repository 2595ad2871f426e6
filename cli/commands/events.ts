/**
 * `tern events send|dead-letters|replay`: the Events API from the command
 * line, and the dead letters (event batches that exhausted their retries).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { connect } from "../remote.js";

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function batches(n: number): string {
  return `${n} dead-letter ${n === 1 ? "batch" : "batches"}`;
}

export const events: Command = {
  name: "events",
  summary: "Send NDJSON events; count and replay dead letters",
  help: `Usage: tern events <subcommand> [options]

Subcommands:
  send <ds> <file.ndjson>   POST the file to /v0/events?name=<ds> (one JSON object per line)
  dead-letters              how many event batches are parked after exhausting their retries
  replay                    put the parked batches back on the events queue

Options:
  --no-wait                 send: return once queued instead of once written (wait=false)
${REMOTE_HELP}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    const arity = { send: 2, "dead-letters": 0, replay: 0 } as const;
    if (!(sub in arity)) throw new UsageError(`unknown subcommand '${sub}'`);
    const n = arity[sub as keyof typeof arity];
    const { values, positionals } = parse(rest, { ...REMOTE_OPTIONS, "no-wait": { type: "boolean", default: false } }, { min: n, max: n });
    const remote = await connect(io, values);
    const api = await remote.api();

    if (sub === "send") {
      const [ds, file] = positionals as [string, string];
      const body = await readFile(resolve(remote.dir, file));
      const res = await api.request<{ successful_rows: number; quarantined_rows: number }>("POST", "/v0/events", {
        query: { name: ds, wait: values["no-wait"] ? undefined : "true" },
        body,
        headers: { "content-type": "application/x-ndjson" },
      });
      if (values.json) io.out(JSON.stringify(res, null, 2));
      else io.out(`${values["no-wait"] ? "Queued" : "Sent"} to '${ds}': ${plural(res.successful_rows, "row")}, ${plural(res.quarantined_rows, "quarantined row")}`);
      return 0;
    }
    if (sub === "dead-letters") {
      const res = await api.request<{ dead_letters: number }>("GET", "/v0/events/dead-letters");
      if (values.json) io.out(JSON.stringify(res, null, 2));
      else io.out(res.dead_letters === 0 ? "No dead letters" : `${batches(res.dead_letters)}; replay with \`tern events replay\``);
      return 0;
    }
    const res = await api.request<{ replayed: number; remaining: number }>("POST", "/v0/events/dead-letters/replay");
    if (values.json) io.out(JSON.stringify(res, null, 2));
    else io.out(`Replayed ${batches(res.replayed)}${res.remaining > 0 ? `, ${res.remaining} left: run it again` : ""}`);
    return 0;
  },
};
