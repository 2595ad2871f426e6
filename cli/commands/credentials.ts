/**
 * `tern credentials`: mints the default workspace's credentials for a deployed
 * Worker (what `npm run dev` keeps in `.tern/local/state.json` locally). The
 * JSON goes into the Worker's `TERN_CREDENTIALS` secret; the admin token is the
 * one to log in with.
 */
import type { Command } from "../command.js";
import { UsageError } from "../command.js";
import { createLocalCredentials } from "../../shared/tokens/local.js";

const HELP = `Usage: tern credentials [--name <workspace>] [--json]

Mints a new default workspace (id, signing secret and its three tokens) for a
Worker deployed with wrangler, and prints how to install it:

  tern credentials --json | npx wrangler secret put TERN_CREDENTIALS

Options:
  --name <workspace>  name of the default workspace (default "default")
  --json              print only the JSON for the TERN_CREDENTIALS secret`;

export const credentials: Command = {
  name: "credentials",
  summary: "Mint the default workspace's credentials for a deployed Worker",
  help: HELP,
  async run(args, io) {
    let name = "default";
    let json = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === "--json") json = true;
      else if (a === "--name") {
        name = args[++i] ?? "";
        if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new UsageError("--name: letters, digits and _ only, starting with a letter or _");
      } else throw new UsageError(`unknown option '${a}'`);
    }
    const creds = await createLocalCredentials(name);
    const secret = JSON.stringify(creds);
    if (json) {
      io.out(secret);
      return 0;
    }
    io.out(
      [
        `Workspace:       ${creds.workspaceName} (${creds.workspaceId})`,
        `Admin token:     ${creds.workspaceAdminToken}`,
        `User token:      ${creds.userToken}`,
        "",
        "Install it on the Worker (keep it secret; it holds the signing key):",
        `  echo '${secret}' | npx wrangler secret put TERN_CREDENTIALS`,
      ].join("\n"),
    );
    return 0;
  },
};
