/**
 * @module run
 * `tern <command> [args]` dispatch. Each command lives in `commands/<name>.ts`
 * and is registered in `commands/index.ts`. Tests call `runCli` directly.
 */
import type { CliIO, Command } from "./command.js";
import { UsageError } from "./command.js";
import { commands } from "./commands/index.js";

const VERSION = "0.1.0";

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

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
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
      io.err(`tern ${command.name}: ${e.message}\n\n${command.help}`);
      return 2;
    }
    io.err(`tern ${command.name}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
