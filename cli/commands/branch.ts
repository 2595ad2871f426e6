/**
 * `tern branch create|ls|rm|use`, as `tb branch`: branches of the workspace
 * (`/v1/environments`). A branch is a workspace with its parent's resources,
 * secrets and, with `--last-partition`, the last partition of each
 * datasource's data; it has its own token. `use` saves the branch's token in
 * `.tern.json`, so later commands act on the branch; `tern workspace use`
 * switches back. Managing branches needs the parent workspace's admin token.
 */
import { join } from "node:path";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { CONFIG_FILE, withConnection, writeConfig } from "../config.js";
import { formatTable } from "../format/table.js";
import { connect } from "../remote.js";
import { VERSION } from "../version.js";

interface Branch {
  id: string;
  name: string;
  created_at: string;
  token?: string;
}

export const branch: Command = {
  name: "branch",
  summary: "Create, list, delete and switch to branches of the workspace",
  help: `Usage: tern branch <subcommand> [options]

Subcommands:
  create <name>    a branch of the workspace: its resources and secrets, its own token
                   --last-partition   with the last partition of each datasource's data
                   --all-partitions   with all of it
  ls               the workspace's branches
  rm <name|id>     delete a branch, its data and its tokens
  use <name|id>    save the branch's token in .tern.json (the nearest one, or a new one
                   in the project folder); \`tern workspace use <workspace>\` switches back

Managing branches needs the parent workspace's admin token (a branch's token is refused).
${REMOTE_HELP}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    const arity = { create: [1, 1], ls: [0, 0], rm: [1, 1], use: [1, 1] } as const;
    if (!(sub in arity)) throw new UsageError(`unknown subcommand '${sub}'`);
    const [min, max] = arity[sub as keyof typeof arity];
    const { values, positionals } = parse(
      rest,
      { ...REMOTE_OPTIONS, "last-partition": { type: "boolean", default: false }, "all-partitions": { type: "boolean", default: false } },
      { min, max },
    );
    if (sub !== "create" && (values["last-partition"] || values["all-partitions"])) {
      throw new UsageError("--last-partition and --all-partitions are options of branch create");
    }
    if (values["last-partition"] && values["all-partitions"]) throw new UsageError("choose one of --last-partition and --all-partitions");
    const remote = await connect(io, values);
    const api = await remote.api();

    if (sub === "ls") {
      const { environments } = await api.request<{ environments: Branch[] }>("GET", "/v1/environments");
      if (values.json) io.out(JSON.stringify({ branches: environments }, null, 2));
      else io.out(formatTable(["NAME", "ID", "CREATED"], environments.map((b) => [b.name, b.id, b.created_at])));
      return 0;
    }

    const name = positionals[0]!;
    if (sub === "create") {
      const data = values["last-partition"] ? "last_partition" : values["all-partitions"] ? "all_partitions" : undefined;
      await api.request("POST", "/v1/environments", { query: { name, data } });
      const created = await api.request<Branch>("GET", `/v0/environments/${encodeURIComponent(name)}`);
      if (values.json) io.out(JSON.stringify(created, null, 2));
      else io.out(`Branch '${created.name}' created (${created.id})${data ? ` with ${data.replace("_", " ")}` : ""}; switch to it with \`tern branch use ${created.name}\``);
      return 0;
    }

    if (sub === "rm") {
      const deleted = await api.request<{ id: string; name: string }>("DELETE", `/v0/environments/${encodeURIComponent(name)}`);
      if (values.json) io.out(JSON.stringify(deleted, null, 2));
      else io.out(`Branch '${deleted.name}' deleted, with its data and tokens`);
      return 0;
    }

    // use
    const chosen = await api.request<Branch>("GET", `/v0/environments/${encodeURIComponent(name)}`, { query: { with_token: "true" } });
    if (!chosen.token) throw new Error(`the server gave no token for branch '${chosen.name}'`);
    const path = remote.connection.configPath ?? join(remote.dir, CONFIG_FILE);
    await writeConfig(
      path,
      withConnection(remote.connection.config, { host: remote.connection.host, token: chosen.token, id: chosen.id, name: chosen.name, version: VERSION }),
    );
    if (values.json) io.out(JSON.stringify({ host: remote.connection.host, branch: { id: chosen.id, name: chosen.name }, config: path }, null, 2));
    else io.out(`Using branch '${chosen.name}' (${chosen.id}) on ${remote.connection.host}; saved in ${path}`);
    const override = values.token ? "--token" : ["TERN_TOKEN", "TINYBIRD_TOKEN", "TB_TOKEN"].find((n) => io.env[n]);
    if (override) io.err(`note: ${override} is set and wins over ${CONFIG_FILE}`);
    return 0;
  },
};
