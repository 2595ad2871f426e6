/**
 * `tern deployment ls|promote|discard|rollback`: the deployments of the
 * workspace, as `tb deployment`.
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { findStaging, type Deployment } from "../deployments.js";
import { formatTable } from "../format/table.js";
import type { Api } from "../http.js";
import { connect } from "../remote.js";

interface One {
  result: string;
  deployment: Deployment;
}

/** Every deployment, the one kept for rollback too (listed by the API only with `include_deleted`), newest first. */
async function list(api: Api): Promise<Deployment[]> {
  const { deployments } = await api.request<{ deployments: Deployment[] }>("GET", "/v1/deployments?include_deleted=true");
  return deployments.filter((d) => d.status !== "deleted").sort((a, b) => Number(b.id) - Number(a.id));
}

async function stagingId(api: Api, verb: string): Promise<string> {
  const staging = findStaging(await list(api));
  if (!staging) throw new Error(`there is no staging deployment to ${verb}; give its id`);
  return staging.id;
}

export const deployment: Command = {
  name: "deployment",
  summary: "List, promote, discard or roll back deployments",
  help: `Usage: tern deployment <subcommand> [options]

Subcommands:
  ls              the workspace's deployments, newest first
  promote [id]    make a deployment live (default: the staging one); the
                  previous live deployment is kept for rollback
  discard [id]    delete a deployment that is not live (default: the staging one)
  rollback        make the previous live deployment live again

Options:
${REMOTE_HELP}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    const spec = { ls: 0, promote: 1, discard: 1, rollback: 0 } as const;
    if (!(sub in spec)) throw new UsageError(`unknown subcommand '${sub}'`);
    const max = spec[sub as keyof typeof spec];
    const { values, positionals } = parse(rest, REMOTE_OPTIONS, { min: 0, max });
    const api = await (await connect(io, values)).api();

    if (sub === "ls") {
      const deployments = await list(api);
      if (values.json) {
        io.out(JSON.stringify({ deployments }, null, 2));
        return 0;
      }
      if (deployments.length === 0) {
        io.out("No deployments yet: run `tern deploy`");
        return 0;
      }
      const staging = findStaging(deployments)?.id;
      io.out(
        formatTable(
          ["ID", "STATUS", "LIVE", "CREATED"],
          deployments.map((d) => [d.id, d.id === staging ? `${d.status} (staging)` : d.status, d.live ? "yes" : "", d.created_at ?? ""]),
        ),
      );
      return 0;
    }

    let res: One;
    if (sub === "promote") {
      const id = positionals[0] ?? (await stagingId(api, "promote"));
      res = await api.request<One>("POST", `/v1/deployments/${encodeURIComponent(id)}/set-live`);
    } else if (sub === "discard") {
      const id = positionals[0] ?? (await stagingId(api, "discard"));
      res = await api.request<One>("DELETE", `/v1/deployments/${encodeURIComponent(id)}`);
    } else {
      res = await api.request<One>("POST", "/v1/deployments/rollback");
    }
    if (values.json) io.out(JSON.stringify(res, null, 2));
    else if (sub === "discard") io.out(`Deployment ${res.deployment.id} discarded`);
    else if (sub === "rollback") io.out(`Rolled back: deployment ${res.deployment.id} is live`);
    else io.out(`Deployment ${res.deployment.id} is live`);
    return 0;
  },
};
