/**
 * @module run
 * `tern <command> [args]` dispatch. Each command lives in `commands/<name>.ts`
 * and is registered in `commands/index.ts`. Tests call `runCli` directly.
 */
import type { CliIO, Command } from "./command.js";
import { UsageError } from "./command.js";
import { commands } from "./commands/index.js";
import { VERSION } from "./version.js";

function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: tern <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `tern <command> --help` for a command's options.",
  ].join("\n");
}

/** Options that may also come before the command name (`tern --host URL deploy`). */
const GLOBAL_WITH_VALUE = new Set(["--cwd", "--host", "--token", "--user-token"]);
const GLOBAL_FLAGS = new Set(["--json"]);

/** Moves leading global options behind the command (and its subcommand), where commands parse them. */
function hoistGlobalOptions(argv: string[]): string[] {
  const globals: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const key = arg.split("=")[0]!;
    if (GLOBAL_WITH_VALUE.has(key)) {
      const take = arg.includes("=") ? 1 : 2;
      globals.push(...argv.slice(i, i + take));
      i += take;
    } else if (GLOBAL_FLAGS.has(arg)) {
      globals.push(arg);
      i += 1;
    } else break;
  }
  return [...argv.slice(i), ...globals];
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = hoistGlobalOptions(argv);
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(topHelp());
    return 0;
  }
  if (name === "--version" || name === "-v") {
    io.out(VERSION);
    return 0;
  }
  const command: Command | undefined = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`tern: unknown command '${name}'\n\n${topHelp()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tern ${command.name}: ${e.message}\n\nRun \`tern ${command.name} --help\` for its usage.`);
      return 2;
    }
    io.err(`tern ${command.name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
