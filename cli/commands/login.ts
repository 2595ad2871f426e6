/**
 * `tern login`: checks a host and token and saves them in the project's
 * `.tern.json` (Tinybird's `.tinyb` keys), so later commands need no flags.
 */
import { join } from "node:path";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { COMMON_HELP, COMMON_OPTIONS, parse, projectDir } from "../args.js";
import { CONFIG_FILE, fetchLocalTokens, findConfig, isLocalHost, LOCAL_HOST, normalizeHost, withConnection, writeConfig } from "../config.js";
import { createApi } from "../http.js";
import { VERSION } from "../version.js";

interface WorkspaceInfo {
  id: string;
  name: string;
}

export const login: Command = {
  name: "login",
  summary: "Save a host and token for this project in .tern.json",
  help: `Usage: tern login [--host <url>] [--token <token>] [options]

Checks the token against the host (GET /v1/workspace) and writes .tern.json in
the project folder: host, token, workspace id and name (the keys of Tinybird's
.tinyb). Commands run in that folder or below it use them when no flag or
environment variable says otherwise. The file holds a token: keep it out of git.

Without --token, the token comes from TERN_TOKEN/TINYBIRD_TOKEN/TB_TOKEN, or,
for a local host, from the local platform's GET /tokens (the workspace admin
token; its user token is saved too).

Options:
  --host <url>        API base URL (default: TERN_HOST, TINYBIRD_URL, TB_HOST, or ${LOCAL_HOST})
  --token <token>     workspace token
  --json              print the saved connection as JSON (without the tokens)
${COMMON_HELP}`,
  async run(args, io) {
    const { values } = parse(args, {
      ...COMMON_OPTIONS,
      host: { type: "string" },
      token: { type: "string" },
      json: { type: "boolean", default: false },
    });
    const dir = projectDir(io, values.cwd);
    const fetchFn = io.fetch ?? fetch;
    const host = normalizeHost(values.host || io.env.TERN_HOST || io.env.TINYBIRD_URL || io.env.TB_HOST || LOCAL_HOST);
    if (!/^https?:\/\/[^/]/.test(host)) throw new UsageError(`--host must be an http(s) URL, got '${host}'`);

    let token = values.token || io.env.TERN_TOKEN || io.env.TINYBIRD_TOKEN || io.env.TB_TOKEN;
    let userToken: string | undefined;
    if (!token) {
      if (!isLocalHost(host)) throw new UsageError(`--token is required for ${host} (only a local host hands out its tokens)`);
      const local = await fetchLocalTokens(host, fetchFn);
      token = local.workspace_admin_token;
      userToken = local.user_token;
    }

    const workspace = await createApi(host, token, fetchFn).request<WorkspaceInfo>("GET", "/v1/workspace");
    const path = join(dir, CONFIG_FILE);
    const existing = await findConfig(dir);
    const previous = existing?.path === path ? existing.config : undefined;
    await writeConfig(path, withConnection(previous, { host, token, id: workspace.id, name: workspace.name, version: VERSION, ...(userToken ? { userToken } : {}) }));

    if (values.json) {
      io.out(JSON.stringify({ host, workspace: { id: workspace.id, name: workspace.name }, config: path }, null, 2));
      return 0;
    }
    io.out(`Logged in to ${host}, workspace '${workspace.name}' (${workspace.id})`);
    io.out(`Saved ${path}; it holds a token, keep it out of git`);
    return 0;
  },
};
