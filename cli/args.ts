/**
 * @module args
 * Flag parsing for commands: `node:util` parseArgs in strict mode, plus the
 * options every command takes (`--cwd`, and for commands that talk to a server
 * `--host`/`--token`, and `--json`). Mistakes become `UsageError` (exit code 2).
 */
import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { CliIO } from "./command.js";
import { UsageError } from "./command.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options shared by every command. */
export const COMMON_OPTIONS = {
  cwd: { type: "string" },
} as const satisfies Options;

/** Options of commands that call the Tern API. */
export const REMOTE_OPTIONS = {
  ...COMMON_OPTIONS,
  host: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean", default: false },
  staging: { type: "boolean", default: false },
} as const satisfies Options;

/** Help lines for the shared options, appended to each command's help. */
export const COMMON_HELP = `  --cwd <dir>         project folder (default: the current directory)`;
export const REMOTE_HELP = `${COMMON_HELP}
  --host <url>        API base URL (default: see "Connection" below)
  --token <token>     workspace token
  --json              machine-readable output on stdout
  --staging           read and write the deployment in staging, not the live one
                      (sends __tb__deployment=staging, as tb --staging)

Connection: --host/--token, else TERN_HOST/TERN_TOKEN, else TINYBIRD_URL/TINYBIRD_TOKEN,
else TB_HOST/TB_TOKEN, else the nearest .tern.json (written by \`tern login\`), else the
local platform at http://localhost:7181 and its workspace admin token.`;

export function parse<const O extends Options>(args: string[], options: O, positionals = { min: 0, max: 0 }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, "") : String(e));
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError("missing argument");
  if (count > positionals.max) throw new UsageError(`unexpected argument '${parsed.positionals[positionals.max]}'`);
  return parsed;
}

/** The project folder: `--cwd` (relative to the process cwd) or the process cwd. */
export function projectDir(io: CliIO, cwdFlag: string | undefined): string {
  return cwdFlag ? resolve(io.cwd, cwdFlag) : io.cwd;
}
