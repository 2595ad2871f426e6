/**
 * `tern open`: opens the console (`<host>/ui/`) in the browser, already signed in:
 * the token goes in the URL's fragment (`#token=…`), which browsers never send to
 * the server; the console moves it into the tab's sessionStorage and off the
 * address bar. `--print` prints the URL instead of starting a browser.
 */
import { spawn } from "node:child_process";
import type { Command } from "../command.js";
import { parse, REMOTE_HELP, REMOTE_OPTIONS } from "../args.js";
import { connect } from "../remote.js";

/** The console's URL on `host`, signed in with `token` when given. */
export function consoleUrl(host: string, token: string | undefined, page?: string): string {
  const url = new URL("ui/", host.endsWith("/") ? host : `${host}/`);
  if (token !== undefined) url.hash = `token=${encodeURIComponent(token)}${page ? `&${encodeURIComponent(page)}` : ""}`;
  else if (page) url.hash = `/${page}`;
  return url.toString();
}

function openBrowser(url: string): Promise<boolean> {
  const [cmd, args] = process.platform === "darwin" ? ["open", [url]] : process.platform === "win32" ? ["cmd", ["/c", "start", "", url]] : ["xdg-open", [url]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: "ignore", detached: true });
    child.once("error", () => resolve(false));
    child.once("spawn", () => {
      child.unref();
      resolve(true);
    });
  });
}

export const open: Command = {
  name: "open",
  summary: "Open the console in the browser, signed in",
  help: `Usage: tern open [page] [options]

Opens the web console of the host the CLI resolves (<host>/ui/), signed in with its
token (handed over in the URL's fragment, never sent to the server). page: datasources,
pipes, sql, deployments, tokens or jobs.

Options:
  --print             print the URL instead of opening a browser
${REMOTE_HELP}`,
  async run(args, io) {
    const { values, positionals } = parse(args, { ...REMOTE_OPTIONS, print: { type: "boolean" } }, { min: 0, max: 1 });
    const { connection } = await connect(io, values);
    const url = consoleUrl(connection.host, (await connection.token()).token, positionals[0]);
    if (values.print || values.json) {
      io.out(values.json ? JSON.stringify({ url }, null, 2) : url);
      return 0;
    }
    if (await openBrowser(url)) io.out(`Opening the console: ${consoleUrl(connection.host, undefined, positionals[0])}`);
    else io.out(`Open this URL in your browser (it signs you in):\n${url}`);
    return 0;
  },
};
