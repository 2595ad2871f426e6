/**
 * `tern workspace ls|create|use|current`, as `tb workspace`. Listing the
 * user's workspaces and creating one need a user token (a workspace token lists
 * only its own workspace); `use` saves the chosen workspace's token in `.tern.json`.
 */
import { join } from "node:path";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { CONFIG_FILE, withConnection, writeConfig } from "../config.js";
import { formatPairs, formatTable } from "../format/table.js";
import type { Api } from "../http.js";
import { connect, type Remote } from "../remote.js";
import { VERSION } from "../version.js";

interface WorkspaceEntry {
  id: string;
  name: string;
  token: string;
  created_at?: string;
}

async function listWorkspaces(remote: Remote): Promise<WorkspaceEntry[]> {
  const api = await remote.userApi();
  return (await api.request<{ workspaces: WorkspaceEntry[] }>("GET", "/v1/user/workspaces")).workspaces;
}

/** The workspace the resolved token belongs to, or undefined when there is no usable token. */
async function currentId(api: Promise<Api>): Promise<string | undefined> {
  try {
    return (await (await api).request<{ id: string }>("GET", "/v1/workspace")).id;
  } catch {
    return undefined;
  }
}

export const workspace: Command = {
  name: "workspace",
  summary: "List, create and switch workspaces",
  help: `Usage: tern workspace <subcommand> [options]

Subcommands:
  ls               your workspaces (a workspace token sees only its own); * marks the current one
  create <name>    create a workspace (letters, digits and _)
  use <name|id>    save that workspace's token in .tern.json (the nearest one, or
                   a new one in the project folder)
  current          the workspace the resolved token belongs to

Options:
  --user-token <token>  token for ls/create (default: TERN_USER_TOKEN, TB_USER_TOKEN,
                        .tern.json's user_token, the local platform's user token,
                        else the workspace token)
${REMOTE_HELP}`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (!sub) throw new UsageError("missing subcommand");
    const arity = { ls: [0, 0], create: [1, 1], use: [1, 1], current: [0, 0] } as const;
    if (!(sub in arity)) throw new UsageError(`unknown subcommand '${sub}'`);
    const [min, max] = arity[sub as keyof typeof arity];
    const { values, positionals } = parse(rest, { ...REMOTE_OPTIONS, "user-token": { type: "string" } }, { min, max });
    const remote = await connect(io, values);

    if (sub === "ls") {
      const [workspaces, current] = await Promise.all([listWorkspaces(remote), currentId(remote.api())]);
      if (values.json) {
        io.out(JSON.stringify({ workspaces: workspaces.map(({ token: _t, ...w }) => ({ ...w, current: w.id === current })) }, null, 2));
        return 0;
      }
      io.out(
        formatTable(
          ["NAME", "ID", "CREATED", "CURRENT"],
          workspaces.map((w) => [w.name, w.id, w.created_at ?? "", w.id === current ? "*" : ""]),
        ),
      );
      return 0;
    }

    if (sub === "create") {
      const name = positionals[0]!;
      const created = await (await remote.userApi()).request<WorkspaceEntry>("POST", "/v1/workspaces", { json: { name } });
      if (values.json) io.out(JSON.stringify(created, null, 2));
      else io.out(`Workspace '${created.name}' created (${created.id}); switch to it with \`tern workspace use ${created.name}\``);
      return 0;
    }

    if (sub === "use") {
      const wanted = positionals[0]!;
      const workspaces = await listWorkspaces(remote);
      const chosen = workspaces.find((w) => w.name === wanted) ?? workspaces.find((w) => w.id === wanted);
      if (!chosen) throw new Error(`no workspace named '${wanted}' on ${remote.connection.host}; see \`tern workspace ls\``);
      if (!chosen.token) throw new Error(`the server listed no token for workspace '${chosen.name}'`);
      const path = remote.connection.configPath ?? join(remote.dir, CONFIG_FILE);
      const user = await remote.connection.userToken().catch(() => undefined);
      const keepUser = user && user.token !== (await remote.connection.token().catch(() => undefined))?.token ? user.token : undefined;
      await writeConfig(
        path,
        withConnection(remote.connection.config, {
          host: remote.connection.host,
          token: chosen.token,
          id: chosen.id,
          name: chosen.name,
          version: VERSION,
          ...(keepUser ? { userToken: keepUser } : {}),
        }),
      );
      if (values.json) {
        io.out(JSON.stringify({ host: remote.connection.host, workspace: { id: chosen.id, name: chosen.name }, config: path }, null, 2));
      } else {
        io.out(`Using workspace '${chosen.name}' (${chosen.id}) on ${remote.connection.host}; saved in ${path}`);
      }
      const override = values.token ? "--token" : ["TERN_TOKEN", "TINYBIRD_TOKEN", "TB_TOKEN"].find((n) => io.env[n]);
      if (override) io.err(`note: ${override} is set and wins over ${CONFIG_FILE}`);
      return 0;
    }

    const token = await remote.connection.token();
    const info = await (await remote.api()).request<{ id: string; name: string }>("GET", "/v1/workspace");
    if (values.json) {
      io.out(JSON.stringify({ id: info.id, name: info.name, host: remote.connection.host, token_from: token.from }, null, 2));
      return 0;
    }
    io.out(
      formatPairs([
        ["workspace", info.name],
        ["id", info.id],
        ["host", `${remote.connection.host} (from ${remote.connection.hostFrom})`],
        ["token", `from ${token.from}`],
      ]),
    );
    return 0;
  },
};
